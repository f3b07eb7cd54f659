using MathNet.Numerics.Distributions;

namespace AutoClassify.Evaluation.Statistics;

/// <summary>The outcome of a corrected resampled t-test on per-fold differences (first minus second).</summary>
public readonly record struct CorrectedTTestResult(double MeanDifference, double T, int DegreesOfFreedom, double PValue, Interval Confidence);

/// <summary>
/// Nadeau and Bengio's corrected resampled t-test (Machine Learning 52, 2003): the folds of a cross-validation share
/// training data, so the variance of the mean difference is inflated from s²/J to (1/J + n_test/n_train)·s² before the
/// usual t-test with J − 1 degrees of freedom.
/// </summary>
public static class CorrectedTTest
{
    /// <summary>Tests whether the mean of <paramref name="differences"/> (one per fold) is zero.</summary>
    /// <param name="differences">Per-fold differences of a figure, first model minus second.</param>
    /// <param name="testTrainRatio">Test items over training items in a fold (1/(k−1) for k-fold).</param>
    /// <param name="confidence">Level of the interval of the mean difference.</param>
    public static CorrectedTTestResult Compute(IReadOnlyList<double> differences, double testTrainRatio, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(differences);
        if (!(testTrainRatio >= 0 && double.IsFinite(testTrainRatio)))
            throw new ArgumentOutOfRangeException(nameof(testTrainRatio), testTrainRatio, "The test/train ratio must be a finite number ≥ 0.");
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence level must lie strictly between 0 and 1.");
        var j = differences.Count;
        if (j < 2 || differences.Any(d => !double.IsFinite(d)))
            return new CorrectedTTestResult(j == 0 ? double.NaN : differences.Average(), double.NaN, Math.Max(0, j - 1), double.NaN, Interval.Undefined);

        var mean = differences.Average();
        var variance = differences.Sum(d => (d - mean) * (d - mean)) / (j - 1);
        var se = Math.Sqrt((1.0 / j + testTrainRatio) * variance);
        var df = j - 1;
        if (se == 0)
        {
            // Every fold differs by the same amount: no spread to test against, so a zero difference is certain and any other is too.
            return new CorrectedTTestResult(mean, mean == 0 ? 0 : Math.CopySign(double.PositiveInfinity, mean), df, mean == 0 ? 1 : 0, new Interval(mean, mean));
        }
        var t = mean / se;
        var p = 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));
        var q = StudentT.InvCDF(0, 1, df, 1 - (1 - confidence) / 2);
        return new CorrectedTTestResult(mean, t, df, Math.Min(1, p), new Interval(mean - q * se, mean + q * se));
    }
}
