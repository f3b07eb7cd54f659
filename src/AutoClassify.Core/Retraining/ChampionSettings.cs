using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;

namespace AutoClassify.Retraining;

/// <summary>
/// Rebuilds the training settings of a champion from its manifest (the facts its trainer recorded, and for a CNN
/// the loaded network's description), so a challenger is trained the way its champion was.
/// </summary>
internal static class ChampionSettings
{
    internal static ModelSettings From(LoadedModelPackage champion, RetrainOptions options)
    {
        var facts = champion.Manifest.Provenance.Facts;
        var kind = champion.Manifest.ModelKind;
        if (ModelCatalog.InputOf(kind) == ModelInput.Features)
        {
            return new ModelSettings
            {
                InnerFolds = Int(facts, "inner_folds") ?? new ModelSettings().InnerFolds,
                Grid = options.Grid ?? facts.GetValueOrDefault("grid") ?? "full",
                SvmTuneMax = Int(facts, "svm_tune_max") ?? new ModelSettings().SvmTuneMax,
            };
        }

        var info = (champion.Model as CnnPackagedModel)?.Model.Info;
        var defaults = new CnnOptions();
        var optimizer = facts.GetValueOrDefault("optimizer") == "sgd" ? CnnOptimizer.Sgd : CnnOptimizer.Adam;
        var cnn = new CnnOptions
        {
            Model = kind,
            Optimizer = optimizer,
            LearningRate = options.LearningRate ?? Double(facts, "learning_rate"),
            Momentum = Double(facts, "momentum") ?? defaults.Momentum,
            WeightDecay = Double(facts, "weight_decay") ?? defaults.WeightDecay,
            Dropout = info?.Dropout ?? Double(facts, "dropout") ?? defaults.Dropout,
            HiddenDropout = info?.HiddenDropout ?? Double(facts, "hidden_dropout") ?? defaults.HiddenDropout,
            LabelSmoothing = Double(facts, "label_smoothing") ?? defaults.LabelSmoothing,
            BatchSize = Int(facts, "batch_size") ?? defaults.BatchSize,
            MaxEpochs = options.Epochs ?? Int(facts, "max_epochs") ?? defaults.MaxEpochs,
            Patience = options.Patience ?? Int(facts, "patience") ?? defaults.Patience,
            EpochSize = Int(facts, "epoch_size"),
            Sampler = facts.GetValueOrDefault("sampler") switch
            {
                "none" => SamplerKind.None,
                "undersample" => SamplerKind.Undersample,
                _ => SamplerKind.Oversample,
            },
            UndersampleFraction = Double(facts, "undersample_fraction") ?? defaults.UndersampleFraction,
            ClassWeightedLoss = facts.GetValueOrDefault("class_weighted_loss") == "true",
            Augmentation = facts.TryGetValue("augmentation", out var augmentation) ? AugmentationOptions.Parse(augmentation) : defaults.Augmentation,
            InputMode = InputModes.Parse(info?.InputMode ?? champion.Manifest.Preprocessing.InputMode),
            InputSize = info?.InputSize ?? champion.Manifest.Preprocessing.InputSize,
            CropMargin = info?.CropMargin ?? defaults.CropMargin,
            Threads = options.Threads,
        };
        return new ModelSettings { Cnn = cnn };
    }

    static int? Int(IReadOnlyDictionary<string, string> facts, string key) =>
        facts.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    static double? Double(IReadOnlyDictionary<string, string> facts, string key) =>
        facts.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
}
