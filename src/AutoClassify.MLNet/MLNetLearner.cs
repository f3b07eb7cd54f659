using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace AutoClassify.MLNet;

/// <summary>One setting of a learner's key hyper-parameters, as named values (formatted invariantly for reports).</summary>
public sealed class MLNetConfig
{
    public MLNetConfig(IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = new SortedDictionary<string, double>(values.ToDictionary(), StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, double> Values { get; }

    public double this[string name] => Values.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"The configuration has no hyper-parameter '{name}'.");

    public override string ToString() =>
        string.Join(", ", Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key} = {v.Value:G6}")));
}

/// <summary>
/// An ML.NET multiclass learner: its name, the grid its key hyper-parameters are tuned over and how a
/// configuration becomes an estimator. Every estimator trains on one thread with a fixed seed, because
/// L-BFGS's gradient sums and the tree learners' histograms change with the thread count.
/// </summary>
public abstract class MLNetLearner
{
    /// <summary>Column names of the data the estimators read.</summary>
    internal const string FeaturesColumn = "Features";
    internal const string LabelColumn = "Label";
    internal const string WeightColumn = "Weight";
    internal const string ScoreColumn = "Score";

    /// <summary>LightGBM's gradient-boosted trees (<c>lightgbm</c>).</summary>
    public static MLNetLearner LightGbm { get; } = new LightGbmLearner();

    /// <summary>L-BFGS maximum-entropy (multinomial logistic) regression (<c>maxent</c>).</summary>
    public static MLNetLearner MaximumEntropy { get; } = new MaximumEntropyLearner();

    /// <summary>FastForest random forests, one versus all, calibrated (<c>forest</c>).</summary>
    public static MLNetLearner Forest { get; } = new ForestLearner();

    /// <summary>Every learner, in catalog order.</summary>
    public static IReadOnlyList<MLNetLearner> All { get; } = [LightGbm, MaximumEntropy, Forest];

    /// <summary>The catalog name on the handcrafted features; <c>-field</c> is appended for whole-field features.</summary>
    public abstract string Name { get; }

    /// <summary>One line for <c>--help</c>.</summary>
    public abstract string Description { get; }

    /// <summary>The grid of key hyper-parameters: <c>full</c> or <c>coarse</c> (the SVM's <c>--grid</c> setting).</summary>
    public abstract IReadOnlyList<MLNetConfig> Grid(string size);

    /// <summary>The learner for a catalog name without its <c>-field</c> suffix.</summary>
    public static MLNetLearner? Find(string name) => All.FirstOrDefault(l => l.Name == name);

    /// <summary>
    /// The label made a key ordered by value, so score slot p is the p-th trained class whatever order rows come in,
    /// then the learner's estimator.
    /// </summary>
    internal IEstimator<ITransformer> Pipeline(MLContext context, MLNetConfig config, int seed) =>
        context.Transforms.Conversion.MapValueToKey(LabelColumn, keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(Estimator(context, config, seed));

    /// <summary>The estimator for <paramref name="config"/>, seeded by <paramref name="seed"/>, single-threaded, reading the example weights.</summary>
    internal abstract IEstimator<ITransformer> Estimator(MLContext context, MLNetConfig config, int seed);

    static IReadOnlyList<MLNetConfig> Cross(params (string Name, double[] Values)[] axes)
    {
        IEnumerable<Dictionary<string, double>> cells = [[]];
        foreach (var (name, values) in axes)
            cells = cells.SelectMany(c => values.Select(v => new Dictionary<string, double>(c) { [name] = v }));
        return [.. cells.Select(c => new MLNetConfig(c))];
    }

    static void CheckSize(string size)
    {
        if (size is not ("full" or "coarse"))
            throw new ArgumentException($"--grid must be 'full' or 'coarse', not '{size}'.");
    }

    sealed class LightGbmLearner : MLNetLearner
    {
        public override string Name => "lightgbm";

        public override string Description => "LightGBM gradient-boosted trees (ML.NET), tuned leaves, leaf size and rounds";

        public override IReadOnlyList<MLNetConfig> Grid(string size)
        {
            CheckSize(size);
            return size == "full"
                ? Cross(("leaves", [4, 16, 31]), ("min_leaf", [2, 10]), ("rounds", [50, 200]))
                : Cross(("leaves", [4, 16]), ("min_leaf", [5]), ("rounds", [50, 200]));
        }

        internal override IEstimator<ITransformer> Estimator(MLContext context, MLNetConfig config, int seed) =>
            context.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                FeatureColumnName = FeaturesColumn,
                LabelColumnName = LabelColumn,
                ExampleWeightColumnName = WeightColumn,
                NumberOfLeaves = (int)config["leaves"],
                MinimumExampleCountPerLeaf = (int)config["min_leaf"],
                NumberOfIterations = (int)config["rounds"],
                LearningRate = 0.1,
                NumberOfThreads = 1,
                Seed = seed,
                Deterministic = true,
                Silent = true,
                UseSoftmax = true,
            });
    }

    sealed class MaximumEntropyLearner : MLNetLearner
    {
        public override string Name => "maxent";

        public override string Description => "L-BFGS maximum-entropy (multinomial logistic) regression (ML.NET), tuned L2 penalty";

        public override IReadOnlyList<MLNetConfig> Grid(string size)
        {
            CheckSize(size);
            return size == "full"
                ? Cross(("l2", [1e-4, 1e-3, 1e-2, 1e-1, 1, 10]))
                : Cross(("l2", [1e-3, 1e-1, 10]));
        }

        internal override IEstimator<ITransformer> Estimator(MLContext context, MLNetConfig config, int seed) =>
            context.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                FeatureColumnName = FeaturesColumn,
                LabelColumnName = LabelColumn,
                ExampleWeightColumnName = WeightColumn,
                L2Regularization = (float)config["l2"],
                L1Regularization = 0,
                NumberOfThreads = 1,
            });
    }

    sealed class ForestLearner : MLNetLearner
    {
        public override string Name => "forest";

        public override string Description => "FastForest random forests, one versus all with Platt calibration (ML.NET), tuned leaves and leaf size";

        public override IReadOnlyList<MLNetConfig> Grid(string size)
        {
            CheckSize(size);
            return size == "full"
                ? Cross(("leaves", [8, 32]), ("min_leaf", [1, 5]), ("trees", [100]))
                : Cross(("leaves", [8, 32]), ("min_leaf", [2]), ("trees", [50]));
        }

        internal override IEstimator<ITransformer> Estimator(MLContext context, MLNetConfig config, int seed)
        {
            var binary = context.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
            {
                FeatureColumnName = FeaturesColumn,
                LabelColumnName = LabelColumn,
                ExampleWeightColumnName = WeightColumn,
                NumberOfLeaves = (int)config["leaves"],
                MinimumExampleCountPerLeaf = (int)config["min_leaf"],
                NumberOfTrees = (int)config["trees"],
                NumberOfThreads = 1,
                Seed = seed,
                FeatureSelectionSeed = seed,
            });
            return context.MulticlassClassification.Trainers.OneVersusAll(binary, LabelColumn, useProbabilities: true);
        }
    }
}
