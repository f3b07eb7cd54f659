using System.Globalization;
using AutoClassify.Features;
using AutoClassify.Preprocessing;

namespace AutoClassify.Models.Segmenters;

/// <summary>Settings of <see cref="PixelForestTrainer"/>.</summary>
public sealed class PixelForestOptions
{
    /// <summary>Scales (px) of the feature bank.</summary>
    public IReadOnlyList<double> Scales { get; init; } = PixelFeatureBank.DefaultScales;

    public RandomForestOptions Forest { get; init; } = new();

    /// <summary>Pixels drawn per class from each training image (fewer when the class has fewer).</summary>
    public int SamplesPerClassPerImage { get; init; } = 1000;

    /// <summary>At most this many samples per class in all.</summary>
    public int MaxSamplesPerClass { get; init; } = 20_000;

    /// <summary>Width (px) of the boundary class derived from instance masks.</summary>
    public int BoundaryWidth { get; init; } = 2;

    /// <summary>Predicted objects smaller than this (px) are dropped.</summary>
    public int MinArea { get; init; } = 10;

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Scales);
        if (Scales.Any(s => !(s > 0) || !double.IsFinite(s)))
            throw new ArgumentOutOfRangeException(nameof(Scales), "Feature scales must be positive numbers of pixels.");
        ArgumentNullException.ThrowIfNull(Forest);
        Forest.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(SamplesPerClassPerImage, 1, nameof(SamplesPerClassPerImage));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSamplesPerClass, 1, nameof(MaxSamplesPerClass));
        ArgumentOutOfRangeException.ThrowIfLessThan(BoundaryWidth, 1, nameof(BoundaryWidth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinArea, 1, nameof(MinArea));
    }
}

/// <summary>
/// Pixel classification as ilastik does it: <see cref="PixelFeatureBank"/> features and a random forest (OpenCV
/// RTrees) fitted on pixels drawn class-balanced from the training images. Semantic data predicts the classes;
/// instance data predicts background / interior / boundary and splits objects with <see cref="InteriorBoundaryScheme"/>.
/// </summary>
public sealed class PixelForestTrainer(PixelForestOptions? options = null) : ISegmenterTrainer
{
    public PixelForestOptions Options { get; } = Checked(options ?? new PixelForestOptions());

    public string Name => "pixel-forest";

    public ISegmenter Train(SegmentationData training, TrainingContext context, SegmenterTrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(summary);
        if (training.Samples.Count == 0)
            throw new ArgumentException("No training images.", nameof(training));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var instances = training.Kind == MaskKind.Instances;
        var classes = instances ? InteriorBoundaryScheme.ChannelNames.Count : training.ClassNames.Count;
        var features = PixelFeatureBank.Count(Options.Scales.Count);
        var perImage = new (float[] X, int[] Y)[training.Samples.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = context.EffectiveThreads, CancellationToken = context.CancellationToken };
        var done = 0;
        Parallel.For(0, perImage.Length, parallel, i =>
        {
            var sample = training.Samples[i];
            var targets = instances
                ? InteriorBoundaryScheme.Targets(sample.Mask, sample.Width, sample.Height, Options.BoundaryWidth)
                : sample.Mask;
            perImage[i] = Draw(sample.Image, targets, classes, features, new Random(HashCode.Combine(context.Seed, i, 0x5eed)));
            context.Progress?.Report(0.5 * Interlocked.Increment(ref done) / perImage.Length);
        });

        // Cap each class's total by keeping an evenly spaced subset, so the cap does not depend on thread timing.
        var counts = new int[classes];
        foreach (var (_, y) in perImage)
            foreach (var c in y)
                counts[c]++;
        var rows = new List<int>();
        var all = perImage.SelectMany(p => p.Y).ToArray();
        var stride = counts.Select(c => Math.Max(1.0, (double)c / Options.MaxSamplesPerClass)).ToArray();
        var seen = new double[classes];
        var next = new double[classes];
        for (var r = 0; r < all.Length; r++)
        {
            var c = all[r];
            if (seen[c]++ >= next[c])
            {
                rows.Add(r);
                next[c] += stride[c];
            }
        }
        var x = new float[(long)rows.Count * features];
        var labels = new int[rows.Count];
        var offsets = new int[perImage.Length + 1];
        for (var i = 0; i < perImage.Length; i++)
            offsets[i + 1] = offsets[i] + perImage[i].Y.Length;
        for (var k = 0; k < rows.Count; k++)
        {
            var image = Array.FindLastIndex(offsets, o => o <= rows[k]);
            image = Math.Min(image, perImage.Length - 1);
            var local = rows[k] - offsets[image];
            Array.Copy(perImage[image].X, (long)local * features, x, (long)k * features, features);
            labels[k] = perImage[image].Y[local];
        }
        var present = labels.Distinct().Count();
        if (present < 2)
            throw new ArgumentException("The training masks hold a single class; the pixel forest needs at least two.", nameof(training));
        var forest = RandomForest.Train(x, features, labels, classes, Options.Forest, context.Seed);
        context.Progress?.Report(1);

        var inv = CultureInfo.InvariantCulture;
        summary.Facts["features"] = features.ToString(inv);
        summary.Facts["scales"] = string.Join(" ", Options.Scales.Select(s => s.ToString("0.##", inv)));
        summary.Facts["trees"] = Options.Forest.Trees.ToString(inv);
        summary.Facts["max_depth"] = Options.Forest.MaxDepth.ToString(inv);
        summary.Facts["samples"] = labels.Length.ToString(inv);
        summary.Facts["scheme"] = instances ? "background/interior/boundary + watershed" : "semantic";
        summary.TrainingTime = clock.Elapsed;
        var info = new PixelForestInfo
        {
            ClassNames = [.. training.ClassNames],
            ChannelNames = [.. instances ? InteriorBoundaryScheme.ChannelNames : training.ClassNames],
            Instances = instances,
            Scales = [.. Options.Scales],
            BoundaryWidth = Options.BoundaryWidth,
            MinArea = Options.MinArea,
            Trees = Options.Forest.Trees,
            MaxDepth = Options.Forest.MaxDepth,
        };
        return new PixelForestSegmenter(forest, info);
    }

    (float[] X, int[] Y) Draw(GrayImage image, int[] targets, int classes, int features, Random random)
    {
        var byClass = new List<int>[classes];
        for (var c = 0; c < classes; c++)
            byClass[c] = [];
        for (var i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i] < (uint)classes)
                byClass[targets[i]].Add(i);
        }
        var chosen = new List<(int Pixel, int Class)>();
        for (var c = 0; c < classes; c++)
        {
            var pixels = byClass[c].ToArray();
            random.Shuffle(pixels);
            chosen.AddRange(pixels.Take(Options.SamplesPerClassPerImage).Select(p => (p, c)));
        }
        var bank = PixelFeatureBank.Compute(image, Options.Scales);
        var plane = targets.Length;
        var x = new float[(long)chosen.Count * features];
        for (var k = 0; k < chosen.Count; k++)
        {
            for (var f = 0; f < features; f++)
                x[((long)k * features) + f] = bank[((long)f * plane) + chosen[k].Pixel];
        }
        return (x, [.. chosen.Select(c => c.Class)]);
    }

    static PixelForestOptions Checked(PixelForestOptions options)
    {
        options.Validate();
        return options;
    }
}
