using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Imaging;

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

    /// <summary>Predicted objects smaller than this (px) are always dropped; the split tuned on held-out images may drop larger ones.</summary>
    public int MinArea { get; init; } = 10;

    /// <summary>
    /// Instance masks, and two-class masks split into objects: share of the images (whole groups, at least one) kept
    /// out of the forest's fit to tune the split on; 0, or a single group, fits on every image and keeps untuned settings.
    /// </summary>
    public double ValidationFraction { get; init; } = UNetOptions.Defaults.ValidationFraction;

    /// <summary>The settings tried when the split is tuned on the held-out images.</summary>
    public InstanceTuningGrid PostProcessingGrid { get; init; } = new();

    /// <summary>
    /// Two-class (binary or class-map) masks: split the foreground into objects by the instance post-processing tuned
    /// on held-out images, as <see cref="UNetOptions.SplitSemanticObjects"/> does for the U-Net, so both contenders
    /// get the same post-processing; off, each connected foreground region is one object and every image is fitted.
    /// </summary>
    public bool SplitSemanticObjects { get; init; } = true;

    /// <summary>Most feature scales: each adds seven full-size planes per image.</summary>
    public const int MaxScales = 10;

    /// <summary>Largest feature scale in pixels; larger Gaussian kernels cost much and see past most particles.</summary>
    public const double MaxScale = 100;

    /// <summary>Every problem with these settings, each naming its parameter; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var inv = CultureInfo.InvariantCulture;
        if (Scales is null || Scales.Count == 0)
            problems.Add(string.Create(inv, $"{nameof(Scales)} must list 1 to {MaxScales} scales in pixels."));
        else
        {
            if (Scales.Count > MaxScales)
                problems.Add(string.Create(inv, $"{nameof(Scales)} must list at most {MaxScales} scales, got {Scales.Count}."));
            foreach (var s in Scales.Where(s => !(s > 0 && s <= MaxScale)))
                problems.Add(string.Create(inv, $"{nameof(Scales)} must lie in (0, {MaxScale}] pixels, got {s}."));
            foreach (var s in Scales.Where(double.IsFinite).GroupBy(s => s).Where(g => g.Count() > 1))
                problems.Add(string.Create(inv, $"{nameof(Scales)} lists {s.Key} more than once."));
        }
        if (Forest is null)
            problems.Add($"{nameof(Forest)} must be set.");
        else
            problems.AddRange(Forest.Problems());
        UNetOptions.Count(problems, nameof(SamplesPerClassPerImage), SamplesPerClassPerImage, 1, int.MaxValue);
        UNetOptions.Count(problems, nameof(MaxSamplesPerClass), MaxSamplesPerClass, 1, int.MaxValue);
        UNetOptions.Count(problems, nameof(BoundaryWidth), BoundaryWidth, 1, 32);
        UNetOptions.Count(problems, nameof(MinArea), MinArea, 1, int.MaxValue);
        UNetOptions.Range(problems, nameof(ValidationFraction), ValidationFraction, 0, 0.5, highOpen: true);
        if (PostProcessingGrid is null || PostProcessingGrid.Count == 0)
            problems.Add($"{nameof(PostProcessingGrid)} must hold at least one setting.");
        return problems;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem, when there is any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new ArgumentException("Invalid pixel-forest options: " + string.Join(" ", problems));
    }
}

/// <summary>
/// Pixel classification as ilastik does it: <see cref="PixelFeatureBank"/> features and a random forest (OpenCV
/// RTrees) fitted on pixels drawn class-balanced from the training images. Semantic data predicts the classes;
/// instance data predicts background / interior / boundary, and the forest is fitted on all but a seeded share of
/// whole images (as <see cref="UNetTrainer"/> holds out its early-stopping images), on whose predictions
/// <see cref="InstancePostProcessingTuner"/> picks the <see cref="InstancePostProcessing"/> that splits objects.
/// </summary>
public sealed class PixelForestTrainer(PixelForestOptions? options = null) : ISegmenterTrainer
{
    public PixelForestOptions Options { get; } = Checked(options ?? new PixelForestOptions());

    public string Name => "pixel-forest";

    public IReadOnlyList<KeyValuePair<string, string>> Settings
    {
        get
        {
            var inv = CultureInfo.InvariantCulture;
            var o = Options;
            return
            [
                new("trees", o.Forest.Trees.ToString(inv)),
                new("max_depth", o.Forest.MaxDepth.ToString(inv)),
                new("min_samples_per_node", o.Forest.MinSamples.ToString(inv)),
                new("features_per_split", o.Forest.ActiveVariables == 0 ? "sqrt(features)" : o.Forest.ActiveVariables.ToString(inv)),
                new("scales_px", string.Join(" ", o.Scales.Select(s => s.ToString("0.###", inv)))),
                new("features", PixelFeatureBank.Count(o.Scales.Count).ToString(inv)),
                new("samples_per_class_per_image", o.SamplesPerClassPerImage.ToString(inv)),
                new("max_samples_per_class", o.MaxSamplesPerClass.ToString(inv)),
                new("boundary_width_px", o.BoundaryWidth.ToString(inv)),
                new("min_object_area_px", o.MinArea.ToString(inv)),
                new("validation_fraction", o.ValidationFraction.ToString("R", inv)),
                new("post_processing", string.Create(inv, $"instance masks{(o.SplitSemanticObjects ? " and two-class masks" : "")}: tuned on the held-out images ({o.PostProcessingGrid.Count} settings)")),
            ];
        }
    }

    public ISegmenter Train(SegmentationData training, TrainingContext context, SegmenterTrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(summary);
        if (training.Samples.Count == 0)
            throw new ArgumentException("No training images.", nameof(training));
        var clock = Stopwatch.StartNew();
        var instances = training.Kind == MaskKind.Instances;
        var classes = instances ? InteriorBoundaryScheme.ChannelNames.Count : training.ClassNames.Count;
        var split = instances || (classes == 2 && Options.SplitSemanticObjects);
        // A split keeps whole images out of the fit: it is tuned on probabilities the forest has not learnt.
        var (fit, validation) = split
            ? UNetTrainer.SplitByGroup(training, Options.ValidationFraction, Seeds.Derive(context.Seed, "pixel-forest-validation"))
            : (Enumerable.Range(0, training.Samples.Count).ToArray(), []);
        var forest = Fit(training, fit, classes, context, out var samples);
        try
        {
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
                PostProcessing = split ? TunePostProcessing(forest, training, validation, instances, context, summary) : null,
            };
            context.Progress?.Report(1);

            var inv = CultureInfo.InvariantCulture;
            summary.Facts["features"] = forest.Features.ToString(inv);
            summary.Facts["scales"] = string.Join(" ", Options.Scales.Select(s => s.ToString("0.###", inv)));
            summary.Facts["trees"] = Options.Forest.Trees.ToString(inv);
            summary.Facts["max_depth"] = Options.Forest.MaxDepth.ToString(inv);
            summary.Facts["samples"] = samples.ToString(inv);
            summary.Facts["scheme"] = instances ? "background/interior/boundary + tuned watershed split" : split ? "semantic + tuned watershed split" : "semantic";
            summary.Facts["fit_images"] = fit.Length.ToString(inv);
            if (split)
                summary.Facts["validation_images"] = validation.Length.ToString(inv);
            summary.TrainingTime = clock.Elapsed;
            return new PixelForestSegmenter(forest, info);
        }
        catch
        {
            forest.Dispose();
            throw;
        }
    }

    /// <summary>The forest fitted on pixels drawn from the images <paramref name="fit"/> lists; <paramref name="samples"/> says how many.</summary>
    RandomForest Fit(SegmentationData training, int[] fit, int classes, TrainingContext context, out int samples)
    {
        var instances = training.Kind == MaskKind.Instances;
        var features = PixelFeatureBank.Count(Options.Scales.Count);
        var perImage = new (float[] X, int[] Y)[fit.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = context.EffectiveThreads, CancellationToken = context.CancellationToken };
        var done = 0;
        Parallel.For(0, perImage.Length, parallel, k =>
        {
            var sample = training.Samples[fit[k]];
            var targets = instances
                ? InteriorBoundaryScheme.Targets(sample.Mask, sample.Width, sample.Height, Options.BoundaryWidth)
                : sample.Mask;
            // Seeded by the image's place among the fitting images, so a forest fitted on just those draws the same pixels.
            perImage[k] = Draw(sample.Image, targets, classes, features, new Random(Seeds.Derive(context.Seed, "pixel-forest-samples", k)));
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
        samples = labels.Length;
        var forest = RandomForest.Train(x, features, labels, classes, Options.Forest, context.Seed);
        context.Progress?.Report(instances ? 0.7 : 0.95);
        return forest;
    }

    /// <summary>
    /// The instance split with the highest instance F1 on the held-out images (never the fitting images, whose pixels
    /// the forest has learnt, nor any test image), its areas scaled to the training objects; untuned settings when
    /// nothing was held out. The choice goes into the facts. Two-class votes are tuned as the U-Net's are (see
    /// <see cref="InstancePostProcessingTuner"/>'s sample-based ChooseFor).
    /// </summary>
    InstancePostProcessing TunePostProcessing(RandomForest forest, SegmentationData training, int[] validation, bool instances,
        TrainingContext context, SegmenterTrainingSummary summary)
    {
        return InstancePostProcessingTuner.ChooseFor(Name, training.Samples, validation, instances,
            sample => PixelForestSegmenter.Probabilities(forest, Options.Scales, sample.Image, context.CancellationToken),
            Options.MinArea, Options.PostProcessingGrid, context.EffectiveThreads, context, summary);
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
