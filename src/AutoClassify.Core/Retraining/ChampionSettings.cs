using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Packaging;

namespace AutoClassify.Retraining;

/// <summary>
/// Rebuilds the training settings of a champion from its manifest (the facts its trainer recorded, and for a CNN or
/// transfer model the loaded network's description), so a challenger is trained the way its champion was.
/// <para>
/// A transfer challenger's backbone is the champion package's own (<see cref="TransferOptions.StartPackage"/>): for
/// <c>-frozen</c> that is exactly the feature extractor the champion was trained on, whatever its weights were
/// (ImageNet, <c>--weights none</c>, a file, a LipNet package that may be gone since), and only the head is refitted;
/// for <c>-finetune</c> it is the champion's fine-tuned backbone, to train on. With <c>--from-scratch</c> a
/// <c>-finetune</c> challenger instead restarts from the backbone's original source as the champion's manifest
/// records it (<see cref="BackboneOrigin"/>), checked by SHA-256; when that is not recorded or no longer the same,
/// the retrain stops here with an error naming it, before any training, rather than start from something else.
/// </para>
/// </summary>
internal static class ChampionSettings
{
    /// <summary>The <c>feature_cache</c> fact of a run that kept its features in memory only.</summary>
    const string MemoryOnlyCache = "memory only";

    internal static ModelSettings From(LoadedModelPackage champion, RetrainOptions options)
    {
        var facts = champion.Manifest.Provenance.Facts;
        var kind = champion.Manifest.ModelKind;
        if (ModelCatalog.IsFeatureModel(kind))
            return new ModelSettings { InnerFolds = InnerFolds(facts), Grid = Grid(facts, options), SvmTuneMax = SvmTuneMax(facts) };

        var regime = Regime(facts, options);
        if (TransferCatalog.Split(kind) is { } transfer)
            return Transfer(champion, options, transfer.Backbone, transfer.Mode, regime);

        var info = (champion.Model as CnnPackagedModel)?.Model.Info;
        var defaults = new CnnOptions();
        var cnn = regime with
        {
            Model = kind,
            Dropout = info?.Dropout ?? Double(facts, "dropout") ?? defaults.Dropout,
            HiddenDropout = info?.HiddenDropout ?? Double(facts, "hidden_dropout") ?? defaults.HiddenDropout,
            InputMode = InputModes.Parse(info?.InputMode ?? champion.Manifest.Preprocessing.InputMode),
            InputSize = info?.InputSize ?? champion.Manifest.Preprocessing.InputSize,
            CropMargin = info?.CropMargin ?? defaults.CropMargin,
        };
        return new ModelSettings { Cnn = cnn };
    }

    // The training regime the CNNs and the transfer heads record alike (RetrainOptions override epochs, patience and learning rate).
    static CnnOptions Regime(IReadOnlyDictionary<string, string> facts, RetrainOptions options)
    {
        var defaults = new CnnOptions();
        return new CnnOptions
        {
            Optimizer = facts.GetValueOrDefault("optimizer") == "sgd" ? CnnOptimizer.Sgd : CnnOptimizer.Adam,
            LearningRate = options.LearningRate ?? Double(facts, "learning_rate"),
            Momentum = Double(facts, "momentum") ?? defaults.Momentum,
            WeightDecay = Double(facts, "weight_decay") ?? defaults.WeightDecay,
            LabelSmoothing = Double(facts, "label_smoothing") ?? defaults.LabelSmoothing,
            BatchSize = Int(facts, "batch_size") ?? defaults.BatchSize,
            MaxEpochs = options.Epochs ?? Int(facts, "max_epochs") ?? defaults.MaxEpochs,
            Patience = options.Patience ?? Int(facts, "patience") ?? defaults.Patience,
            ValidationFraction = Double(facts, "validation_fraction") ?? defaults.ValidationFraction,
            EpochSize = Int(facts, "epoch_size"),
            Sampler = facts.GetValueOrDefault("sampler") switch
            {
                "none" => SamplerKind.None,
                "undersample" => SamplerKind.Undersample,
                _ => SamplerKind.Oversample,
            },
            UndersampleFraction = Double(facts, "undersample_fraction") ?? defaults.UndersampleFraction,
            ClassWeightedLoss = facts.GetValueOrDefault("class_weighted_loss") == "true",
            Calibration = facts.GetValueOrDefault("calibration") == "temperature" ? CalibrationMethod.Temperature : CalibrationMethod.None,
            Augmentation = facts.TryGetValue("augmentation", out var augmentation) ? AugmentationOptions.Parse(augmentation) : defaults.Augmentation,
            Threads = options.Threads,
        };
    }

    static ModelSettings Transfer(LoadedModelPackage champion, RetrainOptions options, string prefix, string mode, CnnOptions regime)
    {
        var facts = champion.Manifest.Provenance.Facts;
        var info = (champion.Model as TransferPackagedModel)?.Model.Info
            ?? throw new InvalidDataException($"{champion.Path}: the manifest says {champion.Manifest.ModelKind}, but the package holds no transfer model.");
        var defaults = new TransferOptions();
        var transfer = new TransferOptions
        {
            StartPackage = champion.Path,
            // LipNet backbones always take their own package's size; an ImageNet one was given it (224, 112 or 96).
            InputSize = info.LipNetSource is null ? info.InputSize : null,
            UnfreezeStages = Unfreeze(facts),
            BackboneLearningRateFactor = Double(facts, "backbone_lr_factor") ?? defaults.BackboneLearningRateFactor,
            WarmupEpochs = Int(facts, "warmup_epochs") ?? defaults.WarmupEpochs,
            FrozenAugmentDraws = Int(facts, "frozen_augment_draws") ?? defaults.FrozenAugmentDraws,
            // A champion whose features never touched the disk (--feature-cache none) keeps the challenger's off it too.
            DisableDiskCache = facts.GetValueOrDefault("feature_cache") == MemoryOnlyCache,
        };
        if (mode == TransferCatalog.FineTune && options.FromScratch)
            transfer = FromOrigin(champion, prefix, transfer);
        return new ModelSettings
        {
            InnerFolds = InnerFolds(facts),
            Grid = Grid(facts, options),
            SvmTuneMax = SvmTuneMax(facts),
            Cnn = regime with { InputMode = InputModes.Parse(info.InputMode), CropMargin = info.CropMargin },
            Transfer = transfer,
        };
    }

    // --from-scratch for a fine-tuned champion: the backbone its first version started from, if it is still the same.
    static TransferOptions FromOrigin(LoadedModelPackage champion, string prefix, TransferOptions transfer)
    {
        var kind = champion.Manifest.ModelKind;
        const string instead = "Retrain without --from-scratch to start from the champion's own backbone, or train a new version with 'train'.";
        var origin = BackboneOrigin.FromFacts(prefix, champion.Manifest.Provenance.Facts)
            ?? throw new ArgumentException(
                $"{champion.Path}: --from-scratch restarts a {kind} challenger from the backbone its champion was first trained from, but this package does not record where that came from (it predates the record). {instead}");
        try
        {
            var reopened = origin.Reopen(transfer);
            BackboneSource.For(prefix, reopened).CheckAvailable(reopened);
            return reopened;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            throw new ArgumentException(
                $"{champion.Path}: --from-scratch restarts a {kind} challenger from {origin}, the backbone its champion was first trained from, but that is not available: {e.Message} {instead}", e);
        }
    }

    // "unfreeze" (all or a stage count); packages from before that fact give it through the stages they unfroze.
    static int? Unfreeze(IReadOnlyDictionary<string, string> facts)
    {
        if (facts.GetValueOrDefault("unfreeze") == "all")
            return null;
        if (Int(facts, "unfreeze") is { } stages and >= 0)
            return stages;
        if (facts.GetValueOrDefault("unfrozen_stages") is not { } unfrozen)
            return null;
        if (unfrozen == "none")
            return 0;
        var count = unfrozen.Split(',').Length;
        return facts.GetValueOrDefault("stages")?.Split(',').Length == count ? null : count;
    }

    static int InnerFolds(IReadOnlyDictionary<string, string> facts) => Int(facts, "inner_folds") ?? new ModelSettings().InnerFolds;

    static string Grid(IReadOnlyDictionary<string, string> facts, RetrainOptions options) => options.Grid ?? facts.GetValueOrDefault("grid") ?? "full";

    static int SvmTuneMax(IReadOnlyDictionary<string, string> facts) => Int(facts, "svm_tune_max") ?? new ModelSettings().SvmTuneMax;

    static int? Int(IReadOnlyDictionary<string, string> facts, string key) =>
        facts.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    static double? Double(IReadOnlyDictionary<string, string> facts, string key) =>
        facts.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
}
