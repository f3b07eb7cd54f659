using System.Globalization;
using AutoClassify.Evaluation.Statistics;

namespace AutoClassify.Packaging;

/// <summary>A derived threshold of one class and what it is expected to do on new images.</summary>
public sealed class ThresholdEstimate
{
    public double TargetPrecision { get; init; }

    /// <summary>The stored threshold; 1 when the target was out of reach (the class then abstains unless certain).</summary>
    public double Threshold { get; init; }

    /// <summary>Share of the class's predictions answered, from cross-fitting on the validation split.</summary>
    public double ExpectedCoverage { get; init; }

    /// <summary>Precision of the answered predictions, from cross-fitting on the validation split.</summary>
    public double ExpectedPrecision { get; init; }

    /// <summary>Validation predictions of the class the estimate rests on.</summary>
    public long Predictions { get; init; }
}

/// <summary>
/// <c>train --threshold auto:P</c>: per class, the lowest confidence at which the validation split's predictions of
/// that class reach precision P. The expected coverage and precision come from cross-fitting on the split (thresholds
/// chosen on four fifths, applied to the fifth left out), so they are not the flattering figures of the split that chose them.
/// </summary>
public static class AutoThresholds
{
    /// <summary>Parts the validation split is cut into to check its own thresholds.</summary>
    public const int CrossFitParts = 5;

    public static Dictionary<string, ThresholdEstimate> Choose(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<double[]> probabilities,
        IReadOnlyList<string> classNames, double target, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(classNames);
        var confidence = probabilities.Select((row, i) => row[predicted[i]]).ToArray();
        // Deal each class's items round-robin into the parts, so every part holds each class's share.
        var parts = new int[truth.Count];
        var seen = new Dictionary<int, int>();
        for (var i = 0; i < truth.Count; i++)
        {
            seen[truth[i]] = seen.GetValueOrDefault(truth[i]) + 1;
            parts[i] = (seen[truth[i]] - 1) % CrossFitParts;
        }
        var result = new Dictionary<string, ThresholdEstimate>(StringComparer.Ordinal);
        var inv = CultureInfo.InvariantCulture;
        for (var k = 0; k < classNames.Count; k++)
        {
            var t = PrecisionThresholds.CrossValidate(truth, predicted, confidence, parts, k, target);
            var reachable = !double.IsNaN(t.Threshold);
            result[classNames[k]] = new ThresholdEstimate
            {
                TargetPrecision = target,
                Threshold = reachable ? t.Threshold : 1,
                ExpectedCoverage = t.Coverage,
                ExpectedPrecision = t.Precision,
                Predictions = t.Predicted,
            };
            log?.Invoke(reachable
                ? string.Create(inv, $"threshold for '{classNames[k]}' at precision {target:F2}: {t.Threshold:F3}; expected coverage {t.Coverage:P0} of its predictions, precision {t.Precision:F3} (cross-fitted on {t.Predicted} validation predictions)")
                : string.Create(inv, $"warning: no threshold reaches precision {target:F2} for '{classNames[k]}' on the validation split ({t.Predicted} predictions); it is set to 1, so that class abstains unless certain"));
        }
        return result;
    }
}
