using System.CommandLine;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;

namespace AutoClassify.Cli;

/// <summary>
/// The model settings on the command line, shared by <c>benchmark</c> and <c>train</c>: the SVM's grid search and
/// the CNN training regime, whose defaults follow the thesis (see <see cref="CnnOptions.Defaults"/>).
/// </summary>
internal sealed class ModelCommandOptions
{
    readonly Option<int> innerFolds = CommonOptions.InnerFolds();
    readonly Option<string> grid = CommonOptions.Grid();
    readonly Option<int> svmTuneMax = new("--svm-tune-max") { Description = "Largest training fold the SVM grid search scores in full; larger folds are searched on a stratified sample of this size (0 = no cap). The final fit uses the whole fold.", DefaultValueFactory = _ => Models.Svm.SvmOptions.Defaults.MaxTuningItems };
    readonly Option<int?> epochSize = new("--epoch-size") { Description = "Items drawn per CNN epoch, keeping the sampler's class shares (default: the sampler's natural size, capped at the larger of the fitting set and 128 batches; 0: the natural size always, which for oversampling is classes x the largest class, the thesis's regime)." };
    readonly Option<string> svmSearch = new("--svm-search") { Description = "SVM grid search: coarse-to-fine (a coarse sub-grid, then the neighbourhood of its best cells) or exhaustive (every cell).", DefaultValueFactory = _ => "coarse-to-fine" };
    readonly Option<string> lrSchedule = new("--lr-schedule") { Description = "LipNet learning rate after the warm-up: constant (the thesis's) or cosine (down to 1 % at the last epoch).", DefaultValueFactory = _ => "constant" };
    readonly Option<double> lrWarmup = new("--lr-warmup") { Description = "LipNet epochs over which the learning rate rises linearly to its peak (0 = none).", DefaultValueFactory = _ => CnnOptions.Defaults.LearningRateWarmupEpochs };
    readonly Option<int> epochs = new("--epochs") { Description = "Maximum epochs per fit (early stopping usually ends sooner).", DefaultValueFactory = _ => CnnOptions.Defaults.MaxEpochs };
    readonly Option<int> patience = new("--patience") { Description = "Validation checks without a better validation loss before stopping (epochs at --validations-per-epoch 1).", DefaultValueFactory = _ => CnnOptions.Defaults.Patience };
    readonly Option<int> validationsPerEpoch = new("--validations-per-epoch") { Description = "LipNet validation checks per epoch: the epoch's shuffled order is cut into this many runs of whole batches, checked after each, so training stops sooner after its best point; the items trained are the same.", DefaultValueFactory = _ => CnnOptions.Defaults.ValidationsPerEpoch };
    readonly Option<string> optimizer = new("--optimizer") { Description = "adam or sgd (momentum 0.9).", DefaultValueFactory = _ => "adam" };
    readonly Option<double?> learningRate = new("--lr") { Description = "Learning rate (default 1e-3 for Adam, 1e-2 for SGD)." };
    readonly Option<double> weightDecay = new("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => CnnOptions.Defaults.WeightDecay };
    readonly Option<double> labelSmoothing = new("--label-smoothing") { Description = "Label smoothing epsilon.", DefaultValueFactory = _ => CnnOptions.Defaults.LabelSmoothing };
    readonly Option<int> batchSize = new("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => CnnOptions.Defaults.BatchSize };
    readonly Option<string> sampler = new("--sampler") { Description = "Class balancing per epoch: oversample, undersample or none.", DefaultValueFactory = _ => "oversample" };
    readonly Option<double> undersampleFraction = new("--undersample-fraction") { Description = "Share of the majority class dropped each epoch by --sampler undersample.", DefaultValueFactory = _ => CnnOptions.Defaults.UndersampleFraction };
    readonly Option<bool> classWeights = new("--class-weights") { Description = "Weight the loss inversely to class frequency." };
    readonly Option<string> augment = new("--augment") { Description = "all (the thesis's rotate,shear,shift,zoom,hflip,vflip), field (exact quarter turns and mirrors), none, or a list of rotate,rot90,shear,shift,zoom,hflip,vflip (default: all; field with --tile, as resampling blurs the texture and zoom changes the particle scale)." };
    readonly Option<string> inputMode = new("--input-mode") { Description = "surround (full crop), crop (object bounding box) or crop-mask.", DefaultValueFactory = _ => "surround" };
    readonly Option<int?> inputSize = new("--input-size") { Description = "Network input size in pixels (default: the model's: 28 or 32 for LipNets; 224 for ImageNet backbones, where 112 and 96 are also allowed; LipNet backbones keep their package's)." };
    readonly Option<string?> backbone = new("--backbone") { Description = "Backbone of the lipnet-backbone-* models (domain transfer): a CNN package file, a registry version (models/x/v3) or a registry model folder (its champion)." };
    readonly Option<string?> weights = new("--weights") { Description = "Weights of an ImageNet backbone: a .pth or .safetensors file, or 'none' for random initialisation (default: the torch hub cache, then AutoClassify's cache, then a verified download)." };
    readonly Option<string> unfreeze = new("--unfreeze") { Description = "Fine-tuning: 'all' or how many of the backbone's last stages train (0 = head only).", DefaultValueFactory = _ => "all" };
    readonly Option<double> backboneLrFactor = new("--backbone-lr-factor") { Description = "Fine-tuning: learning rate of the backbone as a fraction of the head's.", DefaultValueFactory = _ => TransferOptions.Defaults.BackboneLearningRateFactor };
    readonly Option<int> warmupEpochs = new("--warmup-epochs") { Description = "Fine-tuning: epochs in which the head trains alone first.", DefaultValueFactory = _ => TransferOptions.Defaults.WarmupEpochs };
    readonly Option<int> frozenAugmentDraws = new("--frozen-augment-draws") { Description = "Frozen models: augmented variants per image extracted and cached besides the plain one (0 = none).", DefaultValueFactory = _ => TransferOptions.Defaults.FrozenAugmentDraws };
    readonly Option<string?> featureCache = new("--feature-cache") { Description = "Frozen-feature cache folder (default: ~/.cache/autoclassify/features), or 'none' to keep features in memory only." };
    readonly Option<string> calibrate = new("--calibrate") { Description = "Post-hoc calibration of CNN probabilities: none, or temperature (one temperature fitted on the validation split inside each training fold; packages keep it and predict applies it).", DefaultValueFactory = _ => "none" };
    readonly Option<string> device = new("--device") { Description = "cpu, or cuda when the shim is built against a CUDA libtorch.", DefaultValueFactory = _ => CnnOptions.Defaults.Device };

    public ModelCommandOptions()
    {
        optimizer.AcceptOnlyFromAmong("adam", "sgd");
        sampler.AcceptOnlyFromAmong("oversample", "undersample", "none");
        svmSearch.AcceptOnlyFromAmong("coarse-to-fine", "exhaustive");
        lrSchedule.AcceptOnlyFromAmong("constant", "cosine");
        inputMode.AcceptOnlyFromAmong("surround", "crop", "crop-mask");
        calibrate.AcceptOnlyFromAmong("none", "temperature");
        unfreeze.Validators.Add(r =>
        {
            try
            {
                TransferOptions.ParseUnfreeze(r.GetValueOrDefault<string>() ?? "");
            }
            catch (FormatException e)
            {
                r.AddError(e.Message);
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { innerFolds, grid, svmSearch, svmTuneMax, epochSize, lrSchedule, lrWarmup, epochs, patience, validationsPerEpoch, optimizer, learningRate, weightDecay, labelSmoothing, batchSize, sampler, undersampleFraction, classWeights, augment, inputMode, inputSize, calibrate, device, backbone, weights, unfreeze, backboneLrFactor, warmupEpochs, frozenAugmentDraws, featureCache })
            command.Add(option);
    }

    /// <summary>
    /// Builds the settings; <see cref="CnnOptions.Validate"/> names any bad value when a trainer is created.
    /// <paramref name="tiled"/> runs learn from whole-field tiles, whose augmentation defaults to
    /// <see cref="AugmentationOptions.Field"/> instead of the thesis's set.
    /// </summary>
    public ModelSettings Read(ParseResult parse, int threads, bool tiled = false) => new()
    {
        InnerFolds = parse.GetValue(innerFolds),
        Grid = parse.GetValue(grid)!,
        SvmTuneMax = parse.GetValue(svmTuneMax),
        SvmSearch = parse.GetValue(svmSearch) == "exhaustive" ? Models.Svm.SvmSearch.Exhaustive : Models.Svm.SvmSearch.CoarseToFine,
        Cnn = ReadCnn(parse, threads, tiled),
        Transfer = ReadTransfer(parse),
    };

    TransferOptions ReadTransfer(ParseResult parse)
    {
        var cache = parse.GetValue(featureCache);
        var off = cache is not null && cache.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);
        return new()
        {
            Backbone = parse.GetValue(backbone),
            WeightsPath = parse.GetValue(weights) is { } w && !w.Trim().Equals(BackboneArchitectures.NoWeights, StringComparison.OrdinalIgnoreCase) ? Path.GetFullPath(w) : parse.GetValue(weights),
            InputSize = parse.GetValue(inputSize),
            UnfreezeStages = TransferOptions.ParseUnfreeze(parse.GetValue(unfreeze)!),
            BackboneLearningRateFactor = parse.GetValue(backboneLrFactor),
            WarmupEpochs = parse.GetValue(warmupEpochs),
            FrozenAugmentDraws = parse.GetValue(frozenAugmentDraws),
            FeatureCacheDirectory = off ? null : cache,
            DisableDiskCache = off,
        };
    }

    CnnOptions ReadCnn(ParseResult parse, int threads, bool tiled) => new()
    {
        MaxEpochs = parse.GetValue(epochs),
        EpochSize = parse.GetValue(epochSize),
        Schedule = parse.GetValue(lrSchedule) == "cosine" ? LearningRateSchedule.Cosine : LearningRateSchedule.Constant,
        LearningRateWarmupEpochs = parse.GetValue(lrWarmup),
        Patience = parse.GetValue(patience),
        ValidationsPerEpoch = parse.GetValue(validationsPerEpoch),
        Optimizer = parse.GetValue(optimizer) == "sgd" ? CnnOptimizer.Sgd : CnnOptimizer.Adam,
        LearningRate = parse.GetValue(learningRate),
        WeightDecay = parse.GetValue(weightDecay),
        LabelSmoothing = parse.GetValue(labelSmoothing),
        BatchSize = parse.GetValue(batchSize),
        Sampler = parse.GetValue(sampler) switch
        {
            "undersample" => SamplerKind.Undersample,
            "none" => SamplerKind.None,
            _ => SamplerKind.Oversample,
        },
        UndersampleFraction = parse.GetValue(undersampleFraction),
        ClassWeightedLoss = parse.GetValue(classWeights),
        Augmentation = parse.GetValue(augment) is { } augmentation
            ? AugmentationOptions.Parse(augmentation)
            : tiled ? AugmentationOptions.Field : AugmentationOptions.Default,
        InputMode = InputModes.Parse(parse.GetValue(inputMode)!),
        InputSize = parse.GetValue(inputSize),
        Calibration = parse.GetValue(calibrate) == "temperature" ? CalibrationMethod.Temperature : CalibrationMethod.None,
        Threads = threads,
        Device = parse.GetValue(device)!,
    };
}
