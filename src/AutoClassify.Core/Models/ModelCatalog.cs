using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Models.Transfer;
using AutoClassify.Native;

namespace AutoClassify.Models;

/// <summary>What a model learns from; decides which representations a run prepares.</summary>
public enum ModelInput
{
    /// <summary>The handcrafted feature matrix.</summary>
    Features,

    /// <summary>The prepared images (and masks).</summary>
    Images,

    /// <summary>The whole-field particle and texture features (<see cref="TrainingData.FieldFeatures"/>).</summary>
    FieldFeatures,

    /// <summary>The handcrafted features and the images (a model search that tries feature and image models).</summary>
    FeaturesAndImages,
}

/// <summary>Settings a user can give on the command line that shape the trainers.</summary>
public sealed record ModelSettings
{
    /// <summary>Inner CV folds for the SVM's C/γ search.</summary>
    public int InnerFolds { get; init; } = SvmOptions.Defaults.InnerFolds;

    /// <summary><c>full</c> (C = 2^-5..2^15, γ = 2^-15..2^3, step 2) or <c>coarse</c> (step 4).</summary>
    public string Grid { get; init; } = "full";

    /// <summary>How the SVM's grid is searched: coarse-to-fine (the default) or every cell; see <see cref="SvmOptions.Search"/>.</summary>
    public SvmSearch SvmSearch { get; init; } = SvmOptions.Defaults.Search;

    /// <summary>Largest training fold the SVM's grid search scores in full (0 = no cap); see <see cref="SvmOptions.MaxTuningItems"/>.</summary>
    public int SvmTuneMax { get; init; } = SvmOptions.Defaults.MaxTuningItems;

    /// <summary>Training regime of every CNN in the run; the model name is set per entry.</summary>
    public CnnOptions Cnn { get; init; } = new();

    /// <summary>The model search of <c>auto</c>: its time budget per fit, trial cap and search space.</summary>
    public AutoMlOptions AutoMl { get; init; } = new();

    /// <summary>Settings of the transfer models (backbone, weights, unfreezing, feature cache).</summary>
    public TransferOptions Transfer { get; init; } = new();
}

/// <summary>A model family a user can pick by name: what it reads and how its trainer is made from the run's settings.</summary>
/// <param name="Name">The name on the command line, in reports and as a package's <c>model_kind</c>.</param>
/// <param name="Description">One line for <c>--help</c> and the README.</param>
/// <param name="Input">What the model learns from.</param>
/// <param name="Create">Makes the trainer from the run's settings; throws <see cref="ArgumentException"/> on a bad setting.</param>
/// <param name="IsFeatureSvm">True for a LIBSVM model on a feature matrix: its settings are the SVM grid's.</param>
public sealed record ModelFamily(string Name, string Description, ModelInput Input, Func<ModelSettings, IModelTrainer> Create, bool IsFeatureSvm = false);

/// <summary>
/// The models a user can pick by name: the built-in families, then any an edge assembly registers
/// (<see cref="Register"/>, e.g. the ML.NET trainers the CLI adds at start-up), in the order registered.
/// </summary>
public static class ModelCatalog
{
    static readonly Lock Gate = new();
    static readonly List<ModelFamily> Families =
    [
        new("svm", "C-SVC, RBF kernel, on the handcrafted features (LIBSVM)", ModelInput.Features, s => CreateSvm(s, ModelInput.Features), IsFeatureSvm: true),
        new("svm-linear", "C-SVC, linear kernel, on the handcrafted features (LIBSVM)", ModelInput.Features,
            s => CreateSvm(s, ModelInput.Features, LibSvmKernel.Linear), IsFeatureSvm: true),
        new("svm-field", "C-SVC, RBF kernel, on whole-field particle statistics and GLCM/LBP texture (LIBSVM)", ModelInput.FieldFeatures,
            s => CreateSvm(s, ModelInput.FieldFeatures), IsFeatureSvm: true),
        .. LipNet.Specs.Select(spec => new ModelFamily(spec.Name, spec.Description, ModelInput.Images,
            settings => CnnTrainer.Create(spec.Name, settings.Cnn))),
        .. TransferCatalog.Entries.Select(e => new ModelFamily(e.Name, e.Description, ModelInput.Images, e.Create)),
        new(AutoMlTrainer.ModelName, "AutoML: a time-budgeted search over representations (object, whole-field features, images) and learners (SVMs, the other feature models, CNNs), nested inside each training fold",
            ModelInput.FeaturesAndImages, settings => new AutoMlTrainer(settings)),
    ];

    /// <summary>Every model name, built-in families first, then registered ones in the order registered.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate)
                return Families.Select(e => e.Name).ToArray();
        }
    }

    /// <summary>
    /// Adds a model family, or replaces the registered family of the same name (so registering twice is harmless).
    /// A built-in name cannot be replaced.
    /// </summary>
    public static void Register(ModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentException.ThrowIfNullOrWhiteSpace(family.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(family.Description);
        ArgumentNullException.ThrowIfNull(family.Create);
        if (family.Name.Any(char.IsUpper) || family.Name.Contains(',', StringComparison.Ordinal))
            throw new ArgumentException($"Model name '{family.Name}' must be lower case without commas (--models splits on commas).", nameof(family));
        if (!Enum.IsDefined(family.Input))
            throw new ArgumentException($"Model '{family.Name}' has an unknown input {family.Input}.", nameof(family));
        lock (Gate)
        {
            var at = Families.FindIndex(e => e.Name == family.Name);
            if (at < 0)
            {
                Families.Add(family);
                return;
            }
            if (at < BuiltInCount)
                throw new ArgumentException($"'{family.Name}' is a built-in model and cannot be replaced.", nameof(family));
            Families[at] = family;
        }
    }

    /// <summary>The family named <paramref name="name"/>; throws naming the known models when there is none.</summary>
    public static ModelFamily Family(string name) => Find(name);

    public static string Describe(string name) => Find(name).Description;

    public static ModelInput InputOf(string name) => Find(name).Input;

    /// <summary>True for the SVMs on a feature matrix (the handcrafted or the whole-field features): their settings are the grid's, not a CNN's.</summary>
    public static bool IsFeatureSvm(string name) => Find(name).IsFeatureSvm;

    /// <summary>True for any model on a feature matrix (the handcrafted or the whole-field features), SVM or not.</summary>
    public static bool IsFeatureModel(string name) => InputOf(name) is ModelInput.Features or ModelInput.FieldFeatures;

    /// <summary>The representations a run must prepare for the model: its input, or every representation for <c>auto</c>.</summary>
    public static IReadOnlySet<ModelInput> InputsOf(string name)
    {
        var input = Find(name).Input;
        return input == ModelInput.FeaturesAndImages
            ? new HashSet<ModelInput> { ModelInput.Features, ModelInput.FieldFeatures, ModelInput.Images }
            : new HashSet<ModelInput> { input };
    }

    public static IModelTrainer Create(string name, ModelSettings? settings = null) => Find(name).Create(settings ?? new ModelSettings());

    /// <summary>Splits and checks a comma-separated model list, naming any unknown model.</summary>
    public static IReadOnlyList<string> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(n => n.ToLowerInvariant())
            .Distinct()
            .ToList();
        if (names.Count == 0)
            throw new ArgumentException("--models names no model; known models: " + string.Join(", ", Names) + ".");
        foreach (var n in names)
            Find(n);
        return names;
    }

    static readonly int BuiltInCount = Families.Count;

    static ModelFamily Find(string name)
    {
        lock (Gate)
        {
            return Families.FirstOrDefault(e => e.Name == name)
                ?? throw new ArgumentException($"Unknown model '{name}'; known models: {string.Join(", ", Families.Select(e => e.Name))}.");
        }
    }

    internal static SvmTrainer CreateSvm(ModelSettings settings, ModelInput input = ModelInput.Features, LibSvmKernel kernel = LibSvmKernel.Rbf)
    {
        var step = settings.Grid switch
        {
            "full" => 2,
            "coarse" => 4,
            _ => throw new ArgumentException($"--grid must be 'full' or 'coarse', not '{settings.Grid}'."),
        };
        return new SvmTrainer(new SvmOptions
        {
            Input = input,
            Kernel = kernel,
            InnerFolds = settings.InnerFolds,
            MaxTuningItems = settings.SvmTuneMax,
            Search = settings.SvmSearch,
            // A linear SVM with a huge C on overlapping classes runs to LIBSVM's iteration cap, so its C stops at 2^7.
            Log2CGrid = SvmOptions.Log2Range(-5, kernel == LibSvmKernel.Linear ? 7 : 15, step),
            Log2GammaGrid = SvmOptions.Log2Range(-15, 3, step),
        });
    }
}
