using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Models.Transfer;
using AutoClassify.Native;

namespace AutoClassify.Models.AutoMl;

/// <summary>One configuration the search can fit: what it is (for the leaderboard) and how to train it.</summary>
internal abstract class AutoMlCandidate
{
    protected AutoMlCandidate(int key, string family, string stage, ModelInput input, string packageKind, string representation, AutoMlTiling? tiling = null)
    {
        Key = key;
        Family = family;
        Stage = stage;
        Input = input;
        PackageKind = packageKind;
        Tiling = tiling;
        Representation = tiling?.Representation ?? representation;
    }

    /// <summary>Position in the plan; the trial's seeds derive from it, so they do not depend on timing.</summary>
    public int Key { get; }

    /// <summary>The learner, e.g. <c>svm-rbf</c>, <c>lightgbm</c>, <c>lipnet4</c>.</summary>
    public string Family { get; }

    public string Stage { get; }

    public ModelInput Input { get; }

    /// <summary>What the learner reads, e.g. <c>object features</c>, <c>field features</c>, <c>image 56 px</c>.</summary>
    public string Representation { get; }

    /// <summary>The package kind of the fitted model (<c>svm</c>, <c>svm-field</c>, <c>lipnet4</c>, ...); a tiled one's learner's kind.</summary>
    public string PackageKind { get; }

    /// <summary>How the learner reads tiles of the images instead of whole items; null when it reads the items.</summary>
    public AutoMlTiling? Tiling { get; }

    /// <summary>Sees the source image of every tile row a tiled fit learns from (for tests that prove what the search reads).</summary>
    public Action<AutoMlDataAccess>? Audit { get; init; }

    /// <summary>The settings, in display order.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, string>> Settings { get; }

    /// <summary>
    /// Fits on <paramref name="indices"/> of <paramref name="data"/> only; resampling (SMOTE included) draws from those
    /// indices alone. A tiled candidate fits its learner on the tiles of those items only (<see cref="TiledModel"/>).
    /// </summary>
    public ITrainedModel Fit(TrainingData data, IReadOnlyList<int> indices, TrainingContext context)
    {
        if (Tiling is not { } tiling)
            return FitItems(data, indices, context);
        var (tiles, source) = TileFeatures.For(data, tiling.Spec)
            .Training(indices, tiling.TilesPerImage, Seeds.Derive(context.Seed, "automl-tile-draw"), context.Threads, context.CancellationToken);
        Audit?.Invoke(new AutoMlDataAccess(0, Family, "fit tiles", source));
        var learner = FitItems(tiles, Enumerable.Range(0, source.Length).ToArray(), context);
        return new TiledModel(learner, tiling.Spec, context.Threads, indices.Count, source.Length);
    }

    /// <summary>Fits the learner itself on <paramref name="indices"/> of <paramref name="data"/> (items or tiles).</summary>
    protected abstract ITrainedModel FitItems(TrainingData data, IReadOnlyList<int> indices, TrainingContext context);

    public string Describe() => string.Join(", ", Settings.Select(s => $"{s.Key}={s.Value}"));

    /// <summary>The leaderboard name of a feature representation.</summary>
    public static string RepresentationOf(ModelInput input) => input switch
    {
        ModelInput.Features => "object features",
        ModelInput.FieldFeatures => "field features",
        _ => throw new ArgumentOutOfRangeException(nameof(input), input, "Only feature inputs name a feature representation."),
    };

    protected static string Invariant(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    protected static string Power(double log2) => "2^" + log2.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>An SVM with fixed kernel, C, γ and sampler.</summary>
internal sealed class SvmCandidate : AutoMlCandidate
{
    readonly SvmTrainer trainer;

    public SvmCandidate(int key, string stage, ModelInput input, LibSvmKernel kernel, double log2C, double log2Gamma, AutoMlSampler sampler,
        double undersampleFraction, AutoMlTiling? tiling = null)
        : base(key, kernel == LibSvmKernel.Linear ? "svm-linear" : "svm-rbf", stage, input, input == ModelInput.FieldFeatures ? "svm-field" : "svm",
            RepresentationOf(input), tiling)
    {
        if (tiling is not null && input != ModelInput.FieldFeatures)
            throw new ArgumentException("Tiles are measured with the whole-field features; a tiled SVM reads ModelInput.FieldFeatures.", nameof(input));
        Kernel = kernel;
        Log2C = log2C;
        Log2Gamma = kernel == LibSvmKernel.Linear ? 0 : log2Gamma;
        Sampler = sampler;
        UndersampleFraction = undersampleFraction;
        trainer = new SvmTrainer(new SvmOptions { Input = input, Kernel = kernel, BalanceClassWeights = sampler == AutoMlSampler.ClassWeights });
    }

    public LibSvmKernel Kernel { get; }

    public double Log2C { get; }

    public double Log2Gamma { get; }

    public AutoMlSampler Sampler { get; }

    public double UndersampleFraction { get; }

    public override IReadOnlyList<KeyValuePair<string, string>> Settings =>
        Kernel == LibSvmKernel.Linear
            ? [new("C", Power(Log2C)), new("sampler", Sampler.ToName())]
            : [new("C", Power(Log2C)), new("gamma", Power(Log2Gamma)), new("sampler", Sampler.ToName())];

    /// <summary>True when both would fit the same SVM on the same features.</summary>
    public bool SameModel(SvmCandidate other) =>
        Input == other.Input && Equals(Tiling, other.Tiling) && Kernel == other.Kernel && Log2C == other.Log2C && Log2Gamma == other.Log2Gamma;

    protected override ITrainedModel FitItems(TrainingData data, IReadOnlyList<int> indices, TrainingContext context)
    {
        var (c, gamma) = (Math.Pow(2, Log2C), Math.Pow(2, Log2Gamma));
        var seed = Seeds.Derive(context.Seed, "automl-sampler");
        switch (Sampler)
        {
            case AutoMlSampler.Smote:
                var (augmented, rows, samples) = Input == ModelInput.FieldFeatures ? SmoteOnField(data, indices, seed) : Smote.Augment(data, indices, seed);
                var model = trainer.Fit(augmented, rows, c, gamma, context);
                model.Summary.Facts["smote_rows"] = samples.Count.ToString(CultureInfo.InvariantCulture);
                return model;
            case AutoMlSampler.Oversample:
            case AutoMlSampler.Undersample:
                var kind = Sampler == AutoMlSampler.Oversample ? SamplerKind.Oversample : SamplerKind.Undersample;
                // One epoch of the CNN arm's sampler is exactly a one-off resampling of the fold.
                var drawn = new EpochSampler(indices, data.Labels, data.ClassCount, kind, kind == SamplerKind.Undersample ? UndersampleFraction : 0, seed).Epoch(0);
                return trainer.Fit(data, drawn, c, gamma, context);
            default:
                return trainer.Fit(data, indices, c, gamma, context);
        }
    }

    // SMOTE interpolates the handcrafted matrix; the field rows go through it in that slot and come back in their own.
    static (TrainingData Data, int[] Indices, SmoteSamples Samples) SmoteOnField(TrainingData data, IReadOnlyList<int> indices, int seed)
    {
        var field = data.FieldFeatures ?? throw new ArgumentException("SMOTE on the field features needs TrainingData.FieldFeatures.", nameof(data));
        var (augmented, rows, samples) = Smote.Augment(new TrainingData { ClassNames = data.ClassNames, Labels = data.Labels, Features = field }, indices, seed);
        return (new TrainingData
        {
            ClassNames = data.ClassNames,
            Labels = augmented.Labels,
            FieldFeatures = augmented.Features,
            FieldNmPerPixel = data.FieldNmPerPixel,
        }, rows, samples);
    }
}

/// <summary>An image model (a catalog entry) with fixed hyper-parameters and a maximum number of epochs.</summary>
internal sealed class ImageCandidate : AutoMlCandidate
{
    readonly ModelSettings settings;

    public ImageCandidate(int key, string stage, ImageConfig config, int epochs, ModelSettings baseSettings)
        : base(key, config.Model, stage, ModelInput.Images, config.Model,
            config.Model.StartsWith(BackboneSource.LipNetPrefix, StringComparison.Ordinal)
                ? string.Create(CultureInfo.InvariantCulture, $"LipNet backbone features {config.InputSize} px")
                : ImageRepresentation(config.InputSize))
    {
        Config = config;
        Epochs = epochs;
        settings = baseSettings with
        {
            Cnn = baseSettings.Cnn with
            {
                LearningRate = config.LearningRate,
                WeightDecay = config.WeightDecay,
                LabelSmoothing = config.LabelSmoothing,
                Sampler = config.Sampler switch
                {
                    AutoMlSampler.Oversample => SamplerKind.Oversample,
                    AutoMlSampler.Undersample => SamplerKind.Undersample,
                    _ => SamplerKind.None,
                },
                ClassWeightedLoss = config.Sampler == AutoMlSampler.ClassWeights,
                Augmentation = AugmentationOptions.Parse(config.Augmentation),
                MaxEpochs = epochs,
                InputSize = config.InputSize,
            },
        };
    }

    /// <summary>The leaderboard name of whole images fed to a network at <paramref name="size"/> px.</summary>
    public static string ImageRepresentation(int size) => string.Create(CultureInfo.InvariantCulture, $"image {size} px");

    public ImageConfig Config { get; }

    public int Epochs { get; }

    public override IReadOnlyList<KeyValuePair<string, string>> Settings =>
    [
        new("epochs", Epochs.ToString(CultureInfo.InvariantCulture)),
        new("size", Config.InputSize.ToString(CultureInfo.InvariantCulture)),
        new("lr", Invariant(Config.LearningRate)),
        new("weight_decay", Invariant(Config.WeightDecay)),
        new("label_smoothing", Invariant(Config.LabelSmoothing)),
        new("sampler", Config.Sampler.ToName()),
        new("augment", Config.Augmentation),
    ];

    protected override ITrainedModel FitItems(TrainingData data, IReadOnlyList<int> indices, TrainingContext context) =>
        ModelCatalog.Create(Config.Model, settings).Train(data, indices, context);
}

/// <summary>The hyper-parameters of one image-model configuration, fixed across successive-halving rungs.</summary>
internal sealed record ImageConfig(string Model, int InputSize, double LearningRate, double WeightDecay, double LabelSmoothing, AutoMlSampler Sampler, string Augmentation)
{
    /// <summary>
    /// Draw number <paramref name="draw"/> of the family: draw 0 is the thesis's regime (the CNN options' defaults) at the
    /// first of <paramref name="sizes"/>, draw 1 the same regime at the next size, later draws are random: a size, a
    /// log-uniform learning rate (three significant digits) and uniform picks from the other lists.
    /// </summary>
    public static ImageConfig Draw(AutoMlImageFamily family, int draw, AutoMlSearchSpace space, CnnOptions defaults, IReadOnlyList<int> sizes, int seed)
    {
        if (draw < sizes.Count && draw < 2)
        {
            var sampler = defaults.ClassWeightedLoss ? AutoMlSampler.ClassWeights : defaults.Sampler switch
            {
                SamplerKind.Oversample => AutoMlSampler.Oversample,
                SamplerKind.Undersample => AutoMlSampler.Undersample,
                _ => AutoMlSampler.None,
            };
            var rate = Math.Clamp(defaults.EffectiveLearningRate, family.MinLearningRate, family.MaxLearningRate);
            return new ImageConfig(family.Model, sizes[draw], rate, defaults.WeightDecay, defaults.LabelSmoothing, sampler, defaults.Augmentation.ToString());
        }
        var random = new Random(Seeds.Derive(seed, "automl-image-config:" + family.Model, draw));
        var (low, high) = (Math.Log(family.MinLearningRate), Math.Log(family.MaxLearningRate));
        var learningRate = double.Parse(Math.Exp(low + random.NextDouble() * (high - low)).ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var size = sizes[random.Next(sizes.Count)];
        return new ImageConfig(
            family.Model,
            size,
            Math.Clamp(learningRate, family.MinLearningRate, family.MaxLearningRate),
            space.WeightDecays[random.Next(space.WeightDecays.Count)],
            space.LabelSmoothings[random.Next(space.LabelSmoothings.Count)],
            space.ImageSamplers[random.Next(space.ImageSamplers.Count)],
            space.Augmentations[random.Next(space.Augmentations.Count)]);
    }
}

/// <summary>
/// A feature learner another assembly registered in the <see cref="ModelCatalog"/> (the ML.NET baselines, say): it
/// tunes its own hyper-parameters on the indices it is given, with the coarse grid, so its trial stays nested.
/// </summary>
internal sealed class CatalogCandidate : AutoMlCandidate
{
    readonly ModelSettings settings;

    public CatalogCandidate(int key, string stage, string model, string learner, ModelSettings baseSettings, AutoMlTiling? tiling = null)
        : base(key, learner, stage, ModelCatalog.InputOf(model), model, RepresentationOf(ModelCatalog.InputOf(model)), tiling)
    {
        if (tiling is not null && Input != ModelInput.FieldFeatures)
            throw new ArgumentException($"Tiles are measured with the whole-field features; '{model}' reads {Input}.", nameof(model));
        Model = model;
        settings = baseSettings with { Grid = "coarse" };
    }

    /// <summary>The catalog name, e.g. <c>lightgbm-field</c>.</summary>
    public string Model { get; }

    public override IReadOnlyList<KeyValuePair<string, string>> Settings => [new("model", Model), new("tuning", "own coarse grid")];

    protected override ITrainedModel FitItems(TrainingData data, IReadOnlyList<int> indices, TrainingContext context) =>
        ModelCatalog.Create(Model, settings).Train(data, indices, context);
}
