using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Models;

/// <summary>
/// Everything a model may learn from, indexed like the dataset. Each arm reads the representation it
/// needs: the SVM the feature matrix, the CNN the images.
/// </summary>
public sealed class TrainingData
{
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Class index of every item.</summary>
    public required int[] Labels { get; init; }

    /// <summary>The handcrafted object features (<see cref="FeatureSet.Handcrafted"/>), for <see cref="ModelInput.Features"/> models.</summary>
    public FeatureMatrix? Features { get; init; }

    /// <summary>
    /// The whole-field particle and texture features (<see cref="ParticleFeatures"/>), for <see cref="ModelInput.FieldFeatures"/>
    /// models; measured at <see cref="FieldNmPerPixel"/>.
    /// </summary>
    public FeatureMatrix? FieldFeatures { get; init; }

    /// <summary>The pixel size <see cref="FieldFeatures"/> were measured at; null when in pixels.</summary>
    public double? FieldNmPerPixel { get; init; }

    public IReadOnlyList<GrayImage>? Images { get; init; }

    /// <summary>Object masks aligned with <see cref="Images"/>; null entries where none is known.</summary>
    public IReadOnlyList<BinaryMask?>? Masks { get; init; }

    /// <summary>
    /// Source group of every item (e.g. the image a tile was cut from), or null when each item stands alone.
    /// Trainers keep a group on one side of their inner splits (grid-search folds, validation), as the outer folds do.
    /// </summary>
    public IReadOnlyList<int>? Groups { get; set; }

    /// <summary>The tile layout when every item is a tile cut from a larger image (<c>--tile</c>), so models do not tile them again; null otherwise.</summary>
    public Tiling.TileSpec? ItemTile { get; set; }

    public int ClassCount => ClassNames.Count;

    /// <summary>A copy of this data with another handcrafted feature matrix and everything else shared.</summary>
    public TrainingData WithFeatures(FeatureMatrix features) => new()
    {
        ClassNames = ClassNames,
        Labels = Labels,
        Features = features,
        FieldFeatures = FieldFeatures,
        FieldNmPerPixel = FieldNmPerPixel,
        Images = Images,
        Masks = Masks,
        Groups = Groups,
        ItemTile = ItemTile,
    };

    /// <summary>
    /// Builds the training data of a prepared data set: the images and masks when an image model needs them,
    /// the handcrafted features (extracted in parallel) when a feature model does.
    /// </summary>
    public static TrainingData FromPrepared(LabeledDataset dataset, IReadOnlyList<PreparedImage> prepared, bool withImages,
        bool withFeatures, int threads, CancellationToken cancellationToken = default)
    {
        var inputs = new List<ModelInput>();
        if (withImages)
            inputs.Add(ModelInput.Images);
        if (withFeatures)
            inputs.Add(ModelInput.Features);
        return FromPrepared(dataset, prepared, inputs, threads, null, cancellationToken);
    }

    /// <summary>
    /// Builds the training data of a prepared data set with every representation that <paramref name="inputs"/> name,
    /// and no other: images and masks, handcrafted features, whole-field features (at <paramref name="nmPerPixel"/>,
    /// null = in pixels). Features are extracted in parallel on <paramref name="threads"/> threads (0 = all cores).
    /// </summary>
    public static TrainingData FromPrepared(LabeledDataset dataset, IReadOnlyList<PreparedImage> prepared, IEnumerable<ModelInput> inputs,
        int threads, double? nmPerPixel = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return FromPrepared(dataset.ClassNames, dataset.Labels, prepared, inputs, threads, nmPerPixel, cancellationToken);
    }

    /// <summary>
    /// As the data set overload, for items that are not a data set's images (e.g. the tiles of whole fields): one
    /// label per prepared image.
    /// </summary>
    public static TrainingData FromPrepared(IReadOnlyList<string> classNames, int[] labels, IReadOnlyList<PreparedImage> prepared,
        IEnumerable<ModelInput> inputs, int threads, double? nmPerPixel = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (labels.Length != prepared.Count)
            throw new ArgumentException($"{labels.Length} labels for {prepared.Count} prepared images.", nameof(labels));
        var needs = inputs.ToHashSet();
        // A store's views expand each image when it is read, so no pass holds every image's float pixels at once.
        IReadOnlyList<GrayImage> images = prepared is PreparedImageStore store ? store.Images : prepared.Select(p => p.Image).ToArray();
        IReadOnlyList<BinaryMask?> masks = prepared is PreparedImageStore kept ? kept.Masks : prepared.Select(p => p.Mask).ToArray();
        IReadOnlyList<int> reductions = prepared is PreparedImageStore held ? held.Reductions : prepared.Select(p => p.Reduction).ToArray();
        var withImages = needs.Contains(ModelInput.Images);
        return new TrainingData
        {
            ClassNames = classNames,
            Labels = labels,
            Features = needs.Contains(ModelInput.Features) ? FeatureSet.Handcrafted.ExtractAll(images, masks, threads, cancellationToken) : null,
            FieldFeatures = needs.Contains(ModelInput.FieldFeatures) ? FeatureSet.Field(nmPerPixel).ExtractAll(images, masks, reductions, threads, cancellationToken) : null,
            FieldNmPerPixel = needs.Contains(ModelInput.FieldFeatures) ? nmPerPixel : null,
            Images = withImages ? images : null,
            Masks = withImages ? masks : null,
        };
    }

    /// <summary>The feature matrix a feature model with input <paramref name="input"/> reads, or null when it was not built.</summary>
    /// <summary>
    /// The feature matrix of <paramref name="input"/> and the training fold's labels, checked for what every feature
    /// learner needs: rows for every label, indices in range, finite values and at least two classes. Each problem
    /// throws naming the item and <paramref name="learner"/>.
    /// </summary>
    public (FeatureMatrix Features, int[] Labels) CheckFeatureFold(ModelInput input, IReadOnlyList<int> trainIndices, string learner)
    {
        ArgumentNullException.ThrowIfNull(trainIndices);
        var features = FeaturesFor(input)
            ?? throw new ArgumentException($"{learner} reads TrainingData.{input}, which is null: build the data with that input.");
        if (features.Count != Labels.Length)
            throw new ArgumentException($"{features.Count} feature rows but {Labels.Length} labels.");
        if (trainIndices.Count == 0)
            throw new ArgumentException("The training fold is empty.", nameof(trainIndices));
        var labels = new int[trainIndices.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            var item = trainIndices[i];
            if (item < 0 || item >= features.Count)
                throw new ArgumentOutOfRangeException(nameof(trainIndices), item, $"Training index outside the {features.Count} items.");
            labels[i] = Labels[item];
            if (labels[i] < 0 || labels[i] >= ClassCount)
                throw new ArgumentException($"Item {item} has class index {labels[i]}, but there are {ClassCount} classes.");
            var row = features.Rows[item];
            for (var j = 0; j < row.Length; j++)
            {
                if (!double.IsFinite(row[j]))
                    throw new ArgumentException($"Feature '{features.Names[j]}' of item {item} is {row[j]}; {learner} needs finite features.");
            }
        }
        if (labels.Distinct().Count() < 2)
            throw new ArgumentException($"The training fold holds only class '{ClassNames[labels[0]]}'; {learner} needs at least two classes.", nameof(trainIndices));
        return (features, labels);
    }

    public FeatureMatrix? FeaturesFor(ModelInput input) => input switch
    {
        ModelInput.Features => Features,
        ModelInput.FieldFeatures => FieldFeatures,
        _ => throw new ArgumentOutOfRangeException(nameof(input), input, "Only feature inputs have a feature matrix."),
    };
}

/// <summary>The run-wide settings a trainer receives for one fit.</summary>
public sealed class TrainingContext
{
    public required int Seed { get; init; }

    /// <summary>Worker threads a trainer may use; 0 means all cores.</summary>
    public int Threads { get; init; }

    public Action<string>? Log { get; init; }

    /// <summary>Reports progress of this fit as a fraction in [0, 1].</summary>
    public IProgress<double>? Progress { get; init; }

    public CancellationToken CancellationToken { get; init; }

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}

/// <summary>A model family in a benchmark: fits on the training indices of one fold.</summary>
public interface IModelTrainer
{
    /// <summary>Stable name used on the command line and in reports (e.g. <c>svm</c>, <c>lipnet4</c>).</summary>
    string Name { get; }

    ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context);
}

/// <summary>A fitted model.</summary>
public interface ITrainedModel : IDisposable
{
    /// <summary>Class probabilities for each requested item: <c>result[i][k]</c>, rows sum to 1.</summary>
    double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices);

    /// <summary>What the fit chose or observed (tuned hyper-parameters, best epoch, curves), for the report.</summary>
    TrainingSummary Summary { get; }

    /// <summary>True when <see cref="PredictProbabilities"/> may run on several threads at once (it changes no state).</summary>
    bool ConcurrentPrediction => false;
}

/// <summary>Facts about one fit that the report shows.</summary>
public sealed class TrainingSummary
{
    /// <summary>Chosen hyper-parameters and other scalar facts, formatted invariantly.</summary>
    public Dictionary<string, string> Facts { get; } = [];

    /// <summary>Per-epoch curves (e.g. train_loss, val_loss, train_acc, val_acc), empty for non-iterative models.</summary>
    public Dictionary<string, double[]> Curves { get; } = [];

    public TimeSpan TrainingTime { get; set; }

    /// <summary>
    /// Wall seconds of the parts of the fit a trainer times (the SVM's <c>grid search</c> and <c>final fit</c>), by
    /// part; empty when it times none. Kept out of <see cref="Facts"/>, which repeat exactly from the seed.
    /// </summary>
    public Dictionary<string, double> StageSeconds { get; } = [];

    /// <summary>
    /// Macro-F1 drop on the test fold when each feature is shuffled (permutation importance), by feature name; filled
    /// by the benchmark for models on a feature matrix, empty otherwise.
    /// </summary>
    public Dictionary<string, double> PermutationImportance { get; } = [];

    /// <summary>Every trial of a model search (AutoML's leaderboard), in the order run; empty for models that search nothing.</summary>
    public List<TrialRecord> Trials { get; } = [];

    /// <summary>What a CNN or transfer model looked at on this fold's test images (Grad-CAM, a LipNet's first layer), or why it cannot say; null for other models.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Cnn.CnnExplanation? Explanation { get; set; }
}
