using AutoClassify.Evaluation.Statistics;

namespace AutoClassify.Tests.Evaluation.Statistics;

/// <summary>Every statistic against values SciPy, scikit-learn and statsmodels computed (tests/fixtures/statistics/reference.py).</summary>
public class StatisticsReferenceTests
{
    const double Tight = 1e-10;

    [Fact]
    public void Should_give_statsmodels_exact_mcnemar_p_values()
    {
        var cases = StatisticsReference.Cases("mcnemar").ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var result = McNemar.Exact(c.Int("b"), c.Int("c"));
            Assert.Equal(c.Double("p"), result.PValue, Tight);
            Assert.Equal(c.Int("b") + c.Int("c"), result.Discordant);
        }
    }

    [Fact]
    public void Should_count_discordant_items_from_paired_predictions()
    {
        // Given 3 items only the first model gets right, 1 only the second, and 2 both get right and 1 both get wrong
        int[] truth = [0, 1, 2, 0, 1, 2, 0];
        int[] first = [0, 1, 2, 1, 1, 2, 2];
        int[] second = [1, 0, 0, 0, 1, 2, 1];

        var result = McNemar.Exact(truth, first, second);

        Assert.Equal((3, 1), (result.OnlyFirstCorrect, result.OnlySecondCorrect));
        Assert.Equal(0.625, result.PValue, Tight);
    }

    [Fact]
    public void Should_give_the_corrected_resampled_t_test_of_scipy()
    {
        foreach (var c in StatisticsReference.Cases("corrected_t"))
        {
            var result = CorrectedTTest.Compute(c.Doubles("differences"), c.Double("ratio"));
            Assert.Equal(c.Double("mean"), result.MeanDifference, Tight);
            Assert.Equal(c.Double("t"), result.T, 1e-9);
            Assert.Equal(c.Int("df"), result.DegreesOfFreedom);
            Assert.Equal(c.Double("p"), result.PValue, 1e-9);
            Assert.Equal(c.Double("lower"), result.Confidence.Lower, 1e-9);
            Assert.Equal(c.Double("upper"), result.Confidence.Upper, 1e-9);
        }
    }

    [Fact]
    public void Should_be_wider_than_the_naive_t_test_because_folds_share_training_data()
    {
        double[] differences = [0.06, 0.02, 0.1, 0.04, 0.08];

        var corrected = CorrectedTTest.Compute(differences, 0.25);
        var naive = CorrectedTTest.Compute(differences, 0);

        Assert.True(corrected.Confidence.Width > naive.Confidence.Width * 1.3);
        Assert.True(corrected.PValue > naive.PValue);
    }

    [Fact]
    public void Should_call_identical_folds_no_difference_and_one_fold_undefined()
    {
        var same = CorrectedTTest.Compute([0.0, 0.0, 0.0], 0.5);
        var single = CorrectedTTest.Compute([0.1], 0.5);

        Assert.Equal(1, same.PValue);
        Assert.True(double.IsNaN(single.PValue));
        Assert.False(single.Confidence.IsDefined);
    }

    [Fact]
    public void Should_adjust_p_values_as_statsmodels_holm()
    {
        foreach (var c in StatisticsReference.Cases("holm"))
            Assert.Equal(c.Doubles("adjusted"), Holm.Adjust(c.Doubles("p")), (a, b) => Math.Abs(a - b) < Tight);
    }

    [Fact]
    public void Should_give_statsmodels_wilson_intervals()
    {
        foreach (var c in StatisticsReference.Cases("wilson"))
        {
            var interval = Wilson.Interval(c.Int("k"), c.Int("n"));
            Assert.Equal(c.Double("lower"), interval.Lower, 1e-9);
            Assert.Equal(c.Double("upper"), interval.Upper, 1e-9);
        }
        Assert.False(Wilson.Interval(0, 0).IsDefined);
    }

    [Fact]
    public void Should_give_scikit_learn_roc_and_pr_curves_with_tied_scores()
    {
        var cases = StatisticsReference.Cases("binary_curves").ToList();
        Assert.Equal(4, cases.Count);
        foreach (var c in cases)
        {
            var scores = c.Doubles("scores");
            var positive = c.Bools("positive");

            var roc = BinaryCurves.Roc(scores, positive);
            var pr = BinaryCurves.PrecisionRecall(scores, positive);

            Assert.Equal(c.Double("auc"), roc.Auc, Tight);
            Assert.Equal(c.Doubles("fpr"), roc.FalsePositiveRate, (a, b) => Math.Abs(a - b) < Tight);
            Assert.Equal(c.Doubles("tpr"), roc.TruePositiveRate, (a, b) => Math.Abs(a - b) < Tight);
            Assert.Equal(c.Double("ap"), pr.AveragePrecision, Tight);
            Assert.Equal(c.Doubles("recall"), pr.Recall, (a, b) => Math.Abs(a - b) < Tight);
            Assert.Equal(c.Doubles("precision"), pr.Precision, (a, b) => Math.Abs(a - b) < Tight);
        }
    }

    [Fact]
    public void Should_leave_auc_and_ap_undefined_without_both_classes()
    {
        Assert.True(double.IsNaN(BinaryCurves.Roc([0.2, 0.9], [true, true]).Auc));
        Assert.True(double.IsNaN(BinaryCurves.PrecisionRecall([0.2, 0.9], [false, false]).AveragePrecision));
    }

    [Fact]
    public void Should_bin_confidence_as_scikit_learn_and_give_numpy_ece_mce_and_brier()
    {
        foreach (var c in StatisticsReference.Cases("calibration"))
        {
            var summary = Calibration.Summarise(c.Ints("truth"), c.Rows("probabilities"));

            Assert.Equal(c.Ints("counts"), summary.Bins.Select(b => b.Count));
            var filled = summary.Bins.Where(b => b.Count > 0).ToList();
            Assert.Equal(c.Doubles("bin_accuracy"), filled.Select(b => b.Accuracy), (a, b) => Math.Abs(a - b) < Tight);
            Assert.Equal(c.Doubles("bin_confidence"), filled.Select(b => b.MeanConfidence), (a, b) => Math.Abs(a - b) < Tight);
            Assert.Equal(c.Double("ece"), summary.Ece, Tight);
            Assert.Equal(c.Double("mce"), summary.Mce, Tight);
            Assert.Equal(c.Double("brier"), summary.Brier, Tight);
        }
    }

    [Fact]
    public void Should_put_a_confidence_on_a_bin_edge_into_the_lower_bin()
    {
        Assert.Equal(0, Calibration.BinOf(0, 10));
        Assert.Equal(0, Calibration.BinOf(0.1, 10));
        Assert.Equal(1, Calibration.BinOf(0.1000001, 10));
        Assert.Equal(9, Calibration.BinOf(1, 10));
    }

    [Fact]
    public void Should_give_scikit_learn_accuracy_and_macro_f1_at_each_coverage()
    {
        foreach (var c in StatisticsReference.Cases("coverage"))
        {
            var expected = c.GetProperty("points").EnumerateArray().ToList();
            var targets = expected.Select(p => p.Double("target")).ToArray();

            var curve = Coverage.Curve(c.Ints("truth"), c.Rows("probabilities"), c.Int("classes"), targets);

            // Targets that answer the same items collapse into one point.
            var distinct = expected.DistinctBy(p => p.Int("answered")).ToList();
            Assert.Equal(distinct.Count, curve.Count);
            for (var i = 0; i < curve.Count; i++)
            {
                Assert.Equal(distinct[i].Int("answered"), curve[i].Answered);
                Assert.Equal(distinct[i].Double("accuracy"), curve[i].Accuracy, Tight);
                Assert.Equal(distinct[i].Double("macro_f1"), curve[i].MacroF1, Tight);
            }
            Assert.Equal(1.0, curve[0].Coverage);
            Assert.True(curve[^1].Accuracy >= curve[0].Accuracy, "answering only the confident items should not lower accuracy on this data");
        }
    }
}
