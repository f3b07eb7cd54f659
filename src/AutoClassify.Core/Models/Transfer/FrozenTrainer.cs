using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Tensors;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Models.Transfer;

/// <summary>The classifier a frozen model trains on the cached features.</summary>
public enum FrozenHead
{
    /// <summary>A linear softmax layer (Adam, early stopping on a split of the training fold, the CNN arm's sampler).</summary>
    Softmax,

    /// <summary>The SVM arm's RBF C-SVC with its inner-CV grid search.</summary>
    Svm,
}

/// <summary>
/// Frozen transfer (<c>resnet18-frozen</c>, <c>lipnet-backbone-frozen-svm</c>, …): the backbone runs once per image
/// (evaluation mode, no autograd, batched) and its pooled features go to a <see cref="FeatureCache"/>; a softmax
/// head or an SVM is then trained on the features of the training fold. The trainer keeps one cache for all its
/// folds, so every image is extracted once per run, and not at all when the disk cache already holds it.
/// </summary>
public sealed class FrozenTrainer : IModelTrainer
{
    readonly FeatureCache cache;
    Action<string>? log;

    /// <param name="name">Catalog name, used in logs and reports.</param>
    /// <param name="source">The backbone.</param>
    /// <param name="head">Softmax layer or SVM.</param>
    /// <param name="transfer">Backbone, cache and augmentation-draw settings.</param>
    /// <param name="cnn">The training regime of the softmax head (and the input mode, augmentation, threads, device).</param>
    /// <param name="svm">Settings of the SVM head.</param>
    public FrozenTrainer(string name, BackboneSource source, FrozenHead head, TransferOptions? transfer = null, CnnOptions? cnn = null, SvmOptions? svm = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(source);
        Name = name;
        Source = source;
        Head = head;
        Transfer = transfer ?? new TransferOptions();
        Cnn = cnn ?? new CnnOptions();
        Transfer.Validate();
        Cnn.Validate();
        if (!Enum.IsDefined(head))
            throw new ArgumentOutOfRangeException(nameof(head), head, "Unknown head.");
        Svm = head == FrozenHead.Svm ? new SvmTrainer(svm) : null;
        if (Transfer.FrozenAugmentDraws > 0 && Cnn.Augmentation.IsNone)
            throw new ArgumentException($"{name}: --frozen-augment-draws {Transfer.FrozenAugmentDraws} needs an augmentation, but --augment is none.");
        TransferFit.CheckSource(name, source, Transfer);
        Origin = BackboneOrigin.Of(source, Transfer);
        cache = new FeatureCache(Transfer.DisableDiskCache ? null : Transfer.FeatureCacheDirectory ?? FeatureCache.DefaultDirectory,
            message => log?.Invoke(message));
    }

    public string Name { get; }

    public BackboneSource Source { get; }

    /// <summary>Where the backbone's weights came from, as the model's facts record it; null when a reopened package does not say.</summary>
    public BackboneOrigin? Origin { get; }

    public FrozenHead Head { get; }

    public TransferOptions Transfer { get; }

    public CnnOptions Cnn { get; }

    /// <summary>The SVM head's trainer, or null for the softmax head.</summary>
    public SvmTrainer? Svm { get; }

    /// <summary>The feature cache this trainer reads and fills (shared by its folds).</summary>
    public FeatureCache Cache => cache;

    ITrainedModel IModelTrainer.Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) => Train(data, trainIndices, context);

    /// <summary>Extracts (or looks up) the training fold's features and fits the head on them.</summary>
    public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        CnnTrainer.CheckImageData(Name, data, trainIndices);
        var clock = Stopwatch.StartNew();
        var threads = Cnn.Threads > 0 ? Cnn.Threads : context.EffectiveThreads;
        var device = CnnModel.ResolveDevice(Cnn.Device);
        log = context.Log;

        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        var backbone = TransferFit.OpenBackbone(Source, Transfer, context, device);
        try
        {
            var input = BackboneInputSpec.For(backbone, Transfer, Cnn);
            var extractor = new FeatureExtractor(backbone, input, cache, Cnn.Augmentation, device, Transfer.ExtractionBatchSize);

            var extractClock = Stopwatch.StartNew();
            var train = trainIndices as int[] ?? [.. trainIndices];
            var plain = extractor.Extract(data, train, 0, context.CancellationToken);
            var draws = Head == FrozenHead.Softmax ? Transfer.FrozenAugmentDraws : 0;
            var augmented = new float[draws][][];
            for (var d = 1; d <= draws; d++)
                augmented[d - 1] = extractor.Extract(data, train, d, context.CancellationToken);
            var extractSeconds = extractClock.Elapsed.TotalSeconds;
            context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"{Name}: features of {train.Length} images x {1 + draws} draw(s) from {Source} at {input.Size} px in {extractSeconds:F1} s ({extractor.Extracted} extracted); cache {cache.Describe()}"));
            context.Progress?.Report(0.5);

            ITrainedModel model = Head == FrozenHead.Svm
                ? FitSvm(backbone, extractor, data, train, plain, context, threads)
                : FitSoftmax(backbone, extractor, input, data, train, plain, augmented, context, device, threads);
            var facts = model.Summary.Facts;
            TransferFit.AddBackboneFacts(facts, Name, Source, Origin, backbone, input);
            facts["mode"] = "frozen";
            facts["head"] = Head == FrozenHead.Svm ? "svm" : "softmax";
            facts["frozen_augment_draws"] = TransferFit.Format(draws);
            facts["augmentation"] = Cnn.Augmentation.ToString();
            facts["features_extracted"] = TransferFit.Format(extractor.Extracted);
            facts["feature_cache"] = cache.Directory ?? "memory only";
            facts["extraction_seconds"] = extractSeconds.ToString("F2", CultureInfo.InvariantCulture);
            facts["backbone_identity"] = extractor.Identity;
            if (extractor.MaskFallbacks > 0)
                facts["mask_fallbacks"] = TransferFit.Format(extractor.MaskFallbacks);
            model.Summary.TrainingTime = clock.Elapsed;
            context.Progress?.Report(1);
            return model;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    FrozenSvmModel FitSvm(IFeatureBackbone backbone, FeatureExtractor extractor, TrainingData data, int[] train, float[][] plain, TrainingContext context, int threads)
    {
        var compact = TransferFit.FeatureData(data, train, plain);
        var svm = Svm!.Train(compact, [.. Enumerable.Range(0, train.Length)], new TrainingContext
        {
            Seed = context.Seed,
            Threads = context.Threads,
            Log = context.Log,
            CancellationToken = context.CancellationToken,
        });
        return new FrozenSvmModel(backbone, extractor, svm, threads);
    }

    TransferModel FitSoftmax(IFeatureBackbone backbone, FeatureExtractor extractor, BackboneInputSpec input, TrainingData data, int[] train,
        float[][] plain, float[][][] augmented, TrainingContext context, Device device, int threads)
    {
        var (fit, validation) = ValidationSplit.Carve(data.Labels, data.Groups, train, Cnn.ValidationFraction, Seeds.Derive(context.Seed, "transfer-validation"));
        var rowOf = new Dictionary<int, int>(train.Length);
        for (var row = 0; row < train.Length; row++)
            rowOf[train[row]] = row;
        var draws = augmented.Length;

        var head = new TransferHead(backbone.FeatureDim, data.ClassCount);
        try
        {
            head.FitScaling([.. fit.SelectMany(i => augmented.Select(a => a[rowOf[i]]).Prepend(plain[rowOf[i]]))]);
            head.To(device);
            // Every variant of every training item, in one tensor: row (1 + draws) · r + d is draw d of training row r.
            var variants = train.SelectMany((_, r) => augmented.Select(a => a[r]).Prepend(plain[r])).ToArray();
            using var features = TransferFit.ToTensor(variants, backbone.FeatureDim, device).DetachFromDisposeScope();
            using var optimizer = CreateOptimizer(head);
            var loop = new TransferTrainingLoop
            {
                Name = Name,
                Options = Cnn,
                Fit = fit,
                Validation = validation,
                Labels = data.Labels,
                ClassCount = data.ClassCount,
                Trained = [head],
                ValidationBatchSize = Cnn.PredictionBatchSize,
                StartEpoch = _ =>
                {
                    head.Train();
                    return [optimizer];
                },
                StartValidation = head.Eval,
                TrainLogits = (items, epoch) =>
                {
                    var random = new Random(Seeds.Derive(context.Seed, "frozen-draw", epoch, items[0]));
                    var rows = items.Select(i => (long)((1 + draws) * rowOf[i] + (draws == 0 ? 0 : random.Next(1 + draws)))).ToArray();
                    var index = CnnTrainer.ToDevice(Tensor.FromArray(rows, [rows.Length]), device);
                    return head.Forward(features.IndexSelect(0, index));
                },
                EvalLogits = items =>
                {
                    var rows = items.Select(i => (long)((1 + draws) * rowOf[i])).ToArray();
                    var index = CnnTrainer.ToDevice(Tensor.FromArray(rows, [rows.Length]), device);
                    return head.Forward(features.IndexSelect(0, index));
                },
            };
            TransferLoopResult result;
            var summary = new TrainingSummary();
            var temperature = 1.0;
            // The head's operations are tiny: a second libtorch thread only adds synchronisation, which stalls on a busy machine.
            using (new TorchThreads(1))
            {
                result = loop.Run(context, device);
                temperature = loop.FitTemperature(summary.Facts, context);
            }
            foreach (var (name, values) in result.Curves)
                summary.Curves[name] = values;
            AddHeadFacts(summary.Facts, head, fit.Length, validation.Length, result);
            summary.Facts[ValidationSplit.ClassCountsFact] = ValidationSplit.ClassCounts(data.Labels, data.Groups, data.ClassCount, validation);
            var info = TransferFit.Info(Name, backbone, input, data.ClassNames) with { Temperature = temperature };
            return new TransferModel(backbone, head, info, device, threads, Cnn.PredictionBatchSize, extractor, summary);
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    Optimizer CreateOptimizer(TransferHead head) => Cnn.Optimizer switch
    {
        CnnOptimizer.Sgd => new Sgd(head.Parameters(), new SgdOptions { LearningRate = Cnn.EffectiveLearningRate, Momentum = Cnn.Momentum, WeightDecay = Cnn.WeightDecay }),
        _ => new Adam(head.Parameters(), new AdamOptions { LearningRate = Cnn.EffectiveLearningRate, WeightDecay = Cnn.WeightDecay }),
    };

    void AddHeadFacts(Dictionary<string, string> facts, TransferHead head, int fitItems, int validationItems, TransferLoopResult result)
    {
        facts["head_parameters"] = TransferFit.Format(head.ParameterCount());
        Cnn.AddRegimeFacts(facts);
        facts["fit_items"] = TransferFit.Format(fitItems);
        facts["validation_items"] = TransferFit.Format(validationItems);
        facts["epochs_run"] = TransferFit.Format(result.EpochsRun);
        facts["best_epoch"] = TransferFit.Format(result.BestEpoch + 1);
        if (result.HadValidation)
            facts["best_val_loss"] = TransferFit.Format(result.BestLoss);
    }
}
