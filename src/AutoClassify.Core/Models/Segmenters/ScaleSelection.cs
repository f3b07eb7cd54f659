using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// What a U-Net with object scaling knows of one pass at a resize factor: the factor, the median equivalent diameter
/// of the objects found (working pixels; null without objects), the spread of their sizes (interquartile range of
/// log diameters; null with fewer than two whole objects), and the network's confidence in the pixels it calls objects.
/// </summary>
public readonly record struct ScaleRung(double Factor, double? MedianDiameter, double? SizeSpread, double Confidence);

/// <summary>
/// How prediction picks a rung of the ladder of resize factors. A rung qualifies when its objects' median diameter
/// lies within 1.5× of the object size; among those the lowest score wins: <see cref="DriftWeight"/> × the mean
/// change (log ratio) of the objects' median size in image pixels to the neighbouring rungs (real particles keep their
/// size when the image is resized; fragments cut at the network's own scale and merged clusters do not), plus
/// <see cref="SpreadWeight"/> × the spread of their sizes, minus <see cref="ConfidenceWeight"/> × the network's
/// confidence. A ladder with no such rung takes the one whose objects come closest to the size. Given an estimate of
/// the factor that does not come from the network's passes, <see cref="EstimateWeight"/> × a rung's distance from it
/// (absolute log ratio) is added to the score.
/// </summary>
public sealed record ScaleSelection
{
    /// <summary>The weights used when a package names none (format-3 packages written before they were stored).</summary>
    public static ScaleSelection Default { get; } = new();

    public double DriftWeight { get; init; } = 1;

    public double SpreadWeight { get; init; } = 0.5;

    public double ConfidenceWeight { get; init; } = 2;

    /// <summary>
    /// The weight of an independent estimate of the factor, when <see cref="Choose"/> is given one; 0, the default,
    /// ignores it, and packages written without it leave it out.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double EstimateWeight { get; init; }

    /// <summary>The spread assumed for a rung with fewer than two whole objects.</summary>
    const double UnknownSpread = 0.5;

    /// <summary>What makes these weights unusable, or null.</summary>
    public string? FindProblem() =>
        new[] { DriftWeight, SpreadWeight, ConfidenceWeight, EstimateWeight }.All(w => w >= 0 && double.IsFinite(w))
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"the selection weights must be finite and non-negative, got drift {DriftWeight}, spread {SpreadWeight}, confidence {ConfidenceWeight}, estimate {EstimateWeight}");

    /// <summary>
    /// The index of the rung of <paramref name="ladder"/> (in the order of its factors) these weights pick for objects
    /// of <paramref name="objectSize"/> pixels, drawn towards <paramref name="estimatedFactor"/> when one is given.
    /// </summary>
    public int Choose(IReadOnlyList<ScaleRung> ladder, int objectSize, double? estimatedFactor = null)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        if (ladder.Count == 0)
            throw new ArgumentException("The ladder has no rung.", nameof(ladder));
        if (estimatedFactor is { } estimate && !(estimate > 0 && double.IsFinite(estimate)))
            throw new ArgumentOutOfRangeException(nameof(estimatedFactor), estimate, "An estimated factor must be positive and finite.");
        var best = -1;
        var bestScore = double.PositiveInfinity;
        for (var i = 0; i < ladder.Count; i++)
        {
            var rung = ladder[i];
            if (Mismatch(rung, objectSize) >= Math.Log(1.5))
                continue;
            var size = rung.MedianDiameter!.Value / rung.Factor;
            double drift = 0;
            var neighbours = 0;
            foreach (var j in (ReadOnlySpan<int>)[i - 1, i + 1])
            {
                if (j >= 0 && j < ladder.Count && ladder[j].MedianDiameter is { } d)
                {
                    drift += Math.Abs(Math.Log(d / ladder[j].Factor / size));
                    neighbours++;
                }
            }
            if (neighbours == 0)
                continue;
            var score = (DriftWeight * drift / neighbours) + (SpreadWeight * (rung.SizeSpread ?? UnknownSpread)) - (ConfidenceWeight * rung.Confidence);
            if (estimatedFactor is { } factor && EstimateWeight > 0)
                score += EstimateWeight * Math.Abs(Math.Log(rung.Factor / factor));
            if (score < bestScore)
                (best, bestScore) = (i, score);
        }
        if (best >= 0)
            return best;
        var closest = 0;
        for (var i = 1; i < ladder.Count; i++)
        {
            if (Mismatch(ladder[i], objectSize) < Mismatch(ladder[closest], objectSize))
                closest = i;
        }
        return closest;
    }

    /// <summary>The weights as facts for reports.</summary>
    public string Summary() =>
        string.Create(CultureInfo.InvariantCulture, $"drift {DriftWeight:G3}, spread {SpreadWeight:G3}, confidence {ConfidenceWeight:G3}{(EstimateWeight > 0 ? $", estimate {EstimateWeight:G3}" : "")}");

    static double Mismatch(ScaleRung rung, int objectSize) =>
        rung.MedianDiameter is { } d ? Math.Abs(Math.Log(d / objectSize)) : double.PositiveInfinity;
}

/// <summary>The candidate weights <see cref="ScaleSelectionTuner"/> tries: every combination.</summary>
public sealed record ScaleSelectionGrid
{
    public IReadOnlyList<double> DriftWeights { get; init; } = [0, 1];

    public IReadOnlyList<double> SpreadWeights { get; init; } = [0, 0.25, 0.5, 1];

    public IReadOnlyList<double> ConfidenceWeights { get; init; } = [0, 1, 2, 4, 8];

    public int Count => DriftWeights.Count * SpreadWeights.Count * ConfidenceWeights.Count;
}

/// <summary>One validation image's ladder as the tuner sees it: each rung, and the instance F1 of its objects against the truth (NaN where neither has an object).</summary>
public sealed record ScaleTuningImage(IReadOnlyList<ScaleRung> Ladder, IReadOnlyList<double> F1);

/// <summary>What the tuner chose, and the mean validation F1 of its choice and of the alternatives.</summary>
/// <param name="Chosen">The weights to use: <see cref="Best"/>, or <see cref="ScaleSelection.Default"/> when the best's gain is within noise.</param>
/// <param name="F1">The chosen weights' mean instance F1 over the validation images.</param>
/// <param name="Best">The candidate with the highest mean F1.</param>
/// <param name="BestF1">Its mean F1.</param>
/// <param name="DefaultF1">The default weights' mean F1.</param>
/// <param name="Gain">The best's mean paired gain in F1 over the default, per image.</param>
/// <param name="GainError">The standard error of that gain; the best is kept only when the gain exceeds twice it.</param>
/// <param name="BestRungF1">The mean F1 of every image's best rung: the most any weights could give.</param>
/// <param name="Candidates">Settings tried.</param>
/// <param name="Images">Validation images.</param>
public sealed record ScaleTuningResult(ScaleSelection Chosen, double F1, ScaleSelection Best, double BestF1, double DefaultF1, double Gain, double GainError,
    double BestRungF1, int Candidates, int Images)
{
    /// <summary>The choice and how it was made, as facts for reports (<c>scale_selection</c> keys).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        return
        [
            new("scale_selection", Chosen.Summary()),
            new("scale_selection_tuned_on", string.Create(inv, $"{Images} validation image(s), {Candidates} settings")),
            new("scale_selection_validation_f1", F1.ToString("F4", inv)),
            new("scale_selection_default_validation_f1", DefaultF1.ToString("F4", inv)),
            new("scale_selection_best_candidate", string.Create(inv,
                $"{Best.Summary()}: F1 {BestF1:F4}, paired gain {Gain:F4} ± {GainError:F4} (SE); {(ReferenceEquals(Chosen, Best) ? "taken" : "within noise, default kept")}")),
            new("scale_selection_best_rung_validation_f1", BestRungF1.ToString("F4", inv)),
        ];
    }
}

/// <summary>
/// Picks the scale-selection weights by grid search on validation images, as <see cref="InstancePostProcessingTuner"/>
/// picks the post-processing: every candidate chooses a rung of each image's ladder, and the one whose choices have the
/// highest mean instance F1 is the best. The best replaces <see cref="ScaleSelection.Default"/> (tried first, so it
/// keeps ties) only when its paired gain over the default, image by image, exceeds twice its standard error: the best
/// of 40 candidates on a score of a few dozen images beats the default by chance alone, and on emps-particles such
/// gains did not carry over to test images. Give it images the network was not fitted on, never test images.
/// </summary>
public static class ScaleSelectionTuner
{
    public static ScaleTuningResult Tune(IReadOnlyList<ScaleTuningImage> validation, int objectSize, ScaleSelectionGrid? grid = null)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.Count == 0)
            throw new ArgumentException("Tuning needs at least one validation image.", nameof(validation));
        foreach (var image in validation)
        {
            if (image.Ladder.Count == 0 || image.Ladder.Count != image.F1.Count)
                throw new ArgumentException("Every validation image needs a non-empty ladder with one F1 per rung.", nameof(validation));
        }
        grid ??= new ScaleSelectionGrid();
        var candidates = new List<ScaleSelection> { ScaleSelection.Default };
        foreach (var drift in grid.DriftWeights)
        {
            foreach (var spread in grid.SpreadWeights)
            {
                foreach (var confidence in grid.ConfidenceWeights)
                {
                    var candidate = new ScaleSelection { DriftWeight = drift, SpreadWeight = spread, ConfidenceWeight = confidence };
                    if (candidate.FindProblem() is { } problem)
                        throw new ArgumentException($"The selection grid holds unusable weights: {problem}.", nameof(grid));
                    if (!candidates.Contains(candidate))
                        candidates.Add(candidate);
                }
            }
        }
        var scores = candidates.Select(c => Scores(validation, image => c.Choose(image.Ladder, objectSize))).ToArray();
        var means = scores.Select(Mean).ToArray();
        var best = 0;
        for (var k = 1; k < means.Length; k++)
        {
            if (!double.IsNaN(means[k]) && (double.IsNaN(means[best]) || means[k] > means[best]))
                best = k;
        }
        // The gain image by image, over the images both score.
        var gains = scores[best].Zip(scores[0], (b, d) => b - d).Where(double.IsFinite).ToArray();
        var gain = gains.Length == 0 ? 0 : gains.Average();
        var error = gains.Length < 2 ? double.PositiveInfinity
            : Math.Sqrt(gains.Sum(g => (g - gain) * (g - gain)) / (gains.Length - 1) / gains.Length);
        var chosen = best > 0 && gain > 2 * error ? best : 0;
        var bestRung = Mean(Scores(validation, image => Enumerable.Range(0, image.F1.Count).MaxBy(r => double.IsNaN(image.F1[r]) ? -1 : image.F1[r])));
        return new ScaleTuningResult(candidates[chosen], means[chosen], candidates[best], means[best], means[0], gain, error, bestRung, candidates.Count, validation.Count);
    }

    /// <summary>A trainer's choice: the tuned weights, or the default ones without validation images; the choice and its scores go into the facts and the log.</summary>
    internal static ScaleSelection ChooseFor(string model, IReadOnlyList<ScaleTuningImage> validation, int objectSize, TrainingContext context, SegmenterTrainingSummary summary, TimeSpan elapsed)
    {
        if (validation.Count == 0)
        {
            summary.Facts["scale_selection"] = ScaleSelection.Default.Summary();
            summary.Facts["scale_selection_tuned_on"] = "none (no validation images)";
            return ScaleSelection.Default;
        }
        var clock = Stopwatch.StartNew();
        var result = Tune(validation, objectSize);
        foreach (var (key, value) in result.Describe())
            summary.Facts[key] = value;
        summary.Facts["scale_selection_seconds"] = (elapsed + clock.Elapsed).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{model}: scale selection tuned on {result.Images} validation image(s) ({result.Candidates} settings): best {result.Best.Summary()}, F1 {result.BestF1:F3} against the default's {result.DefaultF1:F3} (paired gain {result.Gain:F3} ± {result.GainError:F3}; best rung per image {result.BestRungF1:F3}); using {result.Chosen.Summary()}"));
        return result.Chosen;
    }

    static double[] Scores(IReadOnlyList<ScaleTuningImage> validation, Func<ScaleTuningImage, int> choose) =>
        [.. validation.Select(image => image.F1[choose(image)])];

    static double Mean(double[] scores)
    {
        var known = scores.Where(f => !double.IsNaN(f)).ToArray();
        return known.Length == 0 ? double.NaN : known.Average();
    }
}
