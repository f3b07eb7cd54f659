using AutoClassify.IO;
using AutoClassify.Models.Segmenters;

namespace AutoClassify.Evaluation.Segmentation;

/// <summary>Objects matched one to one at IoU ≥ the threshold, and what follows from the matching.</summary>
public sealed record InstanceMatch(int TrueCount, int PredictedCount, int Matched, double MeanMatchedIoU)
{
    /// <summary>Matched share of the predicted objects; NaN when nothing was predicted.</summary>
    public double Precision => PredictedCount == 0 ? double.NaN : (double)Matched / PredictedCount;

    /// <summary>Matched share of the true objects; NaN when there is none.</summary>
    public double Recall => TrueCount == 0 ? double.NaN : (double)Matched / TrueCount;

    /// <summary>2·matched / (true + predicted); NaN when both are empty.</summary>
    public double F1 => TrueCount + PredictedCount == 0 ? double.NaN : 2.0 * Matched / (TrueCount + PredictedCount);
}

/// <summary>Instance matching of two id maps (0 = background).</summary>
public static class InstanceScores
{
    /// <summary>
    /// Pairs true and predicted objects greedily by descending IoU, each at most once, keeping pairs with IoU ≥
    /// <paramref name="threshold"/> (above 0.5 every object has at most one candidate, so greedy is optimal there).
    /// </summary>
    public static InstanceMatch Match(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, double threshold = 0.5)
    {
        PixelScores.CheckSameLength(truth.Length, predicted.Length);
        if (!(threshold > 0 && threshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "IoU threshold must lie in (0, 1].");
        var tArea = new Dictionary<int, long>();
        var pArea = new Dictionary<int, long>();
        var overlap = new Dictionary<(int T, int P), long>();
        for (var i = 0; i < truth.Length; i++)
        {
            int t = truth[i], p = predicted[i];
            if (t != 0)
                tArea[t] = tArea.GetValueOrDefault(t) + 1;
            if (p != 0)
                pArea[p] = pArea.GetValueOrDefault(p) + 1;
            if (t != 0 && p != 0)
                overlap[(t, p)] = overlap.GetValueOrDefault((t, p)) + 1;
        }
        var candidates = overlap
            .Select(o => (o.Key.T, o.Key.P, IoU: (double)o.Value / (tArea[o.Key.T] + pArea[o.Key.P] - o.Value)))
            .Where(c => c.IoU >= threshold)
            .OrderByDescending(c => c.IoU).ThenBy(c => c.T).ThenBy(c => c.P)
            .ToList();
        var usedT = new HashSet<int>();
        var usedP = new HashSet<int>();
        var sum = 0.0;
        foreach (var (t, p, iou) in candidates)
        {
            if (usedT.Contains(t) || usedP.Contains(p))
                continue;
            usedT.Add(t);
            usedP.Add(p);
            sum += iou;
        }
        var matched = usedT.Count;
        return new InstanceMatch(tArea.Count, pArea.Count, matched, matched == 0 ? double.NaN : sum / matched);
    }
}

/// <summary>How far a predicted size distribution lies from the true one.</summary>
public sealed record SizeComparison(int TrueCount, int PredictedCount, double KolmogorovSmirnov, double Wasserstein, double TrueMedian, double PredictedMedian)
{
    /// <summary>|predicted median − true median| / true median; NaN when either side is empty.</summary>
    public double MedianRelativeError => TrueCount == 0 || PredictedCount == 0 || TrueMedian == 0
        ? double.NaN
        : Math.Abs(PredictedMedian - TrueMedian) / TrueMedian;
}

/// <summary>Particle-size statistics: equivalent diameters and two-sample distances between their distributions.</summary>
public static class SizeDistributions
{
    /// <summary>
    /// Equivalent diameters √(4A/π) of the objects of an id map (0 = background) that do not touch the image border,
    /// in pixels times <paramref name="scale"/>, ascending.
    /// </summary>
    public static double[] EquivalentDiameters(ReadOnlySpan<int> ids, int width, int height, double scale = 1)
    {
        if (ids.Length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} ids, got {ids.Length}.");
        return [.. ObjectScaling.Areas(ids, width, height).Values.Where(o => !o.AtBorder).Select(o => Math.Sqrt(4 * o.Area / Math.PI) * scale).Order()];
    }

    /// <summary>Compares two samples of sizes: KS statistic, Wasserstein-1 distance, medians.</summary>
    public static SizeComparison Compare(IReadOnlyList<double> truth, IReadOnlyList<double> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        var t = truth.Order().ToArray();
        var p = predicted.Order().ToArray();
        var empty = t.Length == 0 || p.Length == 0;
        return new SizeComparison(t.Length, p.Length,
            empty ? double.NaN : KolmogorovSmirnov(t, p),
            empty ? double.NaN : Wasserstein(t, p),
            OrderStatistics.Median(t), OrderStatistics.Median(p));
    }

    /// <summary>Two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs (ascending inputs).</summary>
    public static double KolmogorovSmirnov(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.IsEmpty || b.IsEmpty)
            return double.NaN;
        int i = 0, j = 0;
        var d = 0.0;
        while (i < a.Length && j < b.Length)
        {
            var x = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] <= x)
                i++;
            while (j < b.Length && b[j] <= x)
                j++;
            d = Math.Max(d, Math.Abs(((double)i / a.Length) - ((double)j / b.Length)));
        }
        return d;
    }

    /// <summary>Wasserstein-1 distance of two empirical distributions: ∫|F_a − F_b| dx (ascending inputs).</summary>
    public static double Wasserstein(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.IsEmpty || b.IsEmpty)
            return double.NaN;
        int i = 0, j = 0;
        var distance = 0.0;
        var x = Math.Min(a[0], b[0]);
        while (i < a.Length || j < b.Length)
        {
            var next = Math.Min(i < a.Length ? a[i] : double.PositiveInfinity, j < b.Length ? b[j] : double.PositiveInfinity);
            distance += Math.Abs(((double)i / a.Length) - ((double)j / b.Length)) * (next - x);
            x = next;
            while (i < a.Length && a[i] <= x)
                i++;
            while (j < b.Length && b[j] <= x)
                j++;
        }
        return distance;
    }

}
