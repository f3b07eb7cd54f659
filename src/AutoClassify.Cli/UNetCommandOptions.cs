using System.CommandLine;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;

namespace AutoClassify.Cli;

/// <summary>
/// The U-Net training and tiling options that <c>train-segmenter</c> and <c>segment-benchmark</c> share. Each is
/// optional: an absent one keeps <see cref="UNetOptions.Defaults"/>; <see cref="PixelForestCommandOptions.ReadWith"/>
/// then names every bad value of both models at once (exit code 2).
/// </summary>
internal sealed class UNetCommandOptions
{
    readonly Option<int?> depth = new("--depth") { Description = $"U-Net poolings between full resolution and the bottleneck (default {UNetOptions.Defaults.Depth})." };
    readonly Option<int?> width = new("--width") { Description = $"U-Net channels at full resolution, doubling per level (default {UNetOptions.Defaults.BaseWidth})." };
    readonly Option<string?> scheme = new("--scheme")
    {
        HelpName = "auto|semantic|instance",
        Description = "Output channels: semantic (one per class) or instance (background, interior, boundary; instance masks only); auto picks instance for instance masks.",
    };
    readonly Option<int?> boundary = new("--boundary-width") { Description = $"Instance scheme: width in pixels of the boundary class between touching objects (default {UNetOptions.Defaults.BoundaryWidth})." };
    readonly Option<int?> patch = new("--patch-size") { Description = $"Side of the random training patches, a multiple of 2^depth (default {UNetOptions.Defaults.PatchSize})." };
    readonly Option<int?> batch = new("--batch-size") { Description = $"Patches per optimiser step (default {UNetOptions.Defaults.BatchSize})." };
    readonly Option<int?> epochs = new("--epochs") { Description = $"Most epochs (default {UNetOptions.Defaults.MaxEpochs})." };
    readonly Option<int?> steps = new("--steps-per-epoch") { Description = $"Optimiser steps per epoch (default {UNetOptions.Defaults.StepsPerEpoch})." };
    readonly Option<int?> patience = new("--patience") { Description = $"Epochs without a lower validation loss before stopping (default {UNetOptions.Defaults.Patience})." };
    readonly Option<double?> learningRate = new("--learning-rate") { Description = "Adam's learning rate (default 0.001)." };
    readonly Option<double?> weightAveraging = new("--weight-averaging")
    {
        HelpName = "DECAY",
        Description = "Keep an exponential moving average of the weights with this decay per optimiser step (for example 0.99); validation, early stopping and the saved network use the average. 0 switches it off (default off).",
    };
    readonly Option<InferencePrecision> trainingPrecision = CommonOptions.TrainingPrecision();
    readonly Option<double?> validation = new("--validation") { Description = "Share of the images (whole images, by group) held out for early stopping; 0 trains every epoch (default 0.2)." };
    readonly Option<double?> localContrast = new("--local-contrast") { Description = "Local contrast normalisation before the network, Gaussian window sigma in pixels (default off)." };
    readonly Option<int?> inputLongSide = new("--input-long-side") { Description = "Resize each image so its longer side has this many pixels before the network, and the probabilities back (for figure crops whose objects span a similar share of each image; also bounds the cost per image). Default: native resolution." };
    readonly Option<int?> objectSize = new("--object-size") { Description = "Object-scale normalisation: resize each training image so the median equivalent diameter of its objects becomes this many pixels, and at prediction estimate each image's factor from the objects the network finds (a ladder of factors half an octave apart around the training images' median one; of the passes whose objects come out near N px, the one whose objects keep their size best between neighbouring factors, with a tight spread of sizes and a confident network). Excludes --input-long-side. Default: off." };
    readonly Option<string?> objectMeasure = new("--object-measure")
    {
        HelpName = "diameter|thickness",
        Description = "With --object-size: how an object's size is read: diameter (the equivalent diameter of its area, the default) or thickness (the diameter of the largest disc inside it), which brings rods, wires and fibres to N px across instead of along.",
    };
    readonly Option<bool> sizeEstimate = new("--size-estimate")
    {
        Description = "With --object-size: after the U-Net, train a small CNN that reads each image's object size (on the fitting images, calibrated on the validation images), and draw each image's choice of factor towards its estimate. On emps-particles it raised instance F1 by about 0.015 and cut the size error; it adds about two minutes of training on 2 cores. Default: off.",
    };
    readonly Option<int?> sizeEstimateSteps = new("--size-estimate-steps") { Description = $"The size CNN's training steps (default {new SizeEstimateOptions().Steps}); implies --size-estimate." };
    readonly Option<double?> scaleJitter = new("--scale-jitter") { Description = "Augmentation: random scale factor drawn from [1/(1+s), 1+s] (default 0.1); with --object-size a larger value (0.25) lets the network tolerate scale estimates that are off." };
    readonly Option<int?> tileSize = new("--tile-size") { Description = $"Largest sliding-window tile at prediction (default {UNetOptions.Defaults.TileSize}); smaller images run as one tile." };
    readonly Option<int?> tileOverlap = new("--tile-overlap") { Description = $"Pixels shared by neighbouring tiles, blended (default {UNetOptions.Defaults.TileOverlap})." };
    readonly Option<int?> minObject = new("--min-object-area") { Description = $"Instance scheme: objects smaller than this many pixels (at the network's working resolution) are always dropped; the post-processing tuned on the validation images may drop larger ones (default {UNetOptions.Defaults.MinObjectArea})." };
    readonly Option<bool> noAugmentation = new("--no-augmentation") { Description = "Train without augmentation (flips, turns, rotation, scale, elastic, intensity, noise, blur)." };
    readonly Option<bool> noSemanticSplit = new("--no-semantic-split")
    {
        Description = "Two-class (binary or class-map) masks: take each connected foreground region as one object, fitting the pixel forest on every image, instead of splitting the foreground by a seeded watershed tuned on the held-out images (U-Net and pixel forest alike).",
    };

    public UNetCommandOptions()
    {
        scheme.AcceptOnlyFromAmong("auto", "semantic", "instance");
        objectMeasure.AcceptOnlyFromAmong([.. ObjectMeasures.Names]);
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { depth, width, scheme, boundary, patch, batch, epochs, steps, patience, learningRate, weightAveraging, trainingPrecision, validation, localContrast, inputLongSide, objectSize, objectMeasure, sizeEstimate, sizeEstimateSteps, scaleJitter, tileSize, tileOverlap, minObject, noAugmentation, noSemanticSplit })
            command.Options.Add(option);
    }

    /// <summary>False when --no-semantic-split was given.</summary>
    public bool SplitSemanticObjects(ParseResult parse) => !parse.GetValue(noSemanticSplit);

    /// <summary>The size CNN's settings when --size-estimate or --size-estimate-steps was given, or null.</summary>
    SizeEstimateOptions? SizeEstimate(ParseResult parse)
    {
        var steps = parse.GetValue(sizeEstimateSteps);
        if (!parse.GetValue(sizeEstimate) && steps is null)
            return null;
        var options = new SizeEstimateOptions();
        return steps is { } count ? options with { Steps = count } : options;
    }

    /// <summary>The options given, over the defaults, with <paramref name="threads"/> libtorch threads; unchecked.</summary>
    public UNetOptions Build(ParseResult parse, int threads)
    {
        var d = new UNetOptions();
        return d with
        {
            Depth = parse.GetValue(depth) ?? d.Depth,
            BaseWidth = parse.GetValue(width) ?? d.BaseWidth,
            Scheme = parse.GetValue(scheme) switch
            {
                "semantic" => OutputScheme.Semantic,
                "instance" => OutputScheme.Instance,
                _ => OutputScheme.Auto,
            },
            BoundaryWidth = parse.GetValue(boundary) ?? d.BoundaryWidth,
            PatchSize = parse.GetValue(patch) ?? d.PatchSize,
            BatchSize = parse.GetValue(batch) ?? d.BatchSize,
            MaxEpochs = parse.GetValue(epochs) ?? d.MaxEpochs,
            StepsPerEpoch = parse.GetValue(steps) ?? d.StepsPerEpoch,
            Patience = parse.GetValue(patience) ?? d.Patience,
            LearningRate = parse.GetValue(learningRate) ?? d.LearningRate,
            WeightAveraging = parse.GetValue(weightAveraging) ?? d.WeightAveraging,
            TrainingPrecision = parse.GetValue(trainingPrecision),
            ValidationFraction = parse.GetValue(validation) ?? d.ValidationFraction,
            LocalContrastSigma = parse.GetValue(localContrast),
            InputLongSide = parse.GetValue(inputLongSide),
            TileSize = parse.GetValue(tileSize) ?? d.TileSize,
            TileOverlap = parse.GetValue(tileOverlap) ?? d.TileOverlap,
            MinObjectArea = parse.GetValue(minObject) ?? d.MinObjectArea,
            ObjectSize = parse.GetValue(objectSize),
            ObjectMeasure = ObjectMeasures.Parse(parse.GetValue(objectMeasure)) ?? d.ObjectMeasure,
            SizeEstimate = SizeEstimate(parse),
            Augmentation = parse.GetValue(noAugmentation) ? SegmentationAugmentation.None
                : parse.GetValue(scaleJitter) is { } jitter ? d.Augmentation with { ScaleRange = jitter } : d.Augmentation,
            SplitSemanticObjects = SplitSemanticObjects(parse),
            Threads = threads,
        };
    }
}
