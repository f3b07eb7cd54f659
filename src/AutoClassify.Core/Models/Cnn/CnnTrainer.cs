using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Models.Cnn;

/// <summary>
/// Trains a LipNet through libtorch on the training indices of a fold: a stratified validation split for early
/// stopping, per-epoch resampling, per-sample affine augmentation inside libtorch, label-smoothed cross-entropy,
/// and the weights of the validation check (one or more per epoch) with the lowest validation loss.
/// </summary>
public sealed class CnnTrainer : IModelTrainer
{
    /// <summary>A trainer for the model named in <paramref name="options"/> (lipnet4 by default).</summary>
    public CnnTrainer(CnnOptions? options = null)
    {
        Options = options ?? new CnnOptions();
        Options.Validate();
        Spec = LipNet.Find(Options.Model);
    }

    /// <summary>A trainer for a model picked by name (<c>lipnet1</c>, <c>lipnet2</c>, <c>lipnet4</c>, <c>lipnet4c</c>, <c>lipnet6</c>).</summary>
    public static CnnTrainer Create(string modelName, CnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        return new CnnTrainer((options ?? new CnnOptions()) with { Model = LipNet.Find(modelName).Name });
    }

    /// <summary>Names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> ModelNames => LipNet.Names;

    public string Name => Spec.Name;

    public CnnOptions Options { get; }

    public LipNetSpec Spec { get; }

    ITrainedModel IModelTrainer.Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) =>
        Train(data, trainIndices, context);

    /// <summary>Fits a fresh network on <paramref name="trainIndices"/>; nothing else in <paramref name="data"/> is read.</summary>
    public CnnModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) =>
        Train(data, trainIndices, context, initialWeights: null);

    /// <summary>
    /// Fits a network that starts from <paramref name="initialWeights"/> (a state dict of the same architecture and
    /// class count, e.g. a champion's <see cref="CnnModel.Network"/>) instead of a fresh initialisation (warm start);
    /// null starts fresh. The weights are copied; the caller keeps ownership of its tensors.
    /// </summary>
    public CnnModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context, IReadOnlyDictionary<string, Tensor>? initialWeights)
    {
        ArgumentNullException.ThrowIfNull(context);
        CheckImageData(Spec.Name, data, trainIndices);
        var clock = Stopwatch.StartNew();
        var threads = Options.Threads > 0 ? Options.Threads : context.EffectiveThreads;
        var device = CnnModel.ResolveDevice(Options.Device);
        var info = new CnnModelInfo
        {
            Model = Spec.Name,
            ClassNames = [.. data.ClassNames],
            InputMode = Options.InputMode.ToName(),
            InputSize = Options.EffectiveInputSize,
            CropMargin = Options.CropMargin,
            Dropout = Options.Dropout,
            HiddenDropout = Options.HiddenDropout,
        };

        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        Torch.ManualSeed(Seeds.Derive(context.Seed, "cnn-torch"));
        var model = LipNet.Build(Spec, data.ClassCount, info.InputSize, Options.Dropout, Options.HiddenDropout);
        try
        {
            if (initialWeights is not null)
                model.LoadStateDict(initialWeights);
            model.To(device);
            model.UseChannelsLast();
            var summary = Fit(model, data, trainIndices, context, info, device, threads, out var temperature);
            if (initialWeights is not null)
                summary.Facts["warm_start"] = "true";
            summary.TrainingTime = clock.Elapsed;
            context.Progress?.Report(1);
            return new CnnModel(model, info with { Temperature = temperature }, Options, device, threads, summary);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    TrainingSummary Fit(LipNetModule model, TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context,
        CnnModelInfo info, Device device, int threads, out double temperature)
    {
        temperature = 1;
        var size = info.InputSize;
        var validationSeed = Seeds.Derive(context.Seed, "cnn-validation");
        var (fit, validation) = ValidationSplit.Carve(data.Labels, data.Groups, trainIndices, Options.ValidationFraction, validationSeed);
        var preparer = new CnnInputPreparer(Options.InputMode, size, Options.CropMargin);
        using var fitSet = PreparedSet.Create(preparer, data, fit, device);
        using var validationSet = PreparedSet.Create(preparer, data, validation, device);

        var sampler = EpochSampler.Create(fit, data.Labels, data.ClassCount, Options, Seeds.Derive(context.Seed, "cnn-sampler"));
        var epochItems = sampler.EpochSize ?? sampler.NaturalSize;
        var stepsPerEpoch = (epochItems + Options.BatchSize - 1) / Options.BatchSize;
        var plan = new LearningRatePlan(Options.EffectiveLearningRate, Options.Schedule,
            (int)Math.Round(Options.LearningRateWarmupEpochs * stepsPerEpoch, MidpointRounding.AwayFromZero), Options.MaxEpochs * stepsPerEpoch);
        var chanceBar = ChanceBar(data, validation);
        var augmenter = Options.Augmentation.IsNone ? null : new AffineAugmenter(Options.Augmentation, Seeds.Derive(context.Seed, "cnn-augmentation"));
        var weights = Options.ClassWeightedLoss ? ClassWeights.InverseFrequency(data.Labels, fit, data.ClassCount) : null;
        using var weightTensor = weights is null ? null : ToDevice(Tensor.FromArray(weights.Select(w => (float)w).ToArray(), [weights.Length]), device);
        var rowOf = new Dictionary<int, int>(fit.Length);
        for (var row = 0; row < fit.Length; row++)
            rowOf[fit[row]] = row;

        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{Spec.Name}: {fit.Length} fitting and {validation.Length} validation items, {info.InputMode} input at {size} px, sampler {Options.Sampler.ToString().ToLowerInvariant()} drawing {epochItems} per epoch{(Options.ValidationsPerEpoch > 1 && validation.Length > 0 ? $", {Options.ValidationsPerEpoch} validation checks per epoch, patience {Options.Patience} checks" : "")}, augmentation {Options.Augmentation}, {threads} thread(s) on {device}"));
        var fallbacks = fitSet.MaskFallbacks + validationSet.MaskFallbacks;
        if (fallbacks > 0)
            context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{Spec.Name}: {fallbacks} item(s) had no usable mask, so {info.InputMode} mode used the whole image for them."));
        using var optimizer = CreateOptimizer(model);
        var stopping = new EarlyStopping(Options.Patience);
        var curves = new Dictionary<string, List<double>>(StringComparer.Ordinal)
        {
            ["train_loss"] = [],
            ["train_acc"] = [],
            ["val_loss"] = [],
            ["val_acc"] = [],
            ["val_balanced_acc"] = [],
            ["learning_rate"] = [],
            ["epoch_seconds"] = [],
        };
        Dictionary<string, Tensor>? best = null;
        // Without a validation split there is nothing to check, so an epoch stays one run.
        var checks = validationSet.Count > 0 ? Options.ValidationsPerEpoch : 1;
        var validations = 0;
        long itemsTrained = 0, itemsValidated = 0;
        double trained = 0, bestTrained = 0;
        var step = 0;
        try
        {
            var stop = false;
            for (var epoch = 0; epoch < Options.MaxEpochs && !stop; epoch++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var partClock = Stopwatch.StartNew();
                var order = sampler.Epoch(epoch);
                var bounds = EpochParts.Bounds(order.Length, Options.BatchSize, checks);
                for (var part = 0; part + 1 < bounds.Length; part++)
                {
                    var run = new ArraySegment<int>(order, bounds[part], bounds[part + 1] - bounds[part]);
                    curves["learning_rate"].Add(plan.At(step));
                    var (trainLoss, trainAccuracy) = TrainEpoch(model, optimizer, plan, ref step, fitSet, run, rowOf, data.Labels, weights, weightTensor, augmenter, size, context.CancellationToken);
                    itemsTrained += run.Count;
                    trained = epoch + (double)bounds[part + 1] / order.Length;
                    curves["train_loss"].Add(trainLoss);
                    curves["train_acc"].Add(trainAccuracy);
                    if (validationSet.Count > 0)
                    {
                        var (validationLoss, validationAccuracy, balancedAccuracy) = Evaluate(model, validationSet, weights, weightTensor);
                        itemsValidated += validationSet.Count;
                        curves["val_loss"].Add(validationLoss);
                        curves["val_acc"].Add(validationAccuracy);
                        curves["val_balanced_acc"].Add(balancedAccuracy);
                        if (stopping.Update(validations, validationLoss, beatsChance: !Options.GuardChance || balancedAccuracy > chanceBar))
                        {
                            best = Snapshot(model, best);
                            bestTrained = trained;
                        }
                    }
                    validations++;
                    curves["epoch_seconds"].Add(partClock.Elapsed.TotalSeconds);
                    context.Log?.Invoke(EpochLine(trained, curves));
                    context.Progress?.Report(trained / Options.MaxEpochs);
                    partClock.Restart();
                    if (validationSet.Count > 0 && stopping.ShouldStop)
                    {
                        stop = true;
                        break;
                    }
                }
            }
            if (best is not null)
                model.LoadStateDict(best);
        }
        finally
        {
            if (best is not null)
            {
                foreach (var tensor in best.Values)
                    tensor.Dispose();
            }
        }

        var summary = new TrainingSummary();
        foreach (var (name, values) in curves)
        {
            if (values.Count > 0)
                summary.Curves[name] = [.. values];
        }
        var facts = summary.Facts;
        facts["model"] = Spec.Name;
        facts["architecture"] = Spec.Description;
        facts["parameters"] = Format(model.ParameterCount());
        facts["input_mode"] = info.InputMode;
        facts["input_size"] = Format(size);
        facts["normalisation"] = CnnModelInfo.PerImageNormalisation;
        facts["mask_fallbacks"] = Format(fitSet.MaskFallbacks + validationSet.MaskFallbacks);
        Options.AddRegimeFacts(facts);
        facts["augmentation"] = Options.Augmentation.ToString();
        facts["dropout"] = Format(Options.Dropout);
        if (Spec.HiddenUnits > 0)
            facts["hidden_dropout"] = Format(Options.HiddenDropout);
        facts["fit_items"] = Format(fit.Length);
        facts["validation_items"] = Format(validation.Length);
        facts[ValidationSplit.ClassCountsFact] = ValidationSplit.ClassCounts(data.Labels, data.Groups, data.ClassCount, validation);
        facts["epochs_run"] = FormatEpochs(trained);
        facts["best_epoch"] = FormatEpochs(validationSet.Count > 0 ? bestTrained : trained);
        facts[ValidationsPerEpochFact] = Format(Options.ValidationsPerEpoch);
        facts["validations_run"] = Format(validationSet.Count > 0 ? validations : 0);
        if (validationSet.Count > 0)
            facts["best_validation"] = Format(stopping.BestEpoch + 1);
        facts["items_trained"] = Format(itemsTrained);
        facts["items_validated"] = Format(itemsValidated);
        if (validationSet.Count > 0)
        {
            facts["best_val_loss"] = Format(stopping.BestLoss);
            facts["chance_bar"] = double.IsFinite(chanceBar) ? chanceBar.ToString("F4", CultureInfo.InvariantCulture) : "none";
            facts["best_epoch_beats_chance"] = stopping.BestBeatsChance ? "true" : "false";
            if (!stopping.BestBeatsChance)
                context.Log?.Invoke($"{Spec.Name}: warning: the validation balanced accuracy never rose above the chance bar of {facts["chance_bar"]}; this fit is at chance level.");
        }
        facts["epoch_items"] = Format(epochItems);
        facts["lr_schedule"] = Options.Schedule.ToString().ToLowerInvariant();
        facts["lr_warmup_epochs"] = Format(Options.LearningRateWarmupEpochs);
        facts["stopped_early"] = trained < Options.MaxEpochs ? "true" : "false";
        if (Options.Calibration == CalibrationMethod.Temperature && validationSet.Count > 0)
        {
            var logits = ValidationLogits(model, validationSet);
            temperature = TemperatureScaling.Fit(logits, validationSet.LabelValues);
            facts[TemperatureFact] = Format(temperature);
            facts["val_nll_before_calibration"] = Format(TemperatureScaling.NegativeLogLikelihood(logits, validationSet.LabelValues, 1));
            facts["val_nll_after_calibration"] = Format(TemperatureScaling.NegativeLogLikelihood(logits, validationSet.LabelValues, temperature));
            context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"{Spec.Name}: temperature {temperature:0.###} fitted on {validationSet.Count} validation items (NLL {facts["val_nll_before_calibration"]} -> {facts["val_nll_after_calibration"]})"));
        }
        facts["threads"] = Format(threads);
        facts["device"] = device.ToString();
        return summary;
    }

    // Trains on one run of an epoch's order (the whole epoch at one validation per epoch).
    (double Loss, double Accuracy) TrainEpoch(LipNetModule model, Optimizer optimizer, LearningRatePlan plan, ref int step, PreparedSet set, ArraySegment<int> order,
        Dictionary<int, int> rowOf, int[] labels, double[]? weights, Tensor? weightTensor, AffineAugmenter? augmenter, int size, CancellationToken cancellation)
    {
        model.Train();
        double lossSum = 0, weightSum = 0;
        long correct = 0;
        var rows = new long[Options.BatchSize];
        for (var start = 0; start < order.Count; start += Options.BatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var count = Math.Min(Options.BatchSize, order.Count - start);
            double batchWeight = 0;
            for (var i = 0; i < count; i++)
            {
                rows[i] = rowOf[order[start + i]];
                batchWeight += weights is null ? 1 : weights[labels[order[start + i]]];
            }

            using var scope = DisposeScope.Begin();
            var index = ToDevice(Tensor.From<long>(rows.AsSpan(0, count), [count]), set.Images.Device);
            var x = set.Images.IndexSelect(0, index);
            var y = set.Labels.IndexSelect(0, index);
            if (augmenter is not null)
                x = Augment(x, augmenter.DrawThetas(count, size, size));
            var logits = model.Forward(x);
            var loss = Functional.CrossEntropy(logits, y, weightTensor, Options.LabelSmoothing);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.LearningRate = plan.At(step++);
            optimizer.Step();
            lossSum += loss.ToDouble() * batchWeight;
            weightSum += batchWeight;
            correct += logits.ArgMax(1).Eq(y).Sum().ToInt64();
        }
        return (lossSum / weightSum, (double)correct / order.Count);
    }

    /// <summary>The fold fact holding the validation checks per epoch (<see cref="CnnOptions.ValidationsPerEpoch"/>); absent before them, meaning 1.</summary>
    public const string ValidationsPerEpochFact = "validations_per_epoch";

    /// <summary>The fold fact holding the fitted temperature, read back by the report to show calibration before and after.</summary>
    public const string TemperatureFact = "temperature";

    float[][] ValidationLogits(LipNetModule model, PreparedSet set)
    {
        model.Eval();
        using var noGrad = Torch.NoGrad();
        var result = new float[set.Count][];
        for (var start = 0; start < set.Count; start += Options.PredictionBatchSize)
        {
            var count = Math.Min(Options.PredictionBatchSize, set.Count - start);
            using var scope = DisposeScope.Begin();
            var logits = model.Forward(set.Images.Narrow(0, start, count));
            var values = (logits.Device == Device.Cpu ? logits : logits.To(Device.Cpu)).ToArray<float>();
            var classes = values.Length / count;
            for (var i = 0; i < count; i++)
                result[start + i] = values.AsSpan(i * classes, classes).ToArray();
        }
        return result;
    }

    (double Loss, double Accuracy, double BalancedAccuracy) Evaluate(LipNetModule model, PreparedSet set, double[]? weights, Tensor? weightTensor)
    {
        var hits = new long[model.ClassCount];
        var counts = new long[model.ClassCount];
        model.Eval();
        using var noGrad = Torch.NoGrad();
        double lossSum = 0, weightSum = 0;
        long correct = 0;
        for (var start = 0; start < set.Count; start += Options.PredictionBatchSize)
        {
            var count = Math.Min(Options.PredictionBatchSize, set.Count - start);
            using var scope = DisposeScope.Begin();
            var x = set.Images.Narrow(0, start, count);
            var y = set.Labels.Narrow(0, start, count);
            var logits = model.Forward(x);
            lossSum += Functional.CrossEntropy(logits, y, weightTensor, Options.LabelSmoothing, Reduction.Sum).ToDouble();
            var predicted = logits.ArgMax(1).ToArray<long>();
            for (var i = start; i < start + count; i++)
            {
                var label = set.LabelValues[i];
                weightSum += weights is null ? 1 : weights[label];
                counts[label]++;
                if (predicted[i - start] == label)
                    hits[label]++;
            }
        }
        correct = hits.Sum();
        var balanced = Enumerable.Range(0, counts.Length).Where(k => counts[k] > 0).Average(k => (double)hits[k] / counts[k]);
        return (lossSum / weightSum, (double)correct / set.Count, balanced);
    }

    // From the classes and independent items (images, when tiles are grouped) of the validation split; with fewer
    // than two classes there is no chance level to beat, so every epoch counts.
    static double ChanceBar(TrainingData data, int[] validation)
    {
        var classes = validation.Select(i => data.Labels[i]).Distinct().Count();
        if (classes < 2)
            return double.NegativeInfinity;
        var independent = data.Groups is { } groups ? validation.Select(i => groups[i]).Distinct().Count() : validation.Length;
        return EarlyStopping.ChanceBar(classes, independent);
    }

    /// <summary>
    /// Warps every image of an N × C × H × W batch by its own 2 × 3 theta (N × 6 floats) with affine_grid and
    /// bilinear grid_sample. Zero padding fills uncovered corners with the image mean, as every image is standardised.
    /// </summary>
    internal static Tensor Augment(Tensor batch, float[] thetas)
    {
        var shape = batch.Shape;
        using var theta = ToDevice(Tensor.FromArray(thetas, [shape[0], 2, 3]), batch.Device);
        using var grid = Functional.AffineGrid(theta, shape);
        return Functional.GridSample(batch, grid, GridSampleMode.Bilinear, GridSamplePadding.Zeros);
    }

    Optimizer CreateOptimizer(LipNetModule model) => Options.Optimizer switch
    {
        CnnOptimizer.Adam => new Adam(model.Parameters(), new AdamOptions { LearningRate = Options.EffectiveLearningRate, WeightDecay = Options.WeightDecay }),
        CnnOptimizer.Sgd => new Sgd(model.Parameters(), new SgdOptions { LearningRate = Options.EffectiveLearningRate, Momentum = Options.Momentum, WeightDecay = Options.WeightDecay }),
        _ => throw new InvalidOperationException($"Unknown optimiser {Options.Optimizer}."),
    };

    // The best epoch's weights, copied into tensors that live outside every step's scope.
    static Dictionary<string, Tensor> Snapshot(LipNetModule model, Dictionary<string, Tensor>? previous)
    {
        using var noGrad = Torch.NoGrad();
        if (previous is null)
        {
            var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, tensor) in model.StateDict())
                copy[name] = tensor.Clone().DetachFromDisposeScope();
            return copy;
        }
        foreach (var (name, tensor) in model.StateDict())
            previous[name].CopyFrom(tensor);
        return previous;
    }

    internal static Tensor ToDevice(Tensor tensor, Device device)
    {
        if (tensor.Device == device)
            return tensor;
        using (tensor)
            return tensor.To(device);
    }

    /// <summary>Throws naming the problem when <paramref name="data"/> cannot train the image model <paramref name="name"/>.</summary>
    internal static void CheckImageData(string name, TrainingData data, IReadOnlyList<int> trainIndices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainIndices);
        if (data.Images is null)
            throw new ArgumentException($"{name} trains on images, but the training data holds none.", nameof(data));
        if (data.Labels.Length != data.Images.Count)
            throw new ArgumentException($"The training data has {data.Labels.Length} labels for {data.Images.Count} images.", nameof(data));
        if (data.ClassCount < 2)
            throw new ArgumentException($"{name} needs at least two classes, got {data.ClassCount}.", nameof(data));
        if (trainIndices.Count == 0)
            throw new ArgumentException("No training indices were given.", nameof(trainIndices));
        foreach (var index in trainIndices)
        {
            if (index < 0 || index >= data.Labels.Length)
                throw new ArgumentOutOfRangeException(nameof(trainIndices), index, $"Training index outside the {data.Labels.Length} items.");
            if (data.Labels[index] < 0 || data.Labels[index] >= data.ClassCount)
                throw new ArgumentException($"Item {index} has label {data.Labels[index]}, outside 0..{data.ClassCount - 1}.", nameof(data));
        }
    }

    // Epochs trained so far: whole at one check per epoch, as before; else to three decimals (6.5 = half of epoch 7).
    static string FormatEpochs(double epochs) => Math.Round(epochs, 3).ToString("R", CultureInfo.InvariantCulture);

    string EpochLine(double trained, Dictionary<string, List<double>> curves)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Spec.Name} epoch {FormatEpochs(trained)}/{Options.MaxEpochs}: train loss {curves["train_loss"][^1]:F4} acc {curves["train_acc"][^1]:F3}");
        if (curves["val_loss"].Count > 0)
            line += string.Create(CultureInfo.InvariantCulture, $", val loss {curves["val_loss"][^1]:F4} acc {curves["val_acc"][^1]:F3}");
        return line + string.Create(CultureInfo.InvariantCulture, $", {curves["epoch_seconds"][^1]:F1} s");
    }

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Prepared inputs of a set of items, held as tensors on the training device.</summary>
internal sealed class PreparedSet : IDisposable
{
    PreparedSet(Tensor images, Tensor labels, int[] labelValues, int maskFallbacks)
    {
        Images = images;
        Labels = labels;
        LabelValues = labelValues;
        MaskFallbacks = maskFallbacks;
    }

    /// <summary>N × 1 × size × size, standardised per image.</summary>
    public Tensor Images { get; }

    /// <summary>N class indices (Int64).</summary>
    public Tensor Labels { get; }

    public int[] LabelValues { get; }

    public int Count => LabelValues.Length;

    public int MaskFallbacks { get; }

    public static PreparedSet Create(CnnInputPreparer preparer, TrainingData data, IReadOnlyList<int> indices, Device device)
    {
        var (pixels, fallbacks) = preparer.PrepareBatch(data, indices);
        var labels = indices.Select(i => data.Labels[i]).ToArray();
        var images = CnnTrainer.ToDevice(Tensor.FromArray(pixels, [indices.Count, 1, preparer.Size, preparer.Size]), device).DetachFromDisposeScope();
        var labelTensor = CnnTrainer.ToDevice(Tensor.FromArray(labels.Select(l => (long)l).ToArray(), [labels.Length]), device).DetachFromDisposeScope();
        return new PreparedSet(images, labelTensor, labels, fallbacks);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Sets libtorch's thread count on the calling thread for a fit or prediction. A nested scope gives the enclosing one
/// its count back; the outermost leaves its count in place, because libtorch's set_num_threads also empties oneDNN's
/// cache of convolutions: restoring the count after every call made the next call rebuild them all (about 30 ms of a
/// 0.2 s prediction of the default U-Net in bfloat16, measured with bench/AutoClassify.Bench).
/// </summary>
internal sealed class TorchThreads : IDisposable
{
    readonly int previous;

    [ThreadStatic]
    static int depth;

    /// <summary>
    /// Held for a whole fit or prediction: libtorch's seed and thread count are process-wide, so two CNN fits in
    /// one process must not interleave or neither would be reproducible.
    /// </summary>
    internal static readonly Lock Gate = new();

    public TorchThreads(int threads)
    {
        previous = Torch.Threads;
        if (threads != previous)
            Torch.Threads = threads;
        depth++;
    }

    public void Dispose()
    {
        depth--;
        if (depth > 0 && Torch.Threads != previous)
            Torch.Threads = previous;
    }
}
