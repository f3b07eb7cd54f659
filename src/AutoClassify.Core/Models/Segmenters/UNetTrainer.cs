using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// Trains a U-Net (<c>unet</c>) or residual U-Net (<c>resunet</c>) on annotated micrographs: random square patches
/// (mirrored where they leave a small image) drawn in proportion to image area, augmented as
/// <see cref="UNetOptions.Augmentation"/> says, a loss of class-weighted cross-entropy plus soft Dice, Adam, and early
/// stopping on a validation split of whole images (whole groups), keeping the weights of the epoch with the lowest
/// validation loss. Repeatable: every random choice derives from <see cref="TrainingContext.Seed"/>.
/// </summary>
public sealed class UNetTrainer : ISegmenterTrainer
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["unet", "resunet"];

    /// <summary>A trainer with <paramref name="options"/> (defaults when null); its name follows <see cref="UNetOptions.Residual"/>.</summary>
    public UNetTrainer(UNetOptions? options = null)
    {
        Options = options ?? new UNetOptions();
        Options.Validate();
    }

    /// <summary><c>unet</c> or <c>resunet</c>, with otherwise the given options.</summary>
    public static UNetTrainer Create(string name, UNetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var residual = name.Trim().ToLowerInvariant() switch
        {
            "unet" => false,
            "resunet" => true,
            _ => throw new ArgumentException($"Unknown U-Net '{name}'; expected {string.Join(" or ", Names)}.", nameof(name)),
        };
        return new UNetTrainer((options ?? new UNetOptions()) with { Residual = residual });
    }

    public string Name => Options.Residual ? "resunet" : "unet";

    public UNetOptions Options { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Settings
    {
        get
        {
            var o = Options;
            return
            [
                new("depth", Format(o.Depth)),
                new("width", Format(o.BaseWidth)),
                new("residual", o.Residual ? "true" : "false"),
                new("scheme", o.Scheme.ToString().ToLowerInvariant()),
                new("boundary_width_px", Format(o.BoundaryWidth)),
                new("patch_size", Format(o.PatchSize)),
                new("batch_size", Format(o.BatchSize)),
                new("steps_per_epoch", Format(o.StepsPerEpoch)),
                new("max_epochs", Format(o.MaxEpochs)),
                new("patience", Format(o.Patience)),
                new("learning_rate", Format(o.LearningRate)),
                new("learning_rate_schedule", o.Schedule.ToString().ToLowerInvariant()),
                new("weight_averaging", o.WeightAveraging > 0 ? Format(o.WeightAveraging) : "off"),
                new("training_precision", o.TrainingPrecision.Name()),
                new("validation_fraction", Format(o.ValidationFraction)),
                new("augmentation", o.Augmentation.ToString()),
                new("local_contrast_sigma", o.LocalContrastSigma is { } sigma ? Format(sigma) : "off"),
                new("working_resolution", o.ObjectSize is { } size ? string.Create(CultureInfo.InvariantCulture, $"object size {size} px{(o.ObjectMeasure == ObjectMeasure.Thickness ? " thick" : "")}")
                    : o.InputLongSide is { } side ? string.Create(CultureInfo.InvariantCulture, $"long side {side} px") : "native"),
                new("size_estimate", o.SizeEstimate is { } e ? string.Create(CultureInfo.InvariantCulture, $"size CNN, {e.Steps} steps, weight {e.Weight}") : "off"),
                new("tile_size", Format(o.TileSize)),
                new("tile_overlap", Format(o.TileOverlap)),
                new("min_object_area_px", Format(o.MinObjectArea)),
                new("post_processing", string.Create(CultureInfo.InvariantCulture,
                    $"tuned on the validation images ({o.PostProcessingGrid.Count} settings): instance scheme{(o.SplitSemanticObjects ? ", and a semantic one with one foreground class" : "")}")),
            ];
        }
    }

    ISegmenter ISegmenterTrainer.Train(SegmentationData training, TrainingContext context, SegmenterTrainingSummary summary) =>
        Train(training, context, summary);

    /// <summary>Fits a fresh network on <paramref name="training"/>; facts and curves go into <paramref name="summary"/>.</summary>
    public UNetSegmenter Train(SegmentationData training, TrainingContext context, SegmenterTrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(summary);
        if (training.Samples.Count == 0)
            throw new ArgumentException($"{Name} needs at least one annotated image.", nameof(training));
        var clock = Stopwatch.StartNew();
        var scheme = Options.SchemeFor(training.Kind);
        var channels = SegmentationTargets.ChannelNames(scheme, training);
        if (channels.Count < 2)
            throw new ArgumentException($"{Name} needs at least two classes, got {channels.Count}.", nameof(training));
        var threads = Options.Threads > 0 ? Options.Threads : context.EffectiveThreads;
        var info = new UNetSegmenterInfo
        {
            Model = Name,
            Scheme = scheme,
            ChannelNames = [.. channels],
            ClassNames = [.. training.ClassNames],
            Depth = Options.Depth,
            BaseWidth = Options.BaseWidth,
            Residual = Options.Residual,
            LocalContrastSigma = Options.LocalContrastSigma,
            InputLongSide = Options.InputLongSide,
            TileSize = Options.TileSize,
            TileOverlap = Options.TileOverlap,
            PredictionBatchSize = Options.PredictionBatchSize,
            MinObjectArea = Options.MinObjectArea,
            BoundaryWidth = Options.BoundaryWidth,
        };

        var (samples, factors, sizes) = WorkingSamples(training);
        if (factors is not null)
            info = info with { Format = UNetSegmenterInfo.FormatFor(Options.ObjectMeasure), ObjectScale = ObjectScale.Fit(Options.ObjectSize!.Value, factors.Where(f => f.FromMask).Select(f => f.Factor).ToArray(), Options.MaxScaledPixels, Options.ObjectMeasure) };
        // Targets first: a bad mask fails before any training time is spent.
        var images = samples.Select(s => SegmenterInput.Prepare(s.Image, Options.LocalContrastSigma)).ToArray();
        var targets = samples.Select(s => SegmentationTargets.For(s, training.Kind, scheme, channels.Count, Options.BoundaryWidth)).ToArray();
        var (fit, validation) = SplitByGroup(training, Options.ValidationFraction, Seeds.Derive(context.Seed, "unet-validation"));

        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        Torch.ManualSeed(Seeds.Derive(context.Seed, "unet-torch"));
        var network = new UNet(1, channels.Count, Options.Depth, Options.BaseWidth, Options.Residual);
        SizeNetwork? sizeNetwork = null;
        try
        {
            network.UseChannelsLast();
            var frequencies = Frequencies(targets, fit, channels.Count);
            var classWeights = Options.ClassWeightedLoss ? Weights(frequencies) : null;
            Fit(network, images, targets, fit, validation, channels.Count, classWeights, context, summary, threads);
            if (scheme == OutputScheme.Instance || (channels.Count == 2 && Options.SplitSemanticObjects))
                info = info with { PostProcessing = TunePostProcessing(network, info, samples, validation, context, summary, threads) };
            if (scheme == OutputScheme.Instance && info.ObjectScale is { } objectScale && Options.TuneScaleSelection)
                info = info with { ObjectScale = objectScale with { Selection = TuneScaleSelection(network, info, training, validation, context, summary, threads) } };
            else if (info.ObjectScale is { } untuned)
                (summary.Facts["scale_selection"], summary.Facts["scale_selection_tuned_on"]) = (untuned.Selection.Summary(), "none (the default weights)");
            if (info.ObjectScale is not null && Options.SizeEstimate is { } estimate)
                (sizeNetwork, info) = TrainSizeEstimate(estimate, info, training, sizes!, fit, validation, context, summary);
            var facts = summary.Facts;
            facts["model"] = Name;
            facts["architecture"] = network.Description;
            facts["parameters"] = Format(network.ParameterCount());
            facts["scheme"] = scheme.ToString().ToLowerInvariant();
            facts["channels"] = string.Join(",", channels);
            if (scheme == OutputScheme.Instance)
                facts["boundary_width"] = Format(Options.BoundaryWidth);
            facts["class_frequencies"] = string.Join(",", frequencies.Select(f => f.ToString("G4", CultureInfo.InvariantCulture)));
            facts["class_weights"] = classWeights is null ? "none" : string.Join(",", classWeights.Select(w => w.ToString("G4", CultureInfo.InvariantCulture)));
            facts["loss"] = Options.DiceWeight > 0
                ? string.Create(CultureInfo.InvariantCulture, $"cross-entropy + {Options.DiceWeight} x soft Dice")
                : "cross-entropy";
            facts["optimizer"] = "adam";
            facts["learning_rate"] = Format(Options.LearningRate);
            facts["learning_rate_schedule"] = Options.Schedule.ToString().ToLowerInvariant();
            facts["weight_averaging"] = Options.WeightAveraging > 0 ? Format(Options.WeightAveraging) : "off";
            facts["training_precision"] = Options.TrainingPrecision.Name();
            facts["weight_decay"] = Format(Options.WeightDecay);
            facts["patch_size"] = Format(Options.PatchSize);
            facts["batch_size"] = Format(Options.BatchSize);
            facts["steps_per_epoch"] = Format(Options.StepsPerEpoch);
            facts["max_epochs"] = Format(Options.MaxEpochs);
            facts["patience"] = Format(Options.Patience);
            facts["augmentation"] = Options.Augmentation.ToString();
            facts["local_contrast_sigma"] = Options.LocalContrastSigma is { } sigma ? Format(sigma) : "off";
            facts["input_long_side"] = Options.InputLongSide is { } longSide ? Format(longSide) : info.ObjectScale is null ? "native" : "object scale";
            if (info.ObjectScale is { } scale && factors is not null)
            {
                facts["object_size"] = Format(scale.ObjectSize);
                facts["object_measure"] = scale.Measure == ObjectMeasure.Thickness ? "thickness" : "equivalent diameter";
                facts["object_scale_range"] = string.Create(CultureInfo.InvariantCulture, $"{scale.MinFactor:G4}-{scale.MaxFactor:G4}, probe {scale.ProbeFactor:G4}");
                facts["object_scale_max_pixels"] = Format(scale.MaxPixels);
                facts["object_scale_training_factors"] = string.Join(",", factors.Select(f => f.Factor.ToString("G4", CultureInfo.InvariantCulture)));
            }
            facts["normalisation"] = "per-image mean and standard deviation";
            facts["fit_images"] = Format(fit.Length);
            facts["validation_images"] = Format(validation.Length);
            facts["tile_size"] = Format(info.EffectiveTileSize);
            facts["tile_overlap"] = Format(Options.TileOverlap);
            facts["threads"] = Format(threads);
            facts["seed"] = Format(context.Seed);
            summary.TrainingTime = clock.Elapsed;
            context.Progress?.Report(1);
            return new UNetSegmenter(network, sizeNetwork, info, threads) { Summary = summary };
        }
        catch
        {
            network.Dispose();
            sizeNetwork?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The training images at the network's working resolution: resized to the long side, or, with object scaling,
    /// each by the factor its true mask asks for (an image without objects by the others' median factor), with those
    /// factors (<c>FromMask</c> false for the images without objects) and the masks' median object sizes they came
    /// from (null for an image without objects).
    /// </summary>
    (SegmentationSample[] Samples, (double Factor, bool FromMask)[]? Factors, double?[]? Sizes) WorkingSamples(SegmentationData training)
    {
        if (Options.ObjectSize is not { } objectSize)
            return ([.. training.Samples.Select(s => InputScaling.Sample(s, Options.InputLongSide))], null, null);
        var diameters = training.Samples.Select(s => ObjectScaling.MedianSize(s.Mask, s.Width, s.Height, training.Kind, Options.ObjectMeasure)).ToArray();
        var known = diameters.Where(d => d is not null).Select(d => ObjectScaling.Factor(d!.Value, objectSize)).ToArray();
        if (known.Length == 0)
            throw new ArgumentException($"{Name}: object scaling needs objects in at least one training mask, and every mask is empty.", nameof(training));
        var probe = ObjectScale.Fit(objectSize, known, Options.MaxScaledPixels).ProbeFactor;
        var factors = diameters.Select(d => d is { } value ? (ObjectScaling.Factor(value, objectSize), true) : (probe, false)).ToArray();
        var samples = training.Samples.Select((s, i) => ObjectScaling.Sample(s, factors[i].Item1, Options.MaxScaledPixels)).ToArray();
        return (samples, factors, diameters);
    }

    /// <summary>
    /// The instance post-processing with the highest instance F1 on the early-stopping images (never the fitting
    /// images, which the network has learnt, nor any test image), its areas scaled to the training objects at the
    /// working resolution; untuned settings when there is no validation image. The choice goes into the facts. A
    /// two-class semantic network's split is tuned on its <see cref="InstancePostProcessing.FromSemantic"/> maps
    /// against the masks' 4-connected foreground regions (the objects segment-benchmark scores).
    /// </summary>
    InstancePostProcessing TunePostProcessing(UNet network, UNetSegmenterInfo info, SegmentationSample[] samples, int[] validation,
        TrainingContext context, SegmenterTrainingSummary summary, int threads)
    {
        // A wrapper to run the network with the info's tiling; the network lives on in the result.
        using var probe = validation.Length > 0 ? UNetSegmenter.Borrowing(network, info, threads) : null;
        return InstancePostProcessingTuner.ChooseFor(Name, samples, validation, info.Scheme == OutputScheme.Instance,
            sample => probe!.NetworkProbabilities(sample.Image, info.TileSize, info.TileOverlap, context.CancellationToken),
            Options.MinObjectArea, Options.PostProcessingGrid, threads, context, summary);
    }

    /// <summary>
    /// The scale-selection weights with the highest instance F1 on the early-stopping images at their own size: each
    /// runs the whole ladder of factors, as prediction does, with the tuned post-processing, and every rung's objects
    /// are scored against the truth. The default weights when there is no validation image.
    /// </summary>
    ScaleSelection TuneScaleSelection(UNet network, UNetSegmenterInfo info, SegmentationData training, int[] validation,
        TrainingContext context, SegmenterTrainingSummary summary, int threads)
    {
        var clock = Stopwatch.StartNew();
        // A wrapper to run the network as prediction will; the network lives on in the result.
        using var probe = UNetSegmenter.Borrowing(network, info, threads);
        var images = new List<ScaleTuningImage>();
        foreach (var i in validation)
        {
            var sample = training.Samples[i];
            var truth = ObjectScaling.ObjectIds(sample.Mask, sample.Width, sample.Height, training.Kind);
            var ladder = probe.Ladder(sample.Image, context.CancellationToken);
            images.Add(new ScaleTuningImage(
                [.. ladder.Select(p => p.Rung)],
                [.. ladder.Select(p => InstancePostProcessingTuner.InstanceF1(truth, UNetSegmenter.InstancesAt(sample.Image, p)))]));
        }
        return ScaleSelectionTuner.ChooseFor(Name, images, info.ObjectScale!.ObjectSize, context, summary, clock.Elapsed);
    }

    /// <summary>
    /// The size CNN (<see cref="SizeNetwork"/>) trained on the fitting images that hold objects, at their own size,
    /// against their masks' median object size (<paramref name="sizes"/>, by training image), and calibrated on the validation images that hold objects (never a
    /// test image); the info it returns records it (format 5) and has the selection weigh its estimate. Without a
    /// fitting image with objects there is no size CNN, and the info stays as it was. The settings, the calibration
    /// and the time go into the facts.
    /// </summary>
    (SizeNetwork? Network, UNetSegmenterInfo Info) TrainSizeEstimate(SizeEstimateOptions options, UNetSegmenterInfo info, SegmentationData training,
        double?[] sizes, int[] fit, int[] validation, TrainingContext context, SegmenterTrainingSummary summary)
    {
        var clock = Stopwatch.StartNew();
        var scale = info.ObjectScale!;
        List<(GrayImage Image, double Diameter)> Sized(int[] indices) =>
            [.. indices.Where(i => sizes[i] is > 0).Select(i => (training.Samples[i].Image, sizes[i]!.Value))];
        var fitting = Sized(fit);
        if (fitting.Count == 0)
        {
            summary.Facts["size_estimate"] = "none (no fitting image with objects)";
            return (null, info);
        }
        var inv = CultureInfo.InvariantCulture;
        var network = SizeNetwork.Train(fitting, options, scale.ObjectSize, Seeds.Derive(context.Seed, "unet-size-network"),
            (step, loss) => context.Log?.Invoke(string.Create(inv, $"{Name}: size network step {step}/{options.Steps}: loss {loss:F4}")),
            context.CancellationToken);
        try
        {
            var calibration = Sized(validation);
            var offsets = network.Calibrate(calibration);
            var w = options.Width;
            var facts = summary.Facts;
            facts["size_estimate"] = string.Create(inv,
                $"CNN of widths {w}-{2 * w}-{4 * w}-{4 * w}-{8 * w}, {options.PatchSize} px patches, {options.Steps} steps of {options.BatchSize}, sizes within e^±{options.Range:G3} of {scale.ObjectSize} px, on {fitting.Count} fitting image(s)");
            facts["size_estimate_parameters"] = Format(network.ParameterCount());
            facts["size_estimate_bias"] = network.Info.Bias.ToString("F4", inv);
            facts["size_estimate_calibration"] = calibration.Count == 0 ? "none (no validation image with objects): bias 0"
                : string.Create(inv, $"{calibration.Count} validation image(s); median |ln estimate/true| before the bias {OrderStatistics.Median([.. offsets.Where(double.IsFinite).Select(Math.Abs).Order()]):F3}");
            facts["size_estimate_weight"] = Format(options.Weight);
            facts["size_estimate_seconds"] = clock.Elapsed.TotalSeconds.ToString("F1", inv);
            var selection = scale.Selection with { EstimateWeight = options.Weight };
            facts["scale_selection"] = selection.Summary();
            context.Log?.Invoke(string.Create(inv, $"{Name}: size network trained in {clock.Elapsed.TotalSeconds:F0} s; {facts["size_estimate_calibration"]}"));
            return (network, info with
            {
                Format = UNetSegmenterInfo.FormatFor(scale.Measure, sizeEstimate: true),
                SizeEstimate = network.Info,
                ObjectScale = scale with { Selection = selection },
            });
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    void Fit(UNet network, SegmenterInput[] images, byte[][] targets, int[] fit, int[] validation, int classes,
        double[]? classWeights, TrainingContext context, SegmenterTrainingSummary summary, int threads)
    {
        var size = Options.PatchSize;
        var random = new Random(Seeds.Derive(context.Seed, "unet-patches"));
        var augmenter = Options.Augmentation.IsNone ? null : new PatchAugmenter(Options.Augmentation, new Random(Seeds.Derive(context.Seed, "unet-augmentation")));
        using var weightTensor = classWeights is null ? null : Tensor.FromArray(classWeights.Select(w => (float)w).ToArray(), [classes]).DetachFromDisposeScope();
        using var validationSet = ValidationPatches(images, targets, validation);
        using var optimizer = new Adam(network.Parameters(), new AdamOptions { LearningRate = Options.LearningRate, WeightDecay = Options.WeightDecay });
        var stopping = new EarlyStopping(Options.Patience);
        var plan = new LearningRatePlan(Options.LearningRate, Options.Schedule,
            Options.Schedule == LearningRateSchedule.Constant ? 0 : Options.StepsPerEpoch, Options.MaxEpochs * Options.StepsPerEpoch);
        var optimiserStep = 0;
        var trainLoss = new List<double>();
        var validationLoss = new List<double>();
        var validationDice = new List<double>();
        // Object scaling shrinks images of a few large objects below one patch; each still gets a patch's share of draws.
        var cumulative = CumulativeAreas(images, fit, Options.ObjectSize is null ? 0 : (double)size * size);
        var pixels = new float[Options.BatchSize * size * size];
        var labels = new long[Options.BatchSize * size * size];
        var means = new float[Options.BatchSize];
        var deviations = new float[Options.BatchSize];
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{Name}: {fit.Length} fitting and {validation.Length} validation image(s), {size} px patches, batch {Options.BatchSize}, {Options.StepsPerEpoch} steps per epoch, {threads} thread(s)"));

        Dictionary<string, Tensor>? best = null;
        // With weight averaging: the running average, and a place to park the live weights while it is validated.
        var average = Options.WeightAveraging > 0 ? Snapshot(network, null) : null;
        Dictionary<string, Tensor>? live = null;
        var epochsRun = 0;
        try
        {
            for (var epoch = 0; epoch < Options.MaxEpochs; epoch++)
            {
                var epochClock = Stopwatch.StartNew();
                network.Train();
                double lossSum = 0;
                for (var step = 0; step < Options.StepsPerEpoch; step++)
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    for (var b = 0; b < Options.BatchSize; b++)
                    {
                        var index = Pick(cumulative, fit, random);
                        var image = images[index];
                        var left = Offset(image.Width, size, random);
                        var top = Offset(image.Height, size, random);
                        var augmented = augmenter is not null;
                        image.CopyWindow(left, top, size, pixels.AsSpan(b * size * size, size * size), standardise: !augmented);
                        image.CopyWindow(targets[index], left, top, size, labels.AsSpan(b * size * size, size * size));
                        (means[b], deviations[b]) = (image.Mean, image.Deviation);
                    }

                    using var scope = DisposeScope.Begin();
                    var x = Tensor.FromArray(pixels, [Options.BatchSize, 1, size, size]);
                    var oneHot = Functional.OneHot(Tensor.FromArray(labels, [Options.BatchSize, size, size]), classes);
                    if (augmenter is not null)
                        (x, oneHot) = augmenter.Apply(x, oneHot, means, deviations);
                    var y = oneHot.ArgMax(1);
                    var logits = Forward(network, x);
                    var loss = Loss(logits, y, oneHot, weightTensor);
                    optimizer.LearningRate = plan.At(optimiserStep++);
                    optimizer.ZeroGrad();
                    loss.Backward();
                    optimizer.Step();
                    if (average is not null)
                        Average(network, average, Math.Min(Options.WeightAveraging, (1.0 + optimiserStep) / (10.0 + optimiserStep)));
                    lossSum += loss.ToDouble();
                }
                epochsRun++;
                trainLoss.Add(lossSum / Options.StepsPerEpoch);
                var line = string.Create(CultureInfo.InvariantCulture, $"{Name} epoch {epoch + 1}/{Options.MaxEpochs}: train loss {trainLoss[^1]:F4}");
                if (validationSet is not null)
                {
                    if (average is not null)
                    {
                        live = Snapshot(network, live);
                        network.LoadStateDict(average);
                    }
                    var (loss, dice) = Evaluate(network, validationSet, classes, weightTensor);
                    validationLoss.Add(loss);
                    validationDice.Add(dice);
                    line += string.Create(CultureInfo.InvariantCulture, $", val loss {loss:F4}, val Dice {dice:F3}");
                    if (stopping.Update(epoch, loss))
                        best = Snapshot(network, best);
                    if (live is not null)
                        network.LoadStateDict(live);
                }
                context.Log?.Invoke(line + string.Create(CultureInfo.InvariantCulture, $", {epochClock.Elapsed.TotalSeconds:F1} s"));
                context.Progress?.Report((epoch + 1.0) / Options.MaxEpochs);
                if (validationSet is not null && stopping.ShouldStop)
                    break;
            }
            if ((best ?? average) is { } result)
                network.LoadStateDict(result);
        }
        finally
        {
            Dispose(best);
            Dispose(average);
            Dispose(live);
        }
        network.Eval();

        summary.Curves["train_loss"] = [.. trainLoss];
        if (validationLoss.Count > 0)
        {
            summary.Curves["val_loss"] = [.. validationLoss];
            summary.Curves["val_dice"] = [.. validationDice];
        }
        summary.Facts["epochs_run"] = Format(epochsRun);
        summary.Facts["steps_run"] = Format(epochsRun * Options.StepsPerEpoch);
        summary.Facts["best_epoch"] = Format((validationSet is not null ? stopping.BestEpoch : epochsRun - 1) + 1);
        if (validationSet is not null)
        {
            summary.Facts["best_val_loss"] = Format(stopping.BestLoss);
            summary.Facts["best_val_dice"] = Format(validationDice[stopping.BestEpoch]);
        }
        summary.Facts["stopped_early"] = epochsRun < Options.MaxEpochs ? "true" : "false";
    }

    /// <summary>
    /// A training step's forward pass in <see cref="UNetOptions.TrainingPrecision"/>: in bfloat16 under CPU autocast,
    /// whose outputs are then taken back to float32, so the loss and its softmax are computed as in float32 training.
    /// </summary>
    Tensor Forward(UNet network, Tensor x)
    {
        if (Options.TrainingPrecision == InferencePrecision.Float32)
            return network.Forward(x);
        Tensor logits;
        using (Torch.Autocast(Options.TrainingPrecision.ScalarType()))
            logits = network.Forward(x);
        return logits.DType == ScalarType.Float32 ? logits : logits.To(ScalarType.Float32);
    }

    /// <summary>
    /// Class-weighted cross-entropy plus <see cref="UNetOptions.DiceWeight"/> times the soft Dice loss (1 − the mean
    /// over classes of 2·Σ p·g / (Σ p + Σ g), pooled over the batch; a class absent from both scores 1).
    /// </summary>
    internal Tensor Loss(Tensor logits, Tensor targets, Tensor oneHot, Tensor? classWeights)
    {
        var crossEntropy = Functional.CrossEntropy(logits, targets, classWeights);
        if (Options.DiceWeight <= 0)
            return crossEntropy;
        var probabilities = logits.Softmax(1);
        var intersection = (probabilities * oneHot).Sum([0, 2, 3]);
        var total = probabilities.Sum([0, 2, 3]) + oneHot.Sum([0, 2, 3]);
        const double smooth = 1;
        var dice = ((intersection * 2) + smooth) / (total + smooth);
        return crossEntropy + ((1 - dice.Mean()) * Options.DiceWeight);
    }

    (double Loss, double Dice) Evaluate(UNet network, ValidationSet set, int classes, Tensor? classWeights)
    {
        network.Eval();
        using var noGrad = Torch.NoGrad();
        double lossSum = 0;
        var intersections = new long[classes];
        var predicted = new long[classes];
        var actual = new long[classes];
        var batches = 0;
        for (var start = 0; start < set.Count; start += Options.BatchSize)
        {
            var count = Math.Min(Options.BatchSize, set.Count - start);
            using var scope = DisposeScope.Begin();
            var x = set.Images.Narrow(0, start, count);
            var y = set.Targets.Narrow(0, start, count);
            var logits = network.Forward(x);
            lossSum += Loss(logits, y, Functional.OneHot(y, classes), classWeights).ToDouble();
            batches++;
            var guess = logits.ArgMax(1).ToArray<long>();
            var truth = y.ToArray<long>();
            for (var i = 0; i < guess.Length; i++)
            {
                predicted[guess[i]]++;
                actual[truth[i]]++;
                if (guess[i] == truth[i])
                    intersections[truth[i]]++;
            }
        }
        network.Train();
        // Hard Dice of the non-background classes present in truth or prediction.
        var scores = Enumerable.Range(1, classes - 1)
            .Where(c => predicted[c] + actual[c] > 0)
            .Select(c => 2.0 * intersections[c] / (predicted[c] + actual[c]))
            .ToArray();
        return (lossSum / batches, scores.Length > 0 ? scores.Average() : 1);
    }

    ValidationSet? ValidationPatches(SegmenterInput[] images, byte[][] targets, int[] validation)
    {
        if (validation.Length == 0)
            return null;
        var size = Options.PatchSize;
        // Every validation image tiled without overlap; the tiles taken round-robin across images up to the cap.
        var perImage = validation.Select(i => Tiles(images[i], size).Select(t => (Image: i, t.Left, t.Top)).ToList()).ToList();
        var chosen = new List<(int Image, int Left, int Top)>();
        for (var round = 0; chosen.Count < Options.ValidationPatches && perImage.Any(p => p.Count > round); round++)
        {
            foreach (var tiles in perImage)
            {
                if (round < tiles.Count && chosen.Count < Options.ValidationPatches)
                    chosen.Add(tiles[round]);
            }
        }
        var pixels = new float[chosen.Count * size * size];
        var labels = new long[chosen.Count * size * size];
        for (var k = 0; k < chosen.Count; k++)
        {
            var (index, left, top) = chosen[k];
            images[index].CopyWindow(left, top, size, pixels.AsSpan(k * size * size, size * size), standardise: true);
            images[index].CopyWindow(targets[index], left, top, size, labels.AsSpan(k * size * size, size * size));
        }
        var x = Tensor.FromArray(pixels, [chosen.Count, 1, size, size]).DetachFromDisposeScope();
        var y = Tensor.FromArray(labels, [chosen.Count, size, size]).DetachFromDisposeScope();
        return new ValidationSet(x, y, chosen.Count);
    }

    static IEnumerable<(int Left, int Top)> Tiles(SegmenterInput image, int size)
    {
        foreach (var top in Positions(image.Height, size))
        {
            foreach (var left in Positions(image.Width, size))
                yield return (left, top);
        }
    }

    // Non-overlapping windows, the last one flush with the far edge; a side shorter than the window is centred (and mirrored).
    static IEnumerable<int> Positions(int length, int size)
    {
        if (length <= size)
        {
            yield return -((size - length) / 2);
            yield break;
        }
        for (var p = 0; p + size < length; p += size)
            yield return p;
        yield return length - size;
    }

    static int Offset(int length, int size, Random random) => length <= size ? -((size - length) / 2) : random.Next(length - size + 1);

    static double[] CumulativeAreas(SegmenterInput[] images, int[] fit, double floor)
    {
        var cumulative = new double[fit.Length];
        double total = 0;
        for (var k = 0; k < fit.Length; k++)
        {
            total += Math.Max(floor, (double)images[fit[k]].Width * images[fit[k]].Height);
            cumulative[k] = total;
        }
        for (var k = 0; k < fit.Length; k++)
            cumulative[k] /= total;
        return cumulative;
    }

    static int Pick(double[] cumulative, int[] fit, Random random)
    {
        var u = random.NextDouble();
        var k = Array.BinarySearch(cumulative, u);
        k = k < 0 ? ~k : k;
        return fit[Math.Min(k, fit.Length - 1)];
    }

    /// <summary>
    /// Whole groups (images when every group differs) to validation, about <paramref name="fraction"/> of them and at
    /// least one, keeping at least one group to fit on; none when there is only one group or the fraction is 0.
    /// </summary>
    internal static (int[] Fit, int[] Validation) SplitByGroup(SegmentationData data, double fraction, int seed)
    {
        var all = Enumerable.Range(0, data.Samples.Count).ToArray();
        var groups = data.Samples.Select(s => s.Group).Distinct().Order().ToArray();
        if (fraction <= 0 || groups.Length < 2)
            return (all, []);
        var take = Math.Clamp((int)Math.Round(fraction * groups.Length, MidpointRounding.AwayFromZero), 1, groups.Length - 1);
        new Random(seed).Shuffle(groups);
        var held = groups.Take(take).ToHashSet();
        return (all.Where(i => !held.Contains(data.Samples[i].Group)).ToArray(), all.Where(i => held.Contains(data.Samples[i].Group)).ToArray());
    }

    static double[] Frequencies(byte[][] targets, int[] fit, int classes)
    {
        var counts = new long[classes];
        long total = 0;
        foreach (var index in fit)
        {
            foreach (var t in targets[index])
                counts[t]++;
            total += targets[index].Length;
        }
        return counts.Select(c => (double)c / total).ToArray();
    }

    // √(median frequency / frequency), clipped to [0.1, 10]; a class absent from the fitting images weighs 1.
    static double[] Weights(double[] frequencies)
    {
        var present = frequencies.Where(f => f > 0).Order().ToArray();
        var median = present.Length % 2 == 1 ? present[present.Length / 2] : (present[(present.Length / 2) - 1] + present[present.Length / 2]) / 2;
        return frequencies.Select(f => f > 0 ? Math.Clamp(Math.Sqrt(median / f), 0.1, 10) : 1).ToArray();
    }

    /// <summary>Moves every floating-point entry of <paramref name="average"/> towards the network's: a ← d·a + (1 − d)·w; counters are copied.</summary>
    static void Average(UNet network, Dictionary<string, Tensor> average, double decay)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var (name, tensor) in network.StateDict())
        {
            var target = average[name];
            if (tensor.DType.IsFloatingPoint())
                target.MultiplyInPlace(decay).AddInPlace(tensor, 1 - decay);
            else
                target.CopyFrom(tensor);
        }
    }

    static void Dispose(Dictionary<string, Tensor>? state)
    {
        if (state is null)
            return;
        foreach (var tensor in state.Values)
            tensor.Dispose();
    }

    static Dictionary<string, Tensor> Snapshot(UNet network, Dictionary<string, Tensor>? previous)
    {
        using var noGrad = Torch.NoGrad();
        if (previous is null)
        {
            var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, tensor) in network.StateDict())
                copy[name] = tensor.Clone().DetachFromDisposeScope();
            return copy;
        }
        foreach (var (name, tensor) in network.StateDict())
            previous[name].CopyFrom(tensor);
        return previous;
    }

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    sealed class ValidationSet(Tensor images, Tensor targets, int count) : IDisposable
    {
        public Tensor Images { get; } = images;

        public Tensor Targets { get; } = targets;

        public int Count { get; } = count;

        public void Dispose()
        {
            Images.Dispose();
            Targets.Dispose();
        }
    }
}
