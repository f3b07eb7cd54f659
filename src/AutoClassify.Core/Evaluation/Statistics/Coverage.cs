using AutoClassify.Models;

namespace AutoClassify.Evaluation.Statistics;

/// <summary>What a model scores when it answers only where its top-class confidence reaches a threshold.</summary>
public sealed class CoveragePoint
{
    /// <summary>The lowest confidence still answered.</summary>
    public double Threshold { get; set; }

    /// <summary>Share of items answered.</summary>
    public double Coverage { get; set; }

    public int Answered { get; set; }

    /// <summary>Accuracy on the answered items.</summary>
    public double Accuracy { get; set; }

    /// <summary>Macro-F1 on the answered items, over the classes present among them.</summary>
    public double MacroF1 { get; set; }
}

/// <summary>
/// Accuracy and macro-F1 against coverage (a risk-coverage curve): items are answered from the most confident down;
/// items tied on confidence are answered together, so a point's coverage may exceed its target.
/// </summary>
public static class Coverage
{
    /// <summary>Coverage targets reported unless told otherwise: 100 % down to 10 % in steps of 5 %.</summary>
    public static IReadOnlyList<double> DefaultTargets { get; } = Enumerable.Range(0, 19).Select(i => 1 - 0.05 * i).ToArray();

    /// <summary>One point per target coverage: answer the ⌈target·N⌉ most confident items and every item tied with the last.</summary>
    public static List<CoveragePoint> Curve(IReadOnlyList<int> truth, IReadOnlyList<double[]> probabilities, int classCount, IReadOnlyList<double>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (truth.Count != probabilities.Count)
            throw new ArgumentException($"{truth.Count} labels but {probabilities.Count} probability rows.");
        var n = truth.Count;
        var points = new List<CoveragePoint>();
        if (n == 0)
            return points;
        var predicted = probabilities.Select(r => ModelResultBuilder.Decide(r)).ToArray();
        var confidence = probabilities.Select((r, i) => r[predicted[i]]).ToArray();
        var order = Enumerable.Range(0, n).OrderByDescending(i => confidence[i]).ThenBy(i => i).ToArray();
        foreach (var target in targets ?? DefaultTargets)
        {
            var wanted = Math.Clamp((int)Math.Ceiling(target * n - 1e-9), 1, n);
            var threshold = confidence[order[wanted - 1]];
            var kept = order.Where(i => confidence[i] >= threshold).ToArray();
            if (points.Count > 0 && points[^1].Answered == kept.Length)
                continue;
            var metrics = ClassificationMetrics.FromConfusion(ConfusionMatrix.FromPredictions(
                kept.Select(i => truth[i]).ToArray(), kept.Select(i => predicted[i]).ToArray(), classCount));
            points.Add(new CoveragePoint
            {
                Threshold = threshold,
                Coverage = (double)kept.Length / n,
                Answered = kept.Length,
                Accuracy = metrics.Accuracy,
                MacroF1 = metrics.MacroF1,
            });
        }
        return points;
    }
}
