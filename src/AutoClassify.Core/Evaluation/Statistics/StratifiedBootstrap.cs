using AutoClassify.IO;

namespace AutoClassify.Evaluation.Statistics;

/// <summary>
/// A seeded stratified bootstrap: every replicate redraws, with replacement, as many items of each stratum (true
/// class) as the stratum holds, so class shares stay fixed as in stratified cross-validation. Intervals are the
/// percentile intervals of the replicates. The same seed draws the same replicates, so two models resampled with one
/// bootstrap are resampled alike.
/// </summary>
public sealed class StratifiedBootstrap
{
    /// <summary>Replicates drawn unless told otherwise.</summary>
    public const int DefaultReplicates = 2000;

    readonly int[][] _strata;
    readonly int _count;

    /// <param name="strata">The stratum (true class) of every item.</param>
    /// <param name="replicates">B, the number of resamples.</param>
    /// <param name="seed">Seed of the resampling.</param>
    public StratifiedBootstrap(IReadOnlyList<int> strata, int replicates = DefaultReplicates, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(strata);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicates, 1);
        if (strata.Count == 0)
            throw new ArgumentException("The bootstrap needs at least one item.", nameof(strata));
        _strata = Enumerable.Range(0, strata.Count).GroupBy(i => strata[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        _count = strata.Count;
        Replicates = replicates;
        Seed = seed;
    }

    public int Replicates { get; }

    public int Seed { get; }

    /// <summary>
    /// Percentile intervals of the statistics <paramref name="statistics"/> computes from a resample's item indices
    /// (one value per statistic, the same number every call). Replicates where a statistic is NaN are left out of its interval.
    /// </summary>
    public Interval[] Percentile(Func<int[], double[]> statistics, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence level must lie strictly between 0 and 1.");
        List<double>[]? values = null;
        foreach (var sample in Samples())
        {
            var figures = statistics(sample);
            values ??= figures.Select(_ => new List<double>(Replicates)).ToArray();
            if (figures.Length != values.Length)
                throw new InvalidOperationException($"The bootstrap statistic returned {figures.Length} values after {values.Length} before.");
            for (var s = 0; s < figures.Length; s++)
            {
                if (!double.IsNaN(figures[s]))
                    values[s].Add(figures[s]);
            }
        }
        var tail = (1 - confidence) / 2;
        return values!.Select(v =>
        {
            if (v.Count == 0)
                return Interval.Undefined;
            var sorted = v.Order().ToArray();
            return new Interval(OrderStatistics.Quantile(sorted, tail), OrderStatistics.Quantile(sorted, 1 - tail));
        }).ToArray();
    }

    /// <summary>The item indices of every replicate, in order; the same sequence for the same seed.</summary>
    public IEnumerable<int[]> Samples()
    {
        var random = new Random(Seed);
        for (var b = 0; b < Replicates; b++)
        {
            var sample = new int[_count];
            var at = 0;
            foreach (var stratum in _strata)
            {
                for (var i = 0; i < stratum.Length; i++)
                    sample[at++] = stratum[random.Next(stratum.Length)];
            }
            yield return sample;
        }
    }
}
