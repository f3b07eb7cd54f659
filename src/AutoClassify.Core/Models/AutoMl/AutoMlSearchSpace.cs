using System.Globalization;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;

namespace AutoClassify.Models.AutoMl;

/// <summary>How a trial balances the classes of its training data.</summary>
public enum AutoMlSampler
{
    /// <summary>Weight the loss (or the SVM's C) inversely to class frequency.</summary>
    ClassWeights,

    /// <summary>Train on the data as it is.</summary>
    None,

    /// <summary>Repeat minority items until every class matches the largest (once for a feature model, every epoch for a CNN).</summary>
    Oversample,

    /// <summary>Leave out a share of the largest class (once for a feature model, a fresh draw every epoch for a CNN).</summary>
    Undersample,

    /// <summary>Synthetic minority rows interpolated between same-class training neighbours (<see cref="Smote"/>); feature models only.</summary>
    Smote,
}

/// <summary>An image model the search may train: a <see cref="ModelCatalog"/> name and its learning-rate range.</summary>
/// <param name="Model">The catalog name, e.g. <c>lipnet4</c> (or a transfer model such as <c>resnet18-frozen</c>).</param>
/// <param name="MinLearningRate">Lower end of the log-uniform learning-rate range.</param>
/// <param name="MaxLearningRate">Upper end of that range.</param>
/// <param name="Optional">Skipped quietly when this build's catalog lacks the model (families that join later).</param>
public sealed record AutoMlImageFamily(string Model, double MinLearningRate = 1e-4, double MaxLearningRate = 3e-3, bool Optional = false);

/// <summary>
/// What the AutoML search tries. Feature models: an RBF SVM on a coarse log2 grid of C and γ (then the half-step
/// neighbours of the best cell), a linear SVM over C, and the samplers. Image models: every family listed, with
/// learning rate, weight decay, label smoothing, sampler and augmentation drawn at random (the first draw of each
/// family is the thesis's regime), epochs set by successive halving with early stopping inside each fit.
/// </summary>
public sealed record AutoMlSearchSpace
{
    /// <summary>The full space: both SVM kernels, every LipNet, and the transfer models once the catalog has them.</summary>
    public static AutoMlSearchSpace Default { get; } = new();

    /// <summary>Exponents of C for the RBF SVM (empty: no RBF SVM).</summary>
    public IReadOnlyList<double> RbfLog2C { get; init; } = SvmOptions.Log2Range(-5, 15, 4);

    /// <summary>Exponents of γ for the RBF SVM.</summary>
    public IReadOnlyList<double> RbfLog2Gamma { get; init; } = SvmOptions.Log2Range(-15, 3, 4);

    /// <summary>Exponents of C for the linear SVM (empty: no linear SVM). Large C stalls LIBSVM's linear solver, so it stops at 2^7.</summary>
    public IReadOnlyList<double> LinearLog2C { get; init; } = SvmOptions.Log2Range(-5, 7, 4);

    /// <summary>Try the eight neighbours of the best RBF cell at half the grid step (±2 in log2 C and log2 γ).</summary>
    public bool RefineRbf { get; init; } = true;

    /// <summary>Samplers of the feature models; the first is used on the grid, the others on its best cells.</summary>
    public IReadOnlyList<AutoMlSampler> FeatureSamplers { get; init; } =
        [AutoMlSampler.ClassWeights, AutoMlSampler.Smote, AutoMlSampler.Oversample, AutoMlSampler.Undersample, AutoMlSampler.None];

    /// <summary>
    /// The feature representations searched when the data holds them: the object features (of the central particle)
    /// and the whole-field features. A quick probe SVM on each decides which get the grid.
    /// </summary>
    public IReadOnlyList<ModelInput> FeatureInputs { get; init; } = [ModelInput.Features, ModelInput.FieldFeatures];

    /// <summary>
    /// Tile sizes in px of the tiled representations: the whole-field features of every tile, an image's tiles averaged
    /// into its probabilities. Null chooses them from the training images (half their smallest side and half again, at
    /// least <see cref="AutoMlTiling.MinTileSize"/> px, so small crops get none); empty switches tiling off. Needs the images
    /// and the whole-field features; never applied to items that are tiles already (<c>--tile</c>).
    /// </summary>
    public IReadOnlyList<int>? TileSizes { get; init; }

    /// <summary>At most this many tiles of each image (a seeded draw) enter a fit of a tiled learner; prediction reads all of them.</summary>
    public int TilesPerImage { get; init; } = 8;

    /// <summary>A representation whose probe scores more than this below the best probe (inner macro-F1) is not searched further.</summary>
    public double ProbeMargin { get; init; } = 0.1;

    /// <summary>
    /// Feature learners besides the SVMs, by learner name (<c>lightgbm</c>, <c>maxent</c>, <c>forest</c>), each tried once
    /// per kept representation with its own coarse tuning; null means every one the <see cref="ModelCatalog"/> holds.
    /// </summary>
    public IReadOnlyList<string>? FeatureLearners { get; init; }

    /// <summary>Input sizes of the image models in px; null chooses them from the images (see the search).</summary>
    public IReadOnlyList<int>? ImageSizes { get; init; }

    /// <summary>At most this many pipelines are averaged into an ensemble (below 2: no ensemble).</summary>
    public int EnsembleSize { get; init; } = 3;

    /// <summary>Share of the largest class left out by <see cref="AutoMlSampler.Undersample"/>.</summary>
    public double UndersampleFraction { get; init; } = 0.5;

    /// <summary>
    /// Image models in the order their first configurations are tried: frozen ImageNet features first (cheap once
    /// cached), then the LipNets, fine-tuning last. A family joins the search with one more entry here;
    /// <see cref="AutoMlImageFamily.Optional"/> ones are used when <see cref="ModelCatalog"/> knows them. A family whose
    /// first trial fails (no pretrained weights on an offline machine, say) is listed with the error and dropped.
    /// </summary>
    public IReadOnlyList<AutoMlImageFamily> ImageFamilies { get; init; } =
    [
        new("resnet18-mlnet-frozen", 1e-4, 1e-2, Optional: true),
        new("resnet18-frozen", 1e-4, 1e-2, Optional: true),
        .. LipNet.Names.Select(name => new AutoMlImageFamily(name)),
        new("resnet18-finetune", 1e-5, 1e-3, Optional: true),
    ];

    /// <summary>
    /// Image models on a LipNet package given with <c>--backbone</c> (<see cref="Transfer.TransferOptions.Backbone"/>),
    /// tried before <see cref="ImageFamilies"/> when one is given: its frozen features with a softmax head, at the
    /// package's input size. Ignored without a backbone.
    /// </summary>
    public IReadOnlyList<AutoMlImageFamily> BackboneFamilies { get; init; } =
        [new(Transfer.BackboneSource.LipNetPrefix + Transfer.TransferCatalog.Frozen, 1e-4, 1e-2)];

    public IReadOnlyList<double> WeightDecays { get; init; } = [0, 1e-5, 1e-4, 1e-3];

    public IReadOnlyList<double> LabelSmoothings { get; init; } = [0, 0.05, 0.1, 0.2];

    /// <summary>Samplers of the image models (not <see cref="AutoMlSampler.Smote"/>).</summary>
    public IReadOnlyList<AutoMlSampler> ImageSamplers { get; init; } =
        [AutoMlSampler.Oversample, AutoMlSampler.Undersample, AutoMlSampler.ClassWeights, AutoMlSampler.None];

    /// <summary>Augmentation sets, as <see cref="AugmentationOptions.Parse"/> reads them.</summary>
    public IReadOnlyList<string> Augmentations { get; init; } = ["all", "none", "hflip,vflip", "rotate,hflip,vflip", "field"];

    /// <summary>A space with only the feature models (no CNN is ever trained).</summary>
    public AutoMlSearchSpace WithoutImageModels() => this with { ImageFamilies = [] };

    /// <summary>A space with only the image models.</summary>
    public AutoMlSearchSpace WithoutFeatureModels() => this with { RbfLog2C = [], LinearLog2C = [], FeatureLearners = [] };

    /// <summary>The image families this build can train: every non-optional one, and the optional ones the catalog knows.</summary>
    public IReadOnlyList<AutoMlImageFamily> AvailableImageFamilies() =>
        [.. ImageFamilies.Where(f => !f.Optional || ModelCatalog.Names.Contains(f.Model))];

    /// <summary>Every problem, each naming its setting.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        Grid(problems, nameof(RbfLog2C), RbfLog2C);
        Grid(problems, nameof(RbfLog2Gamma), RbfLog2Gamma);
        Grid(problems, nameof(LinearLog2C), LinearLog2C);
        if (RbfLog2C is { Count: > 0 } && RbfLog2Gamma is not { Count: > 0 })
            problems.Add($"{nameof(RbfLog2Gamma)} must list at least one exponent when {nameof(RbfLog2C)} does.");
        if (FeatureSamplers is not { Count: > 0 })
            problems.Add($"{nameof(FeatureSamplers)} must list at least one sampler.");
        if (FeatureInputs is null || FeatureInputs.Any(i => i is not (ModelInput.Features or ModelInput.FieldFeatures)))
            problems.Add($"{nameof(FeatureInputs)} may list only {ModelInput.Features} and {ModelInput.FieldFeatures}.");
        if (double.IsNaN(ProbeMargin) || ProbeMargin < 0 || ProbeMargin > 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ProbeMargin)} must lie in [0, 1], got {ProbeMargin}."));
        if (TileSizes is not null && TileSizes.Any(s => s < AutoMlTiling.MinTileSize))
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(TileSizes)} must be at least {AutoMlTiling.MinTileSize} px."));
        if (TileSizes is not null && TileSizes.Distinct().Count() != TileSizes.Count)
            problems.Add($"{nameof(TileSizes)} lists a size twice.");
        if (TilesPerImage < 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(TilesPerImage)} must be at least 1, got {TilesPerImage}."));
        if (ImageSizes is not null && ImageSizes.Any(s => s is < 8 or > 1024))
            problems.Add($"{nameof(ImageSizes)} must lie in [8, 1024] px.");
        if (EnsembleSize < 0)
            problems.Add($"{nameof(EnsembleSize)} must be 0 or more.");
        if (double.IsNaN(UndersampleFraction) || UndersampleFraction <= 0 || UndersampleFraction >= 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(UndersampleFraction)} must lie in (0, 1), got {UndersampleFraction}."));
        foreach (var family in ImageFamilies ?? [])
        {
            if (family is null || string.IsNullOrWhiteSpace(family.Model))
            {
                problems.Add($"{nameof(ImageFamilies)} has an entry without a model name.");
                continue;
            }
            if (family.Model == AutoMlTrainer.ModelName)
                problems.Add($"{nameof(ImageFamilies)} cannot hold '{AutoMlTrainer.ModelName}' itself.");
            else if (!family.Optional && !ModelCatalog.Names.Contains(family.Model))
                problems.Add($"{nameof(ImageFamilies)}: '{family.Model}' is not a model of this build ({string.Join(", ", ModelCatalog.Names)}).");
            else if (!family.Optional && ModelCatalog.InputOf(family.Model) != ModelInput.Images)
                problems.Add($"{nameof(ImageFamilies)}: '{family.Model}' does not train on images.");
            if (!(family.MinLearningRate > 0 && family.MinLearningRate <= family.MaxLearningRate && family.MaxLearningRate < 10))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{nameof(ImageFamilies)}: '{family.Model}' needs 0 < learning rates and min ≤ max < 10, got [{family.MinLearningRate}, {family.MaxLearningRate}]."));
            }
        }
        if (BackboneFamilies is null || BackboneFamilies.Any(f => f is null || !f.Model.StartsWith(Transfer.BackboneSource.LipNetPrefix + "-", StringComparison.Ordinal) || !ModelCatalog.Names.Contains(f.Model)))
            problems.Add($"{nameof(BackboneFamilies)} may list only the {Transfer.BackboneSource.LipNetPrefix}-* models of the catalog.");
        if (ImageFamilies is { Count: > 0 } || BackboneFamilies is { Count: > 0 })
        {
            NonEmpty(problems, nameof(WeightDecays), WeightDecays, v => v is >= 0 and <= 1);
            NonEmpty(problems, nameof(LabelSmoothings), LabelSmoothings, v => v is >= 0 and < 1);
            if (ImageSamplers is not { Count: > 0 })
                problems.Add($"{nameof(ImageSamplers)} must list at least one sampler.");
            else if (ImageSamplers.Contains(AutoMlSampler.Smote))
                problems.Add($"{nameof(ImageSamplers)} cannot hold smote: SMOTE interpolates feature rows, not images.");
            if (Augmentations is not { Count: > 0 })
            {
                problems.Add($"{nameof(Augmentations)} must list at least one set (\"none\" switches augmentation off).");
            }
            else
            {
                foreach (var set in Augmentations)
                {
                    try
                    {
                        AugmentationOptions.Parse(set);
                    }
                    catch (FormatException e)
                    {
                        problems.Add($"{nameof(Augmentations)}: {e.Message}");
                    }
                }
            }
        }
        return problems;
    }

    static void Grid(List<string> problems, string name, IReadOnlyList<double>? grid)
    {
        if (grid is null)
        {
            problems.Add($"{name} must be set (empty switches the model off).");
            return;
        }
        if (grid.Any(e => !double.IsFinite(e) || Math.Abs(e) > 60))
            problems.Add($"{name} exponents must be finite and within [-60, 60].");
        if (grid.Distinct().Count() != grid.Count)
            problems.Add($"{name} lists an exponent twice.");
    }

    static void NonEmpty(List<string> problems, string name, IReadOnlyList<double>? values, Func<double, bool> valid)
    {
        if (values is not { Count: > 0 })
            problems.Add($"{name} must list at least one value.");
        else if (!values.All(v => !double.IsNaN(v) && valid(v)))
            problems.Add($"{name} holds a value out of range: {string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}.");
    }
}

/// <summary>Names of <see cref="AutoMlSampler"/> values as the leaderboard writes them.</summary>
public static class AutoMlSamplerNames
{
    public static string ToName(this AutoMlSampler sampler) => sampler switch
    {
        AutoMlSampler.ClassWeights => "class-weights",
        AutoMlSampler.None => "none",
        AutoMlSampler.Oversample => "oversample",
        AutoMlSampler.Undersample => "undersample",
        AutoMlSampler.Smote => "smote",
        _ => throw new ArgumentOutOfRangeException(nameof(sampler), sampler, "Unknown sampler."),
    };
}
