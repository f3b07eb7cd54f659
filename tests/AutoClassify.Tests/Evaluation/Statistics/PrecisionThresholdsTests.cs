using AutoClassify.Evaluation.Statistics;

namespace AutoClassify.Tests.Evaluation.Statistics;

public class PrecisionThresholdsTests
{
    [Fact]
    public void Should_choose_the_lowest_confidence_that_keeps_the_target_precision()
    {
        // Given predictions of one class, most confident first: right, right, wrong, right, right, wrong, right
        double[] confidence = [0.99, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6];
        bool[] correct = [true, true, false, true, true, false, true];

        // Then precision at each cut is 1, 1, 2/3, 3/4, 4/5, 4/6, 5/7
        Assert.Equal(0.8, PrecisionThresholds.Choose(confidence, correct, 0.8));
        Assert.Equal(0.95, PrecisionThresholds.Choose(confidence, correct, 0.85));
        Assert.Equal(0.95, PrecisionThresholds.Choose(confidence, correct, 0.95));
        Assert.Equal(0.6, PrecisionThresholds.Choose(confidence, correct, 0.7));
        Assert.True(double.IsNaN(PrecisionThresholds.Choose([0.9, 0.8], [false, true], 0.95)));
    }

    [Fact]
    public void Should_not_split_tied_confidences()
    {
        // A wrong and a right item share 0.9: a threshold of 0.9 keeps both (precision 2/3), so 0.95 is the cut for 0.9
        Assert.Equal(0.95, PrecisionThresholds.Choose([0.95, 0.9, 0.9], [true, false, true], 0.9));
    }

    [Fact]
    public void Should_choose_each_folds_threshold_without_looking_at_that_fold()
    {
        // Given 3 folds of predictions of class 1
        var random = new Random(4);
        var n = 90;
        var folds = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        var truth = Enumerable.Range(0, n).Select(_ => random.NextDouble() < 0.7 ? 1 : 0).ToArray();
        var predicted = Enumerable.Repeat(1, n).ToArray();
        var confidence = truth.Select(t => Math.Round(0.5 + 0.5 * random.NextDouble() * (t == 1 ? 1 : 0.6), 3)).ToArray();

        // When fold 0's items change, then only the thresholds chosen with fold 0 among the training folds change
        var before = PrecisionThresholds.CrossValidate(truth, predicted, confidence, folds, 1, 0.9);
        var changed = (double[])confidence.Clone();
        for (var i = 0; i < n; i += 3)
            changed[i] = truth[i] == 0 ? 0.99 : 0.51;
        var after = PrecisionThresholds.CrossValidate(truth, predicted, changed, folds, 1, 0.9);

        Assert.Equal(before.FoldThresholds[0], after.FoldThresholds[0]);
        Assert.NotEqual(before.FoldThresholds[1], after.FoldThresholds[1]);
        Assert.Equal(n, before.Predicted);
        Assert.Equal(before.Answered / (double)n, before.Coverage, 1e-12);
        Assert.InRange(before.Precision, 0.8, 1.0);
        Assert.True(before.PrecisionInterval.Contains(before.Precision));
        // Held-out items are scored against their own fold's threshold.
        var expectedAnswered = Enumerable.Range(0, n).Count(i => confidence[i] >= before.FoldThresholds[folds[i]]);
        Assert.Equal(expectedAnswered, before.Answered);
    }
}
