namespace AutoClassify.Evaluation.Statistics;

/// <summary>One bin of a reliability diagram.</summary>
public sealed class ReliabilityBin
{
    /// <summary>Confidence range of the bin, (Lower, Upper]; the first bin also holds 0.</summary>
    public double Lower { get; set; }

    public double Upper { get; set; }

    public int Count { get; set; }

    /// <summary>Mean confidence of the bin's items; NaN when empty.</summary>
    public double MeanConfidence { get; set; }

    /// <summary>Share of the bin's items predicted correctly; NaN when empty.</summary>
    public double Accuracy { get; set; }
}

/// <summary>How well a model's confidence matches how often it is right.</summary>
public sealed class CalibrationSummary
{
    public List<ReliabilityBin> Bins { get; set; } = [];

    /// <summary>Expected calibration error: Σ (n_b / N) |accuracy_b − confidence_b| over the bins.</summary>
    public double Ece { get; set; }

    /// <summary>Maximum calibration error: the largest |accuracy_b − confidence_b| over non-empty bins.</summary>
    public double Mce { get; set; }

    /// <summary>Multi-class Brier score: mean over items of Σ_k (p_k − [k = true])²; 0 is perfect, 2 the worst.</summary>
    public double Brier { get; set; }
}

/// <summary>
/// Reliability of top-class confidence: each item's confidence is its highest probability, and it counts as correct
/// when that class (the argmax decision) is the true one. Bins split [0, 1] into equal widths, closed on the right
/// (as scikit-learn's <c>calibration_curve</c>).
/// </summary>
public static class Calibration
{
    public const int DefaultBins = 10;

    public static CalibrationSummary Summarise(IReadOnlyList<int> truth, IReadOnlyList<double[]> probabilities, int bins = DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (truth.Count != probabilities.Count)
            throw new ArgumentException($"{truth.Count} labels but {probabilities.Count} probability rows.");
        var counts = new int[bins];
        var confidenceSums = new double[bins];
        var correct = new int[bins];
        double brier = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            var row = probabilities[i];
            var predicted = ModelResultBuilder.Decide(row);
            var confidence = row[predicted];
            var b = BinOf(confidence, bins);
            counts[b]++;
            confidenceSums[b] += confidence;
            if (predicted == truth[i])
                correct[b]++;
            for (var k = 0; k < row.Length; k++)
            {
                var target = k == truth[i] ? 1.0 : 0.0;
                brier += (row[k] - target) * (row[k] - target);
            }
        }
        var summary = new CalibrationSummary { Brier = truth.Count == 0 ? double.NaN : brier / truth.Count };
        double ece = 0, mce = 0;
        for (var b = 0; b < bins; b++)
        {
            var bin = new ReliabilityBin
            {
                Lower = (double)b / bins,
                Upper = (double)(b + 1) / bins,
                Count = counts[b],
                MeanConfidence = counts[b] == 0 ? double.NaN : confidenceSums[b] / counts[b],
                Accuracy = counts[b] == 0 ? double.NaN : (double)correct[b] / counts[b],
            };
            summary.Bins.Add(bin);
            if (counts[b] == 0)
                continue;
            var gap = Math.Abs(bin.Accuracy - bin.MeanConfidence);
            ece += gap * counts[b] / truth.Count;
            mce = Math.Max(mce, gap);
        }
        summary.Ece = truth.Count == 0 ? double.NaN : ece;
        summary.Mce = truth.Count == 0 ? double.NaN : mce;
        return summary;
    }

    /// <summary>The bin of a confidence: b such that b/B &lt; c ≤ (b+1)/B, and bin 0 for c = 0.</summary>
    public static int BinOf(double confidence, int bins)
    {
        var b = 0;
        while (b < bins - 1 && confidence > (double)(b + 1) / bins)
            b++;
        return b;
    }
}
