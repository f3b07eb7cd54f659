using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
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

    /// <summary>The challenger's settings, and where each training setting came from (carried, overridden or not recorded).</summary>
    internal static (ModelSettings Settings, IReadOnlyList<CarriedSetting> Ledger) From(LoadedModelPackage champion, RetrainOptions options)
    {
        var facts = champion.Manifest.Provenance.Facts;
        var kind = champion.Manifest.ModelKind;
        var ledger = new Ledger(facts);
        CheckApplicable(kind, options);
        if (ModelCatalog.IsFeatureModel(kind))
        {
            var feature = new ModelSettings
            {
                InnerFolds = InnerFolds(facts),
                Grid = Grid(facts, options),
                SvmTuneMax = SvmTuneMax(facts),
                SvmSearch = options.SvmSearch ?? Search(facts),
            };
            if (ModelCatalog.IsFeatureSvm(kind))
                SvmLedger(ledger, feature, options);
            return (feature, ledger.Settings);
        }

        var regime = Regime(facts, options);
        if (TransferCatalog.Split(kind) is { } transfer)
            return Transfer(champion, options, transfer.Backbone, transfer.Mode, regime, ledger);

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
            // A champion from before these settings trained at a constant rate without a warm-up.
            Schedule = options.Schedule ?? Schedule(facts),
            LearningRateWarmupEpochs = options.LearningRateWarmupEpochs ?? Double(facts, "lr_warmup_epochs") ?? 0,
            // A champion from before the checks within an epoch validated once per epoch.
            ValidationsPerEpoch = options.ValidationsPerEpoch ?? Int(facts, CnnTrainer.ValidationsPerEpochFact) ?? 1,
        };
        RegimeLedger(ledger, cnn, options, everySetting: true);
        ledger.Record("lr_schedule", cnn.Schedule.ToString().ToLowerInvariant(), Flag(options.Schedule, "--lr-schedule"),
            note: "it predates learning-rate schedules and trained at a constant rate");
        ledger.Record("lr_warmup_epochs", Format(cnn.LearningRateWarmupEpochs), Flag(options.LearningRateWarmupEpochs, "--lr-warmup"),
            note: "it predates the learning-rate warm-up and trained without one");
        ledger.Record(CnnTrainer.ValidationsPerEpochFact, Format(cnn.ValidationsPerEpoch), Flag(options.ValidationsPerEpoch, "--validations-per-epoch"), absentMeans: "1");
        // The network itself records these, whatever the facts say.
        ledger.Record("dropout", Format(cnn.Dropout), null, info is null ? null : Format(info.Dropout));
        if (LipNet.Find(kind).HiddenUnits > 0)
            ledger.Record("hidden_dropout", Format(cnn.HiddenDropout), null, info is null ? null : Format(info.HiddenDropout));
        ledger.Record("input_mode", cnn.InputMode.ToName(), null, cnn.InputMode.ToName());
        ledger.Record("input_size", Format(cnn.EffectiveInputSize), null, Format(cnn.EffectiveInputSize));
        return (new ModelSettings { Cnn = cnn }, ledger.Settings);
    }

    // CNN options on an SVM would silently do nothing, LipNet-only ones on a transfer model too: refused before any work.
    static void CheckApplicable(string kind, RetrainOptions options)
    {
        if (options.SvmSearch is not null && !ModelCatalog.IsFeatureSvm(kind))
            throw new ArgumentException($"--svm-search sets how an SVM's grid is searched, but the champion is a {kind} model.");
        var network = new (object? Value, string Flag)[]
        {
            (options.Epochs, "--epochs"), (options.Patience, "--patience"), (options.LearningRate, "--lr"), (options.EpochSize, "--epoch-size"),
            (options.Schedule, "--lr-schedule"), (options.LearningRateWarmupEpochs, "--lr-warmup"), (options.ValidationsPerEpoch, "--validations-per-epoch"),
        };
        if (ModelCatalog.IsFeatureModel(kind) && network.FirstOrDefault(o => o.Value is not null).Flag is { } flag)
            throw new ArgumentException($"{flag} sets how a network trains, but the champion is a {kind} model, which has none.");
        if (TransferCatalog.Split(kind) is not null && network[4..].FirstOrDefault(o => o.Value is not null).Flag is { } lipNetOnly)
            throw new ArgumentException($"{lipNetOnly} applies to LipNet models only, but the champion is a {kind} model.");
    }

    // The training regime the CNNs and the transfer heads record alike (RetrainOptions override epochs, patience, learning rate and epoch size).
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
            // No fact: the champion predates the capped default and drew the sampler's natural size (0).
            EpochSize = options.EpochSize ?? (facts.GetValueOrDefault("epoch_size") == CnnOptions.CappedEpochFact ? null : Int(facts, "epoch_size") ?? 0),
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

    // The regime as the ledger sees it. A LipNet records every setting here (epoch size and calibration by their
    // absence when natural and none), so each is listed; a transfer head lists only those its champion recorded or the user set.
    static void RegimeLedger(Ledger ledger, CnnOptions cnn, RetrainOptions options, bool everySetting)
    {
        void Add(string name, string value, string? flag = null, string? absentMeans = null)
        {
            if (everySetting || flag is not null || ledger.Records(name))
                ledger.Record(name, value, flag, absentMeans);
        }

        Add("optimizer", cnn.Optimizer.ToString().ToLowerInvariant());
        Add("learning_rate", Format(cnn.EffectiveLearningRate), Flag(options.LearningRate, "--lr"));
        if (cnn.Optimizer == CnnOptimizer.Sgd)
            Add("momentum", Format(cnn.Momentum));
        Add("weight_decay", Format(cnn.WeightDecay));
        Add("label_smoothing", Format(cnn.LabelSmoothing));
        Add("batch_size", Format(cnn.BatchSize));
        Add("max_epochs", Format(cnn.MaxEpochs), Flag(options.Epochs, "--epochs"));
        Add("patience", Format(cnn.Patience), Flag(options.Patience, "--patience"));
        Add("validation_fraction", Format(cnn.ValidationFraction));
        Add("epoch_size", cnn.EpochSize switch { null => CnnOptions.CappedEpochFact, 0 => "natural", { } size => Format(size) }, Flag(options.EpochSize, "--epoch-size"), absentMeans: "natural");
        Add("sampler", cnn.Sampler.ToString().ToLowerInvariant());
        if (cnn.Sampler == SamplerKind.Undersample)
            Add("undersample_fraction", Format(cnn.UndersampleFraction));
        Add("class_weighted_loss", cnn.ClassWeightedLoss ? "true" : "false");
        Add("calibration", cnn.Calibration.ToString().ToLowerInvariant(), absentMeans: "none");
        Add("augmentation", cnn.Augmentation.ToString());
    }

    static void SvmLedger(Ledger ledger, ModelSettings settings, RetrainOptions options)
    {
        ledger.Record("grid", settings.Grid, Flag(options.Grid, "--grid"), note: "this build's default");
        ledger.Record("grid_search", SearchName(settings.SvmSearch), Flag(options.SvmSearch, "--svm-search"),
            note: "it predates the coarse-to-fine search and scored every cell");
        ledger.Record("inner_folds", Format(settings.InnerFolds), null, note: "this build's default");
        ledger.Record("svm_tune_max", Format(settings.SvmTuneMax), null, note: "this build's default");
    }

    static (ModelSettings, IReadOnlyList<CarriedSetting>) Transfer(LoadedModelPackage champion, RetrainOptions options, string prefix, string mode, CnnOptions regime, Ledger ledger)
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
        var cnn = regime with { InputMode = InputModes.Parse(info.InputMode), CropMargin = info.CropMargin };
        RegimeLedger(ledger, cnn, options, everySetting: false);
        if (ledger.Records("backbone_lr_factor"))
            ledger.Record("backbone_lr_factor", Format(transfer.BackboneLearningRateFactor), null);
        if (ledger.Records("warmup_epochs"))
            ledger.Record("warmup_epochs", Format(transfer.WarmupEpochs), null);
        if (ledger.Records("unfreeze"))
            ledger.Record("unfreeze", transfer.UnfreezeStages is { } stages ? Format(stages) : "all", null);
        if (ledger.Records("frozen_augment_draws"))
            ledger.Record("frozen_augment_draws", Format(transfer.FrozenAugmentDraws), null);
        var settings = new ModelSettings
        {
            InnerFolds = InnerFolds(facts),
            Grid = Grid(facts, options),
            SvmTuneMax = SvmTuneMax(facts),
            Cnn = cnn,
            Transfer = transfer,
        };
        return (settings, ledger.Settings);
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

    // A champion without the fact searched every cell: coarse-to-fine came later.
    static SvmSearch Search(IReadOnlyDictionary<string, string> facts) =>
        facts.GetValueOrDefault("grid_search") == "coarse-to-fine" ? SvmSearch.CoarseToFine : SvmSearch.Exhaustive;

    static string SearchName(SvmSearch search) => search == SvmSearch.CoarseToFine ? "coarse-to-fine" : "exhaustive";

    static LearningRateSchedule Schedule(IReadOnlyDictionary<string, string> facts) =>
        facts.GetValueOrDefault("lr_schedule") == "cosine" ? LearningRateSchedule.Cosine : LearningRateSchedule.Constant;

    static string? Flag(object? value, string flag) => value is null ? null : flag;

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Collects where each training setting of the challenger came from, against the champion's facts.</summary>
    sealed class Ledger(IReadOnlyDictionary<string, string> facts)
    {
        public List<CarriedSetting> Settings { get; } = [];

        public bool Records(string name) => facts.ContainsKey(name);

        // absentMeans: the champion's value when it has no fact of that name, because its network holds it or the fact is left out for that value.
        public void Record(string name, string value, string? flag, string? absentMeans = null, string note = "this build's default")
        {
            var championValue = facts.GetValueOrDefault(name) ?? absentMeans;
            if (flag is not null)
                Settings.Add(new CarriedSetting(name, value, SettingOrigin.Overridden, flag, championValue));
            else if (championValue is not null)
                Settings.Add(new CarriedSetting(name, value, SettingOrigin.Carried, ChampionValue: championValue));
            else
                Settings.Add(new CarriedSetting(name, value, SettingOrigin.NotRecorded, Note: note));
        }
    }

    static int? Int(IReadOnlyDictionary<string, string> facts, string key) =>
        facts.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    static double? Double(IReadOnlyDictionary<string, string> facts, string key) =>
        facts.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
}
