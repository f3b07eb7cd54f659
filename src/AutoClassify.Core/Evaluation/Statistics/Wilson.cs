using MathNet.Numerics.Distributions;

namespace AutoClassify.Evaluation.Statistics;

/// <summary>Wilson's score interval for a binomial proportion (as statsmodels' <c>proportion_confint(method="wilson")</c>).</summary>
public static class Wilson
{
    /// <summary>The interval of <paramref name="successes"/> out of <paramref name="trials"/>; undefined for no trials.</summary>
    public static Interval Interval(long successes, long trials, double confidence = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, trials);
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence level must lie strictly between 0 and 1.");
        if (trials == 0)
            return Statistics.Interval.Undefined;
        var z = Normal.InvCDF(0, 1, 1 - (1 - confidence) / 2);
        double n = trials, p = successes / n, z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denominator;
        var half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new Interval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
