using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;

namespace AutoClassify.Evaluation.Segmentation;

/// <summary>Settings of <see cref="SegmentBenchmarkRunner.Run"/>.</summary>
public sealed class SegmentBenchmarkOptions
{
    public int Folds { get; init; } = 5;
    public int Seed { get; init; } = 42;

    /// <summary>Group of each image (indexed like the samples); null: contiguous blocks in image order.</summary>
    public IReadOnlyList<int>? Groups { get; init; }

    /// <summary>Worker threads (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Images (the first ones in order) whose overlays are kept for the report.</summary>
    public int OverlayImages { get; init; } = 8;

    /// <summary>The number format of U-Net models' forward passes on the test images (training is float32 either way).</summary>
    public InferencePrecision Precision { get; init; } = InferencePrecision.Float32;

    /// <summary>Test-time flips of U-Net models on the test images (<see cref="UNetSegmenter.TestTimeFlips"/>: 1, 2 or 4).</summary>
    public int TestTimeFlips { get; init; } = 1;

    /// <summary>Longer side of an overlay in the report, in pixels.</summary>
    public int OverlayMaxSide { get; init; } = 256;

    public Action<string>? Log { get; init; }
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>One test image scored for one model.</summary>
public sealed record SegmentImageResult(
    string Model, int Fold, int Index, string Path, int Width, int Height,
    IReadOnlyDictionary<string, double> Scores, double[] TrueDiameters, double[] PredictedDiameters, TimeSpan PredictTime)
{
    /// <summary>The overlay of prediction against truth (PNG), for the first images only.</summary>
    public byte[]? OverlayPng { get; init; }

    /// <summary>The resize factor the model worked at on this image (<see cref="SegmentationPrediction.ScaleFactor"/>); null when it does not resize.</summary>
    public double? ScaleFactor { get; init; }
}

/// <summary>One model on one fold: image means of the per-image scores (size statistics pooled over the fold's images).</summary>
public sealed record SegmentFoldResult(string Model, int Fold, int TrainImages, int TestImages, IReadOnlyDictionary<string, double> Scores, SegmenterTrainingSummary Training);

/// <summary>One model over all folds: mean ± SD over folds of each score; <see cref="Error"/> when it failed.</summary>
public sealed record SegmentModelResult(
    string Model, IReadOnlyList<SegmentFoldResult> Folds, IReadOnlyDictionary<string, MeanSd> Scores, IReadOnlyList<SegmentImageResult> Images, string? Error)
{
    /// <summary>The trainer's settings (<see cref="ISegmenterTrainer.Settings"/>), the same for every fold.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; init; } = [];

    /// <summary>Time spent on this model over all folds: training, prediction and scoring.</summary>
    public TimeSpan WallTime { get; init; }
}

/// <summary>Everything a segmentation benchmark found, for the writers.</summary>
public sealed class SegmentBenchmarkResult
{
    public required string Root { get; init; }
    public required MaskKind Kind { get; init; }
    public required MaskKindDecision KindDecision { get; init; }
    public required IReadOnlyList<string> ClassNames { get; init; }
    public required IReadOnlyList<string> ImagePaths { get; init; }
    public required int[] FoldOfImage { get; init; }
    public required int FoldCount { get; init; }
    public required string FoldMethod { get; init; }
    public required int Seed { get; init; }
    public required double? NmPerPixel { get; init; }
    public required IReadOnlyList<string> MetricKeys { get; init; }
    public required IReadOnlyList<SegmentModelResult> Models { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required string BannerMode { get; init; }
    public required int BannersFound { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required TimeSpan WallTime { get; init; }
}

/// <summary>
/// Cross-validates segmenters on whole images: every model sees the same folds; each is trained on the other folds'
/// images only, predicts its fold's images, and is scored per image by <see cref="SegmentationEvaluator"/>; fold scores
/// are image means, and each model's figure is the mean ± SD over folds. A model that fails is reported, and the others run on.
/// </summary>
public static class SegmentBenchmarkRunner
{
    public static SegmentBenchmarkResult Run(SegmentationDataSet set, IReadOnlyList<ISegmenterTrainer> trainers, SegmentBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(trainers);
        ArgumentNullException.ThrowIfNull(options);
        if (trainers.Count == 0)
            throw new ArgumentException("No models to benchmark.", nameof(trainers));
        // Checked here, not when the first fold's network is set up after its training.
        if (!UNetSegmenter.TestTimeFlipCounts.Contains(options.TestTimeFlips))
            throw new ArgumentOutOfRangeException(nameof(options), options.TestTimeFlips, $"TestTimeFlips must be one of {string.Join(", ", UNetSegmenter.TestTimeFlipCounts)}.");
        var duplicate = trainers.GroupBy(t => t.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Model '{duplicate.Key}' is listed twice.", nameof(trainers));
        var started = DateTimeOffset.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = set.Data;
        var folds = SegmentationFolds.Assign(data.Samples.Count, options.Folds, options.Groups, options.Seed);
        var keys = SegmentationEvaluator.Keys(data.ClassNames);
        var models = new List<SegmentModelResult>();
        foreach (var trainer in trainers)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            var modelClock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                models.Add(RunModel(trainer, data, folds, keys, options) with { Settings = trainer.Settings, WallTime = modelClock.Elapsed });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                options.Log?.Invoke($"{trainer.Name}: failed: {e.Message}");
                models.Add(new SegmentModelResult(trainer.Name, [], new Dictionary<string, MeanSd>(), [], e.Message) { Settings = trainer.Settings, WallTime = modelClock.Elapsed });
            }
        }
        return new SegmentBenchmarkResult
        {
            Root = set.Root,
            Kind = data.Kind,
            KindDecision = set.KindDecision,
            ClassNames = data.ClassNames,
            ImagePaths = [.. data.Samples.Select(s => s.Path)],
            FoldOfImage = folds,
            FoldCount = options.Folds,
            FoldMethod = options.Groups is null ? "contiguous blocks in image order" : "whole groups (--groups)",
            Seed = options.Seed,
            NmPerPixel = data.NmPerPixel,
            MetricKeys = keys,
            Models = models,
            Warnings = [.. set.Warnings.Select(w => w.ToString())],
            BannerMode = Preprocessing.BannerDetector.ModeName(set.Banner),
            BannersFound = set.BannersFound,
            Started = started,
            WallTime = clock.Elapsed,
        };
    }

    static SegmentModelResult RunModel(ISegmenterTrainer trainer, SegmentationData data, int[] folds, IReadOnlyList<string> keys, SegmentBenchmarkOptions options)
    {
        var foldResults = new List<SegmentFoldResult>();
        var images = new List<SegmentImageResult>();
        for (var f = 0; f < options.Folds; f++)
        {
            var train = Enumerable.Range(0, folds.Length).Where(i => folds[i] != f).ToArray();
            var test = Enumerable.Range(0, folds.Length).Where(i => folds[i] == f).ToArray();
            var summary = new SegmenterTrainingSummary();
            var context = new TrainingContext
            {
                Seed = Seeds.Derive(options.Seed, "segmenter:" + trainer.Name, f),
                Threads = options.Threads,
                Log = options.Log is null ? null : m => options.Log($"{trainer.Name} fold {f + 1}: {m}"),
                CancellationToken = options.CancellationToken,
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var segmenter = trainer.Train(data.Subset(train), context, summary);
            if (summary.TrainingTime == TimeSpan.Zero)
                summary.TrainingTime = clock.Elapsed;
            if (segmenter is UNetSegmenter network)
            {
                network.Precision = options.Precision;
                network.TestTimeFlips = options.TestTimeFlips;
                summary.Facts["prediction_precision"] = options.Precision.Name();
                summary.Facts["test_time_flips"] = options.TestTimeFlips.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            var foldImages = new List<SegmentImageResult>();
            foreach (var i in test)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                var sample = data.Samples[i];
                var predictClock = System.Diagnostics.Stopwatch.StartNew();
                var prediction = segmenter.Predict(sample.Image, options.CancellationToken);
                var predictTime = predictClock.Elapsed;
                var scores = SegmentationEvaluator.Score(sample, prediction, data);
                var overlay = i < options.OverlayImages
                    ? SegmentationOverlay.Render(sample.Image, sample.Mask, prediction.Labels, options.OverlayMaxSide)
                    : null;
                foldImages.Add(new SegmentImageResult(trainer.Name, f, i, sample.Path, sample.Width, sample.Height, scores.Values,
                    scores.TrueDiameters, scores.PredictedDiameters, predictTime)
                { OverlayPng = overlay, ScaleFactor = prediction.ScaleFactor });
            }
            var foldScores = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var key in keys)
                foldScores[key] = MeanIgnoringNaN(foldImages.Select(r => r.Scores.GetValueOrDefault(key, double.NaN)));
            SegmentationEvaluator.AddSizes(foldScores, SizeDistributions.Compare(
                [.. foldImages.SelectMany(r => r.TrueDiameters)], [.. foldImages.SelectMany(r => r.PredictedDiameters)]));
            foldResults.Add(new SegmentFoldResult(trainer.Name, f, train.Length, test.Length, foldScores, summary));
            images.AddRange(foldImages);
            options.Log?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{trainer.Name} fold {f + 1}/{options.Folds}: foreground Dice {foldScores["foreground_dice"]:F3}, V_rand {foldScores["v_rand"]:F3}, instance F1 {foldScores["instance_f1"]:F3}"));
        }
        var aggregate = new Dictionary<string, MeanSd>(StringComparer.Ordinal);
        foreach (var key in keys)
            aggregate[key] = MeanSd.Of([.. foldResults.Select(r => r.Scores[key]).Where(v => !double.IsNaN(v))]);
        return new SegmentModelResult(trainer.Name, foldResults, aggregate, [.. images.OrderBy(r => r.Index)], null);
    }

    static double MeanIgnoringNaN(IEnumerable<double> values)
    {
        double sum = 0;
        var n = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v))
                continue;
            sum += v;
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }
}
