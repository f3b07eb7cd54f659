using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// Fine-tuning (<c>resnet18-finetune</c>, <c>lipnet-backbone-finetune</c>, …): a new softmax head on the backbone's
/// pooled features. The head trains alone for <see cref="TransferOptions.WarmupEpochs"/> epochs; then the last
/// <see cref="TransferOptions.UnfreezeStages"/> stages (all by default) join it with their own optimiser at
/// <see cref="TransferOptions.BackboneLearningRateFactor"/> times the head's learning rate. Frozen stages stay in
/// evaluation mode, so their batch-norm statistics do not move either. Early stopping, samplers, augmentation and
/// label smoothing follow the CNN arm (<see cref="CnnOptions"/>); early stopping never ends the warm-up.
/// </summary>
public sealed class FineTuneTrainer : IModelTrainer
{
    readonly FeatureCache scalingCache;

    /// <param name="name">Catalog name, used in logs and reports.</param>
    /// <param name="source">The backbone.</param>
    /// <param name="transfer">Stages to unfreeze, learning-rate factor, warm-up, input size.</param>
    /// <param name="cnn">The training regime (epochs, patience, optimiser, sampler, augmentation, input mode, threads, device).</param>
    public FineTuneTrainer(string name, BackboneSource source, TransferOptions? transfer = null, CnnOptions? cnn = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(source);
        Name = name;
        Source = source;
        Transfer = transfer ?? new TransferOptions();
        Cnn = cnn ?? new CnnOptions();
        Transfer.Validate();
        Cnn.Validate();
        TransferFit.CheckSource(name, source, Transfer);
        Origin = BackboneOrigin.Of(source, Transfer);
        // The head's scaling comes from the pretrained features, which the frozen models cache too.
        scalingCache = new FeatureCache(Transfer.DisableDiskCache ? null : Transfer.FeatureCacheDirectory ?? FeatureCache.DefaultDirectory);
    }

    public string Name { get; }

    public BackboneSource Source { get; }

    /// <summary>Where the backbone's weights came from before any fine-tuning, as the model's facts record it; null when a reopened package does not say.</summary>
    public BackboneOrigin? Origin { get; }

    public TransferOptions Transfer { get; }

    public CnnOptions Cnn { get; }

    ITrainedModel IModelTrainer.Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) => Train(data, trainIndices, context);

    /// <summary>Fine-tunes a fresh copy of the backbone and a new head on <paramref name="trainIndices"/>.</summary>
    public TransferModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) =>
        Train(data, trainIndices, context, initialHead: null);

    /// <summary>
    /// Fine-tunes a fresh copy of the backbone and a head that starts from <paramref name="initialHead"/> (the state
    /// dict of a <see cref="TransferHead"/> for the same features and classes, scaling included, e.g. the head of the
    /// model whose package is <see cref="TransferOptions.StartPackage"/>), or a new head fitted to the features when it is null.
    /// </summary>
    public TransferModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context, IReadOnlyDictionary<string, Tensor>? initialHead)
    {
        ArgumentNullException.ThrowIfNull(context);
        CnnTrainer.CheckImageData(Name, data, trainIndices);
        var clock = Stopwatch.StartNew();
        var threads = Cnn.Threads > 0 ? Cnn.Threads : context.EffectiveThreads;
        var device = CnnModel.ResolveDevice(Cnn.Device);

        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        var backbone = TransferFit.OpenBackbone(Source, Transfer, context, device, trainable: true);
        TransferHead? head = null;
        try
        {
            backbone.Network.SetRequiresGrad(false);
            var input = BackboneInputSpec.For(backbone, Transfer, Cnn);
            var preparer = new BackboneInputPreparer(input);
            var train = trainIndices as int[] ?? [.. trainIndices];
            var (fit, validation) = ValidationSplit.Carve(data.Labels, data.Groups, train, Cnn.ValidationFraction, Seeds.Derive(context.Seed, "transfer-validation"));

            var stageCount = backbone.StageNames.Count;
            var unfreeze = Math.Min(Transfer.UnfreezeStages ?? stageCount, stageCount);
            var unfrozenStages = backbone.StageNames.Skip(stageCount - unfreeze).ToArray();
            var unfrozen = TransferFit.StageParameters(backbone, unfrozenStages);

            head = new TransferHead(backbone.FeatureDim, data.ClassCount);
            if (initialHead is not null)
            {
                try
                {
                    head.LoadStateDict(initialHead);
                }
                catch (InvalidOperationException e)
                {
                    throw new ArgumentException($"{Name}: the initial head does not fit {backbone.FeatureDim} features and {data.ClassCount} classes: {e.Message}", nameof(initialHead), e);
                }
            }
            else
            {
                var extractor = new FeatureExtractor(backbone, input, scalingCache, AugmentationOptions.None, device, Transfer.ExtractionBatchSize);
                head.FitScaling(extractor.Extract(data, fit, 0, context.CancellationToken));
            }
            head.To(device);

            var (fitPixels, fitFallbacks) = preparer.PrepareGrey(data, fit);
            var (validationPixels, validationFallbacks) = preparer.PrepareGrey(data, validation);
            using var fitSet = CnnTrainer.ToDevice(Tensor.FromArray(fitPixels, [fit.Length, 1, input.Size, input.Size]), device).DetachFromDisposeScope();
            using var validationSet = CnnTrainer.ToDevice(Tensor.FromArray(validationPixels, [validation.Length, 1, input.Size, input.Size]), device).DetachFromDisposeScope();
            var fitRow = Rows(fit);
            var validationRow = Rows(validation);
            var augmenter = Cnn.Augmentation.IsNone ? null : new AffineAugmenter(Cnn.Augmentation, Seeds.Derive(context.Seed, "transfer-augmentation"));
            var backboneRate = Cnn.EffectiveLearningRate * Transfer.BackboneLearningRateFactor;

            context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"{Name}: {Source} ({backbone.FeatureDim} features), {fit.Length} fitting and {validation.Length} validation items at {input.Size} px; " +
                $"head alone for {Transfer.WarmupEpochs} epoch(s), then {unfreeze} of {stageCount} stage(s) ({unfrozen.Count} tensors) at learning rate {backboneRate:G3}; {threads} thread(s) on {device}"));

            using var headOptimizer = CreateOptimizer(head.Parameters(), Cnn.EffectiveLearningRate);
            Optimizer? backboneOptimizer = null;
            try
            {
                var loop = new TransferTrainingLoop
                {
                    Name = Name,
                    Options = Cnn,
                    Fit = fit,
                    Validation = validation,
                    Labels = data.Labels,
                    ClassCount = data.ClassCount,
                    Trained = [backbone.Network, head],
                    ValidationBatchSize = Transfer.ExtractionBatchSize,
                    MinimumEpochs = unfrozen.Count > 0 ? Transfer.WarmupEpochs : 0,
                    StartEpoch = epoch =>
                    {
                        head.Train();
                        if (epoch < Transfer.WarmupEpochs || unfrozen.Count == 0)
                            return [headOptimizer];
                        if (backboneOptimizer is null)
                        {
                            foreach (var (_, parameter) in unfrozen)
                                parameter.RequiresGrad = true;
                            backboneOptimizer = CreateOptimizer(unfrozen.Select(p => p.Tensor), backboneRate);
                            context.Log?.Invoke($"{Name}: epoch {epoch + 1}: unfreezing {string.Join(", ", unfrozenStages)}");
                        }
                        SetStageModes(backbone, unfrozenStages, all: unfreeze == stageCount);
                        return [headOptimizer, backboneOptimizer];
                    },
                    StartValidation = () =>
                    {
                        backbone.Network.Eval();
                        head.Eval();
                    },
                    TrainLogits = (items, _) =>
                    {
                        var x = preparer.ToNetworkInput(Select(fitSet, fitRow, items, device));
                        if (augmenter is not null)
                            x = CnnTrainer.Augment(x, augmenter.DrawThetas(items.Length, input.Size, input.Size));
                        return head.Forward(backbone.Features(x));
                    },
                    EvalLogits = items => head.Forward(backbone.Features(preparer.ToNetworkInput(Select(validationSet, validationRow, items, device)))),
                };
                var result = loop.Run(context, device);
                backbone.Network.SetRequiresGrad(false);
                backbone.Network.Eval();

                var summary = new TrainingSummary();
                var temperature = loop.FitTemperature(summary.Facts, context);
                foreach (var (name, values) in result.Curves)
                    summary.Curves[name] = values;
                var facts = summary.Facts;
                TransferFit.AddBackboneFacts(facts, Name, Source, Origin, backbone, input);
                facts["mode"] = "finetune";
                if (initialHead is not null)
                    facts["warm_start"] = "head";
                facts["stages"] = string.Join(",", backbone.StageNames);
                facts["unfreeze"] = Transfer.UnfreezeStages is { } stages ? TransferFit.Format(stages) : "all";
                facts["unfrozen_stages"] = unfreeze == 0 ? "none" : string.Join(",", unfrozenStages);
                facts["unfrozen_parameters"] = TransferFit.Format(unfrozen.Sum(p => p.Tensor.NumElements));
                facts["warmup_epochs"] = TransferFit.Format(Transfer.WarmupEpochs);
                facts["backbone_lr_factor"] = TransferFit.Format(Transfer.BackboneLearningRateFactor);
                facts["augmentation"] = Cnn.Augmentation.ToString();
                Cnn.AddRegimeFacts(facts);
                facts["feature_cache"] = scalingCache.Directory ?? "memory only";
                facts["fit_items"] = TransferFit.Format(fit.Length);
                facts["validation_items"] = TransferFit.Format(validation.Length);
                facts[ValidationSplit.ClassCountsFact] = ValidationSplit.ClassCounts(data.Labels, data.Groups, data.ClassCount, validation);
                facts["epochs_run"] = TransferFit.Format(result.EpochsRun);
                facts["best_epoch"] = TransferFit.Format(result.BestEpoch + 1);
                if (result.HadValidation)
                    facts["best_val_loss"] = TransferFit.Format(result.BestLoss);
                if (fitFallbacks + validationFallbacks > 0)
                    facts["mask_fallbacks"] = TransferFit.Format(fitFallbacks + validationFallbacks);
                facts["threads"] = TransferFit.Format(threads);
                facts["device"] = device.ToString();
                summary.TrainingTime = clock.Elapsed;
                context.Progress?.Report(1);
                var info = TransferFit.Info(Name, backbone, input, data.ClassNames) with { Temperature = temperature };
                return new TransferModel(backbone, head, info, device, threads, Transfer.ExtractionBatchSize, null, summary);
            }
            finally
            {
                backboneOptimizer?.Dispose();
            }
        }
        catch
        {
            head?.Dispose();
            backbone.Dispose();
            throw;
        }
    }

    Optimizer CreateOptimizer(IEnumerable<Tensor> parameters, double learningRate) => Cnn.Optimizer switch
    {
        CnnOptimizer.Sgd => new Sgd(parameters, new SgdOptions { LearningRate = learningRate, Momentum = Cnn.Momentum, WeightDecay = Cnn.WeightDecay }),
        _ => new Adam(parameters, new AdamOptions { LearningRate = learningRate, WeightDecay = Cnn.WeightDecay }),
    };

    // Frozen stages keep evaluation mode (fixed batch-norm statistics); unfrozen ones train, and with every stage
    // unfrozen so do the parameter-free layers between them (dropout).
    static void SetStageModes(IFeatureBackbone backbone, IReadOnlyCollection<string> unfrozenStages, bool all)
    {
        if (all)
        {
            backbone.Network.Train();
            return;
        }
        backbone.Network.Eval();
        foreach (var (name, module) in backbone.Network.NamedModules())
        {
            if (unfrozenStages.Contains(name))
                module.Train();
        }
    }

    static Dictionary<int, long> Rows(int[] items)
    {
        var rows = new Dictionary<int, long>(items.Length);
        for (var r = 0; r < items.Length; r++)
            rows[items[r]] = r;
        return rows;
    }

    static Tensor Select(Tensor set, Dictionary<int, long> rowOf, int[] items, Device device)
    {
        var rows = items.Select(i => rowOf[i]).ToArray();
        var index = CnnTrainer.ToDevice(Tensor.FromArray(rows, [rows.Length]), device);
        return set.IndexSelect(0, index);
    }
}
