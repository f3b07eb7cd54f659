using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.IO;
using AutoClassify.Preprocessing;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// The candidates <see cref="InstancePostProcessingTuner"/> tries: every combination of the thresholds and smoothings,
/// and of the minimum seed and object areas as fractions of the training objects' typical area.
/// </summary>
public sealed record InstanceTuningGrid
{
    public IReadOnlyList<double> ForegroundThresholds { get; init; } = [0.3, 0.4, 0.5, 0.6, 0.7];

    public IReadOnlyList<double> SeedThresholds { get; init; } = [0.5, 0.6, 0.7, 0.8, 0.9];

    public IReadOnlyList<double> SeedSigmas { get; init; } = [0, 1, 2];

    public IReadOnlyList<double> MinSeedFractions { get; init; } = [0, 0.01, 0.03, 0.1];

    public IReadOnlyList<double> MinObjectFractions { get; init; } = [0, 0.02, 0.05, 0.1, 0.2];

    /// <summary>How many settings the grid holds.</summary>
    public int Count => ForegroundThresholds.Count * SeedThresholds.Count * SeedSigmas.Count * MinSeedFractions.Count * MinObjectFractions.Count;
}

/// <summary>One validation image for the tuner: instance-scheme probabilities at the network's resolution and the true instance ids there.</summary>
public sealed record InstanceTuningImage(float[] Probabilities, int Width, int Height, int[] Truth);

/// <summary>What the tuner chose, and the validation F1 of the choice and of the untuned settings.</summary>
/// <param name="Chosen">The settings with the highest mean validation F1.</param>
/// <param name="F1">Their mean instance F1 (IoU ≥ 0.5) over the validation images.</param>
/// <param name="Untuned">Thresholds at ½, no smoothing, no area limits beyond the floor.</param>
/// <param name="UntunedF1">Its mean validation F1.</param>
/// <param name="ReferenceArea">The training objects' typical area in pixels, the unit of the area fractions.</param>
/// <param name="Candidates">Settings tried.</param>
/// <param name="Images">Validation images scored.</param>
public sealed record InstanceTuningResult(InstancePostProcessing Chosen, double F1, InstancePostProcessing Untuned, double UntunedF1, double ReferenceArea, int Candidates, int Images)
{
    /// <summary>The choice and how it was made, as facts for reports (<c>post_</c> keys).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        return
        [
            .. Chosen.Describe(),
            new("post_tuned_on", string.Create(inv, $"{Images} validation image(s), {Candidates} settings")),
            new("post_reference_area_px", ReferenceArea.ToString("R", inv)),
            new("post_validation_f1", F1.ToString("F4", inv)),
            new("post_untuned_validation_f1", UntunedF1.ToString("F4", inv)),
        ];
    }
}

/// <summary>
/// Picks the instance post-processing by grid search: every setting of <see cref="InstanceTuningGrid"/> splits the
/// validation images' probabilities into objects, and the one with the highest mean instance F1 at IoU ≥ 0.5 (the
/// benchmark's figure) wins; ties go to the earlier setting in grid order (lower thresholds, less smoothing, smaller
/// areas). Give it images the network was not fitted on (the early-stopping split), never test images.
/// </summary>
public static class InstancePostProcessingTuner
{
    /// <summary>
    /// The typical object area of instance masks: the median over images (those with any object) of each image's median
    /// object area, so one image with hundreds of small objects does not set the scale for all; 0 when there is no object.
    /// </summary>
    public static double ReferenceArea(IEnumerable<int[]> instanceMasks)
    {
        ArgumentNullException.ThrowIfNull(instanceMasks);
        var medians = new List<double>();
        foreach (var mask in instanceMasks)
        {
            var areas = new Dictionary<int, int>();
            foreach (var id in mask)
            {
                if (id != 0)
                    areas[id] = areas.GetValueOrDefault(id) + 1;
            }
            if (areas.Count > 0)
                medians.Add(OrderStatistics.Median([.. areas.Values.Select(a => (double)a).Order()]));
        }
        return medians.Count == 0 ? 0 : OrderStatistics.Median([.. medians.Order()]);
    }

    /// <summary>
    /// The best setting of <paramref name="grid"/> (the default grid when null) on <paramref name="validation"/>;
    /// areas are <paramref name="referenceArea"/> times the grid's fractions, and no object smaller than
    /// <paramref name="minObjectFloor"/> pixels is ever kept. Images are scored in parallel on up to <paramref name="threads"/> threads.
    /// </summary>
    public static InstanceTuningResult Tune(IReadOnlyList<InstanceTuningImage> validation, double referenceArea, int minObjectFloor = 0,
        InstanceTuningGrid? grid = null, int threads = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.Count == 0)
            throw new ArgumentException("Tuning needs at least one validation image.", nameof(validation));
        if (!(referenceArea >= 0) || double.IsInfinity(referenceArea))
            throw new ArgumentOutOfRangeException(nameof(referenceArea), referenceArea, "The reference area must be a finite, non-negative number of pixels.");
        ArgumentOutOfRangeException.ThrowIfNegative(minObjectFloor);
        grid ??= new InstanceTuningGrid();
        var settings = Settings(grid, referenceArea, minObjectFloor);
        var untuned = new InstancePostProcessing { MinObjectArea = minObjectFloor };
        if (untuned.FindProblem() is null && !settings.Contains(untuned))
            settings.Add(untuned);
        foreach (var s in settings)
        {
            if (s.FindProblem() is { } problem)
                throw new ArgumentException($"The tuning grid holds an unusable setting: {problem}.", nameof(grid));
        }

        var sums = new double[settings.Count];
        var counts = new int[settings.Count];
        var gate = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount, CancellationToken = cancellationToken };
        Parallel.ForEach(validation, parallel, image =>
        {
            var scores = Score(image, settings, cancellationToken);
            lock (gate)
            {
                for (var k = 0; k < scores.Length; k++)
                {
                    if (double.IsNaN(scores[k]))
                        continue;
                    sums[k] += scores[k];
                    counts[k]++;
                }
            }
        });

        var means = sums.Select((s, k) => counts[k] == 0 ? double.NaN : s / counts[k]).ToArray();
        var best = -1;
        for (var k = 0; k < settings.Count; k++)
        {
            if (!double.IsNaN(means[k]) && (best < 0 || means[k] > means[best]))
                best = k;
        }
        var untunedIndex = settings.IndexOf(untuned);
        return best < 0
            ? new InstanceTuningResult(untuned, double.NaN, untuned, double.NaN, referenceArea, settings.Count, validation.Count)
            : new InstanceTuningResult(settings[best], means[best], untuned, means[untunedIndex], referenceArea, settings.Count, validation.Count);
    }

    /// <summary>
    /// A trainer's choice for the <paramref name="validation"/> samples of <paramref name="samples"/>, whose
    /// probabilities (at the samples' size) <paramref name="probabilities"/> gives. Instance-scheme probabilities are
    /// tuned against the instance masks; a two-class semantic prediction (<paramref name="instances"/> false) is tuned
    /// as <see cref="InstancePostProcessing.FromSemantic"/> maps against the masks' 4-connected foreground regions, the
    /// objects segment-benchmark scores it against. Areas scale with the objects of all <paramref name="samples"/>.
    /// </summary>
    internal static InstancePostProcessing ChooseFor(string model, IReadOnlyList<SegmentationSample> samples, int[] validation, bool instances,
        Func<SegmentationSample, float[]> probabilities, int minObjectFloor, InstanceTuningGrid grid, int threads, TrainingContext context, SegmenterTrainingSummary summary)
    {
        // Labelled once: the reference area reads every sample's objects, the validation images their own again.
        var objects = samples.Select(s => instances ? s.Mask : LabelRegions.Components(s.Mask, s.Width, s.Height, eightConnected: false, out _)).ToArray();
        var referenceArea = ReferenceArea(objects);
        var images = validation.Select(i =>
        {
            var sample = samples[i];
            var given = probabilities(sample);
            var maps = instances ? given : InstancePostProcessing.FromSemantic(given, sample.Width, sample.Height);
            return new InstanceTuningImage(maps, sample.Width, sample.Height, objects[i]);
        });
        return ChooseFor(model, images, referenceArea, minObjectFloor, grid, threads, context, summary);
    }

    /// <summary>
    /// A trainer's choice for <paramref name="model"/>: the best setting of <paramref name="grid"/> on
    /// <paramref name="validation"/> (images the model was not fitted on, made only when enumerated), or untuned settings
    /// over <paramref name="minObjectFloor"/> when there is none. The choice and its scores go into the facts and the log.
    /// </summary>
    internal static InstancePostProcessing ChooseFor(string model, IEnumerable<InstanceTuningImage> validation, double referenceArea, int minObjectFloor,
        InstanceTuningGrid grid, int threads, TrainingContext context, SegmenterTrainingSummary summary)
    {
        var clock = Stopwatch.StartNew();
        var images = validation.ToArray();
        if (images.Length == 0)
        {
            var untuned = new InstancePostProcessing { MinObjectArea = minObjectFloor };
            foreach (var (key, value) in untuned.Describe())
                summary.Facts[key] = value;
            summary.Facts["post_tuned_on"] = "none (no validation images)";
            return untuned;
        }
        var result = Tune(images, referenceArea, minObjectFloor, grid, threads, context.CancellationToken);
        foreach (var (key, value) in result.Describe())
            summary.Facts[key] = value;
        summary.Facts["post_tuning_seconds"] = clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{model}: instance post-processing tuned on {images.Length} validation image(s) ({result.Candidates} settings): F1 {result.F1:F3} (untuned {result.UntunedF1:F3}); {string.Join(", ", result.Chosen.Describe().Select(p => $"{p.Key} {p.Value}"))}"));
        return result.Chosen;
    }

    // Grid order, without duplicates (fractions of a small reference area may round to the same pixel count).
    static List<InstancePostProcessing> Settings(InstanceTuningGrid grid, double referenceArea, int minObjectFloor)
    {
        var settings = new List<InstancePostProcessing>();
        var seen = new HashSet<InstancePostProcessing>();
        foreach (var foreground in grid.ForegroundThresholds)
        {
            foreach (var sigma in grid.SeedSigmas)
            {
                foreach (var seed in grid.SeedThresholds)
                {
                    foreach (var seedFraction in grid.MinSeedFractions)
                    {
                        foreach (var objectFraction in grid.MinObjectFractions)
                        {
                            var setting = new InstancePostProcessing
                            {
                                ForegroundThreshold = foreground,
                                SeedThreshold = seed,
                                SeedSigma = sigma,
                                MinSeedArea = Area(seedFraction, referenceArea, 0),
                                MinObjectArea = Area(objectFraction, referenceArea, minObjectFloor),
                            };
                            if (seen.Add(setting))
                                settings.Add(setting);
                        }
                    }
                }
            }
        }
        return settings;
    }

    static int Area(double fraction, double referenceArea, int floor)
    {
        if (!(fraction >= 0) || double.IsInfinity(fraction))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Area fractions must be finite and non-negative, got {fraction}."));
        return Math.Max(floor, (int)Math.Round(fraction * referenceArea, MidpointRounding.AwayFromZero));
    }

    /// <summary>Instance F1 of every setting on one image (NaN where neither truth nor prediction has an object); shares every step the settings agree on.</summary>
    static double[] Score(InstanceTuningImage image, List<InstancePostProcessing> settings, CancellationToken cancellationToken)
    {
        var fields = InstanceFields.From(image.Probabilities, image.Width, image.Height);
        var truth = Compact(image.Truth, out var trueCount);
        var scores = new double[settings.Count];
        foreach (var byForeground in Enumerable.Range(0, settings.Count).GroupBy(k => settings[k].ForegroundThreshold))
        {
            var foreground = fields.Foreground(byForeground.Key);
            var ground = fields.Ground(foreground);
            foreach (var bySeeds in byForeground.GroupBy(k => (settings[k].SeedSigma, settings[k].SeedThreshold)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var seeds = fields.Seeds(foreground, fields.Interior(bySeeds.Key.SeedSigma), bySeeds.Key.SeedThreshold);
                foreach (var byMinSeed in bySeeds.GroupBy(k => settings[k].MinSeedArea))
                {
                    var objects = fields.Flood(ground, seeds, byMinSeed.Key, out var areas);
                    var pairs = Candidates(truth, trueCount, objects, areas);
                    foreach (var k in byMinSeed)
                        scores[k] = F1(pairs, trueCount, areas, settings[k].MinObjectArea);
                }
            }
        }
        return scores;
    }

    /// <summary>Instance F1 at IoU ≥ 0.5 of two id maps (0 = background; NaN when neither has an object), as the tuning scores it.</summary>
    internal static double InstanceF1(int[] truth, int[] predicted)
    {
        var trueIds = Compact(truth, out var trueCount);
        var predictedIds = Compact(predicted, out var predictedCount);
        var areas = new int[predictedCount + 1];
        foreach (var id in predictedIds)
            areas[id]++;
        return F1(Candidates(trueIds, trueCount, predictedIds, areas), trueCount, areas, 0);
    }

    static int[] Compact(int[] ids, out int count)
    {
        var map = new Dictionary<int, int>();
        var result = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            if (id == 0)
                continue;
            if (!map.TryGetValue(id, out var compact))
            {
                compact = map.Count + 1;
                map[id] = compact;
            }
            result[i] = compact;
        }
        count = map.Count;
        return result;
    }

    // Overlap tables up to this many cells are counted in an array (4 MiB), larger ones in a dictionary.
    const int DenseOverlapCells = 1 << 20;

    // True–predicted pairs with IoU ≥ 0.5, best first; dropping a predicted object does not change any other pair's IoU.
    static List<(int True, int Predicted, double IoU)> Candidates(int[] truth, int trueCount, int[] predicted, int[] predictedAreas)
    {
        var trueAreas = new int[trueCount + 1];
        var stride = predictedAreas.Length;
        var pairs = new List<(int, int, double)>();
        void Consider(int t, int p, int overlap)
        {
            var iou = (double)overlap / (trueAreas[t] + predictedAreas[p] - overlap);
            if (iou >= 0.5)
                pairs.Add((t, p, iou));
        }

        if ((long)(trueCount + 1) * stride <= DenseOverlapCells)
        {
            // Row 0 and column 0 (background) are counted too, so the loop needs no branch; they are never read.
            var overlaps = new int[(trueCount + 1) * stride];
            for (var i = 0; i < truth.Length; i++)
            {
                var t = truth[i];
                trueAreas[t]++;
                overlaps[(t * stride) + predicted[i]]++;
            }
            for (var t = 1; t <= trueCount; t++)
            {
                for (var p = 1; p < stride; p++)
                {
                    if (overlaps[(t * stride) + p] is var overlap and > 0)
                        Consider(t, p, overlap);
                }
            }
        }
        else
        {
            var overlaps = new Dictionary<long, int>();
            for (var i = 0; i < truth.Length; i++)
            {
                int t = truth[i], p = predicted[i];
                trueAreas[t]++;
                if (t != 0 && p != 0)
                {
                    var key = ((long)t * stride) + p;
                    overlaps[key] = overlaps.GetValueOrDefault(key) + 1;
                }
            }
            foreach (var (key, overlap) in overlaps)
                Consider((int)(key / stride), (int)(key % stride), overlap);
        }
        pairs.Sort((a, b) => b.Item3 != a.Item3 ? b.Item3.CompareTo(a.Item3) : a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : a.Item2.CompareTo(b.Item2));
        return pairs;
    }

    static double F1(List<(int True, int Predicted, double IoU)> pairs, int trueCount, int[] predictedAreas, int minObjectArea)
    {
        var predictedCount = 0;
        for (var p = 1; p < predictedAreas.Length; p++)
        {
            if (predictedAreas[p] > 0 && predictedAreas[p] >= minObjectArea)
                predictedCount++;
        }
        if (trueCount + predictedCount == 0)
            return double.NaN;
        var usedTrue = new HashSet<int>();
        var usedPredicted = new HashSet<int>();
        foreach (var (t, p, _) in pairs)
        {
            if (predictedAreas[p] < minObjectArea || usedTrue.Contains(t) || usedPredicted.Contains(p))
                continue;
            usedTrue.Add(t);
            usedPredicted.Add(p);
        }
        return 2.0 * usedTrue.Count / (trueCount + predictedCount);
    }
}
