using System.CommandLine;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;

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
    readonly Option<int?> epochSize = new("--epoch-size") { Description = "Items drawn per CNN epoch, keeping the sampler's class shares (default: the sampler's natural size; oversampling gives classes x the largest class)." };
    readonly Option<int> epochs = new("--epochs") { Description = "Maximum epochs per fit (early stopping usually ends sooner).", DefaultValueFactory = _ => CnnOptions.Defaults.MaxEpochs };
    readonly Option<int> patience = new("--patience") { Description = "Epochs without a better validation loss before stopping.", DefaultValueFactory = _ => CnnOptions.Defaults.Patience };
    readonly Option<string> optimizer = new("--optimizer") { Description = "adam or sgd (momentum 0.9).", DefaultValueFactory = _ => "adam" };
    readonly Option<double?> learningRate = new("--lr") { Description = "Learning rate (default 1e-3 for Adam, 1e-2 for SGD)." };
    readonly Option<double> weightDecay = new("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => CnnOptions.Defaults.WeightDecay };
    readonly Option<double> labelSmoothing = new("--label-smoothing") { Description = "Label smoothing epsilon.", DefaultValueFactory = _ => CnnOptions.Defaults.LabelSmoothing };
    readonly Option<int> batchSize = new("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => CnnOptions.Defaults.BatchSize };
    readonly Option<string> sampler = new("--sampler") { Description = "Class balancing per epoch: oversample, undersample or none.", DefaultValueFactory = _ => "oversample" };
    readonly Option<double> undersampleFraction = new("--undersample-fraction") { Description = "Share of the majority class dropped each epoch by --sampler undersample.", DefaultValueFactory = _ => CnnOptions.Defaults.UndersampleFraction };
    readonly Option<bool> classWeights = new("--class-weights") { Description = "Weight the loss inversely to class frequency." };
    readonly Option<string> augment = new("--augment") { Description = "all, none, or a list of rotate,shear,shift,zoom,hflip,vflip.", DefaultValueFactory = _ => "all" };
    readonly Option<string> inputMode = new("--input-mode") { Description = "surround (full crop), crop (object bounding box) or crop-mask.", DefaultValueFactory = _ => "surround" };
    readonly Option<int?> inputSize = new("--input-size") { Description = "Network input size in pixels (default: the model's, 28 or 32)." };
    readonly Option<string> device = new("--device") { Description = "cpu, or cuda when the shim is built against a CUDA libtorch.", DefaultValueFactory = _ => CnnOptions.Defaults.Device };

    public ModelCommandOptions()
    {
        optimizer.AcceptOnlyFromAmong("adam", "sgd");
        sampler.AcceptOnlyFromAmong("oversample", "undersample", "none");
        inputMode.AcceptOnlyFromAmong("surround", "crop", "crop-mask");
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { innerFolds, grid, svmTuneMax, epochSize, epochs, patience, optimizer, learningRate, weightDecay, labelSmoothing, batchSize, sampler, undersampleFraction, classWeights, augment, inputMode, inputSize, device })
            command.Add(option);
    }

    /// <summary>Builds the settings; <see cref="CnnOptions.Validate"/> names any bad value when a trainer is created.</summary>
    public ModelSettings Read(ParseResult parse, int threads) => new()
    {
        InnerFolds = parse.GetValue(innerFolds),
        Grid = parse.GetValue(grid)!,
        SvmTuneMax = parse.GetValue(svmTuneMax),
        Cnn = ReadCnn(parse, threads),
    };

    CnnOptions ReadCnn(ParseResult parse, int threads) => new()
    {
        MaxEpochs = parse.GetValue(epochs),
        EpochSize = parse.GetValue(epochSize),
        Patience = parse.GetValue(patience),
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
        Augmentation = AugmentationOptions.Parse(parse.GetValue(augment)!),
        InputMode = InputModes.Parse(parse.GetValue(inputMode)!),
        InputSize = parse.GetValue(inputSize),
        Threads = threads,
        Device = parse.GetValue(device)!,
    };
}
