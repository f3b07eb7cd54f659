using AutoClassify.Evaluation;

namespace AutoClassify.Tests.Evaluation;

public class AggregatedMetricsTests
{
    const double Tolerance = 1e-9;

    // Three folds (classes A, B, C); fold 3 holds four A images so pooled and fold-averaged rates differ.
    static IReadOnlyList<ClassificationMetrics> HandFolds() =>
    [
        ClassificationMetrics.Compute([0, 0, 1, 1, 2, 2], [0, 0, 1, 0, 2, 2], null, 3),             // accuracy 5/6
        ClassificationMetrics.Compute([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], null, 3),             // accuracy 4/6
        ClassificationMetrics.Compute([0, 0, 0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 1, 2, 2, 0], null, 3), // accuracy 4/8
    ];

    [Fact]
    public void Should_give_the_mean_and_sample_sd_across_folds()
    {
        // When
        var a = AggregatedMetrics.FromFolds(HandFolds());

        // Then: accuracies 5/6, 4/6, 3/6 have mean 2/3 and sample SD 1/6
        Assert.Equal(3, a.Folds);
        Assert.Equal(0.6666666667, a.Accuracy.Mean, Tolerance);
        Assert.Equal(0.1666666667, a.Accuracy.Sd, Tolerance);
        Assert.Equal(3, a.Accuracy.Count);

        // TPR of A per fold 1, 1/2, 1/2: mean 2/3, SD sqrt(((1/3)^2 + 2 (1/6)^2) / 2) = sqrt(1/12)
        Assert.Equal(0.6666666667, a.PerClass[0].Tpr.Mean, Tolerance);
        Assert.Equal(0.2886751346, a.PerClass[0].Tpr.Sd, Tolerance);

        // Support of A per fold 2, 2, 4
        Assert.Equal(8, a.PerClass[0].TotalSupport);
        Assert.Equal(2.6666666667, a.PerClass[0].Support.Mean, Tolerance);
        Assert.Equal(1.1547005384, a.PerClass[0].Support.Sd, Tolerance);
    }

    [Fact]
    public void Should_sum_raw_counts_and_average_the_row_normalised_matrices()
    {
        var a = AggregatedMetrics.FromFolds(HandFolds());

        // Raw counts summed by hand over the three folds
        Assert.Equal([[5L, 3, 0], [1L, 4, 1], [2L, 0, 4]], a.ConfusionSum);

        // Fold rows of A: (1, 0, 0), (1/2, 1/2, 0), (1/2, 1/2, 0): mean (2/3, 1/3, 0), unlike the pooled 5/8, 3/8
        double[][] expected = [[2.0 / 3, 1.0 / 3, 0], [1.0 / 6, 2.0 / 3, 1.0 / 6], [1.0 / 3, 0, 2.0 / 3]];
        for (var t = 0; t < 3; t++)
        {
            for (var p = 0; p < 3; p++)
                Assert.Equal(expected[t][p], a.ConfusionRowNormalizedMean[t][p], Tolerance);
        }
    }

    [Fact]
    public void Should_leave_sd_undefined_for_a_single_value_and_propagate_nan()
    {
        var one = MeanSd.Of([0.5]);
        Assert.Equal(0.5, one.Mean);
        Assert.True(double.IsNaN(one.Sd));

        var withNaN = MeanSd.Of([0.5, double.NaN]);
        Assert.True(double.IsNaN(withNaN.Mean));
    }

    [Fact]
    public void Should_collect_figures_undefined_in_any_fold()
    {
        var folds = new[]
        {
            ClassificationMetrics.Compute([0, 1, 2], [0, 1, 2], null, 3),
            ClassificationMetrics.Compute([0, 1, 2], [0, 1, 1], null, 3),
        };

        var a = AggregatedMetrics.FromFolds(folds);

        Assert.Equal(["PPV"], a.PerClass[2].UndefinedInSomeFold);
        Assert.Equal(0.5, a.PerClass[2].Ppv.Mean, Tolerance);
    }
}
