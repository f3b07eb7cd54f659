using MathNet.Numerics.Distributions;

namespace AutoClassify.Evaluation.Statistics;

/// <summary>The outcome of McNemar's exact test on two classifiers' paired predictions.</summary>
/// <param name="OnlyFirstCorrect">Items the first model got right and the second wrong.</param>
/// <param name="OnlySecondCorrect">Items the second model got right and the first wrong.</param>
/// <param name="PValue">Two-sided exact p-value.</param>
public readonly record struct McNemarResult(int OnlyFirstCorrect, int OnlySecondCorrect, double PValue)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public int Discordant => OnlyFirstCorrect + OnlySecondCorrect;
}

/// <summary>
/// McNemar's exact test: under the null hypothesis both models err equally often, so each discordant item is a fair
/// coin. The two-sided p-value is twice the binomial tail of the smaller discordant count, capped at 1
/// (as statsmodels' <c>mcnemar(exact=True)</c>).
/// </summary>
public static class McNemar
{
    /// <summary>The test from the two discordant counts.</summary>
    public static McNemarResult Exact(int onlyFirstCorrect, int onlySecondCorrect)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onlyFirstCorrect);
        ArgumentOutOfRangeException.ThrowIfNegative(onlySecondCorrect);
        var n = onlyFirstCorrect + onlySecondCorrect;
        var p = n == 0 ? 1.0 : Math.Min(1.0, 2 * Binomial.CDF(0.5, n, Math.Min(onlyFirstCorrect, onlySecondCorrect)));
        return new McNemarResult(onlyFirstCorrect, onlySecondCorrect, p);
    }

    /// <summary>The test on paired predictions of the same items.</summary>
    public static McNemarResult Exact(IReadOnlyList<int> truth, IReadOnlyList<int> first, IReadOnlyList<int> second)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != truth.Count || second.Count != truth.Count)
            throw new ArgumentException($"McNemar needs paired predictions: {truth.Count} labels, {first.Count} and {second.Count} predictions.");
        int b = 0, c = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            var firstRight = first[i] == truth[i];
            var secondRight = second[i] == truth[i];
            if (firstRight && !secondRight)
                b++;
            else if (secondRight && !firstRight)
                c++;
        }
        return Exact(b, c);
    }
}
