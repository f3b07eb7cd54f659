using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Segmentation;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// The classical pipeline (<see cref="ParticleSegmenter"/>: CLAHE, threshold, watershed) as a contender. Training
/// chooses only the polarity and the threshold method, by the mean foreground Dice on the training images; the rest
/// keeps <see cref="ParticleSegmentationOptions"/>' defaults. Foreground is class 1 (for class maps with more classes,
/// the others are never predicted), and its watershed particles are the instances.
/// </summary>
public sealed class ClassicalSegmenterTrainer : ISegmenterTrainer
{
    /// <summary>Training images scored per candidate setting, at most (evenly spread over the fold).</summary>
    public const int MaxTuningImages = 12;

    public ClassicalSegmenterTrainer(ParticleSegmentationOptions? baseOptions = null)
    {
        BaseOptions = baseOptions ?? new ParticleSegmentationOptions();
        BaseOptions.Validate();
    }

    public string Name => "classical";

    public ParticleSegmentationOptions BaseOptions { get; }

    public ISegmenter Train(SegmentationData training, TrainingContext context, SegmenterTrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(summary);
        if (training.Samples.Count == 0)
            throw new ArgumentException("No training images.", nameof(training));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var step = Math.Max(1, (int)Math.Ceiling(training.Samples.Count / (double)MaxTuningImages));
        var tuning = training.Samples.Where((_, i) => i % step == 0).ToArray();
        var candidates = (from polarity in new[] { ParticlePolarity.Bright, ParticlePolarity.Dark }
                          from threshold in new[] { ParticleThreshold.Otsu, ParticleThreshold.Adaptive }
                          select (polarity, threshold)).ToArray();
        var scores = new double[candidates.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = context.EffectiveThreads, CancellationToken = context.CancellationToken };
        for (var c = 0; c < candidates.Length; c++)
        {
            var segmenter = new ParticleSegmenter(With(candidates[c].polarity, candidates[c].threshold));
            var dice = new double[tuning.Length];
            Parallel.For(0, tuning.Length, parallel, i =>
            {
                var s = tuning[i];
                dice[i] = ForegroundDice(s.Mask, segmenter.Segment(s.Image).LabelArray);
            });
            scores[c] = dice.Average();
            context.Progress?.Report((c + 1.0) / candidates.Length);
        }
        var best = Array.IndexOf(scores, scores.Max());
        var (bestPolarity, bestThreshold) = candidates[best];
        var inv = CultureInfo.InvariantCulture;
        summary.Facts["polarity"] = bestPolarity.ToString().ToLowerInvariant();
        summary.Facts["threshold"] = bestThreshold.ToString().ToLowerInvariant();
        summary.Facts["tuning_images"] = tuning.Length.ToString(inv);
        summary.Facts["tuning_dice"] = scores[best].ToString("F4", inv);
        summary.TrainingTime = clock.Elapsed;
        context.Log?.Invoke($"classical: {bestPolarity}, {bestThreshold} (training Dice {scores[best].ToString("F3", inv)})");
        return new ClassicalSegmenter(new ParticleSegmenter(With(bestPolarity, bestThreshold)));
    }

    ParticleSegmentationOptions With(ParticlePolarity polarity, ParticleThreshold threshold)
    {
        var o = BaseOptions;
        return new ParticleSegmentationOptions
        {
            Normalization = o.Normalization,
            ClaheClipLimit = o.ClaheClipLimit,
            ClaheTiles = o.ClaheTiles,
            LocalSigma = o.LocalSigma,
            BlurSigma = o.BlurSigma,
            Threshold = threshold,
            AdaptiveBlockSize = o.AdaptiveBlockSize,
            AdaptiveOffset = o.AdaptiveOffset,
            Polarity = polarity,
            OpenRadius = o.OpenRadius,
            MaxHoleArea = o.MaxHoleArea,
            MinArea = o.MinArea,
            Markers = o.Markers,
            PeakHeight = o.PeakHeight,
            PeakFraction = o.PeakFraction,
            NmPerPixel = o.NmPerPixel,
        };
    }

    static double ForegroundDice(int[] truth, int[] labels)
    {
        long both = 0, t = 0, p = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            var a = truth[i] != 0;
            var b = labels[i] != 0;
            t += a ? 1 : 0;
            p += b ? 1 : 0;
            both += a && b ? 1 : 0;
        }
        return t + p == 0 ? 1 : 2.0 * both / (t + p);
    }

    sealed class ClassicalSegmenter(ParticleSegmenter segmenter) : ISegmenter
    {
        public string Name => "classical";

        public SegmentationPrediction Predict(GrayImage image, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(image);
            cancellationToken.ThrowIfCancellationRequested();
            var result = segmenter.Segment(image);
            var ids = result.LabelArray;
            return new SegmentationPrediction
            {
                Width = image.Width,
                Height = image.Height,
                ChannelNames = ["background", "foreground"],
                Labels = Array.ConvertAll(ids, v => v != 0 ? 1 : 0),
                Instances = (int[])ids.Clone(),
            };
        }

        public void Dispose() { }
    }
}
