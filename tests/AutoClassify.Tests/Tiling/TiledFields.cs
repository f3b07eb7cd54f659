using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Tests.Segmentation;
using AutoClassify.Tests.Support;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Tiling;

/// <summary>
/// Generated whole-field micrographs whose classes differ by particle density and size (no single object per
/// image), written as PNG class folders; and one shared tiled SVM benchmark on them.
/// </summary>
internal static class TiledFields
{
    /// <summary>Side of every generated field, in pixels.</summary>
    public const int FieldSize = 96;

    /// <summary>Tile side used by the shared run: 3 x 3 tiles per field.</summary>
    public const int TileSize = 32;

    public const int Folds = 3;

    public const int Seed = 11;

    /// <summary>Class name, particles per field, particle radius.</summary>
    public static readonly (string Name, int Particles, double Radius)[] Classes =
    [
        ("dense", 30, 3),
        ("large", 6, 7),
        ("sparse", 4, 3),
    ];

    /// <summary>
    /// Writes <paramref name="perClass"/> fields of every class into <c>root/class/&lt;prefix&gt;_NN.png</c>; another
    /// <paramref name="seedOffset"/> gives other fields of the same classes.
    /// </summary>
    public static void Write(string root, int perClass, int seedOffset = 0, string prefix = "field")
    {
        for (var c = 0; c < Classes.Length; c++)
        {
            var (name, particles, radius) = Classes[c];
            var dir = Path.Combine(root, name);
            Directory.CreateDirectory(dir);
            for (var i = 0; i < perClass; i++)
            {
                var seed = 1000 * (c + 1) + i + seedOffset;
                var disks = ParticleFields.Scatter(FieldSize, FieldSize, Enumerable.Repeat(radius, particles).ToList(), seed, gap: 2);
                PngWriter.Write(Path.Combine(dir, $"{prefix}_{i:00}.png"), ParticleFields.Render(FieldSize, FieldSize, disks, seed));
            }
        }
    }

    /// <summary>Options of the shared run: SVM on 32-px tiles, coarse grid, 3 grouped folds.</summary>
    public static BenchmarkOptions Options(string dataset, TileAggregation aggregation = TileAggregation.Mean) => new()
    {
        DatasetPath = dataset,
        Folds = Folds,
        Seed = Seed,
        Models = ["svm"],
        Threads = 2,
        ModelSettings = new ModelSettings { Grid = "coarse" },
        Tile = new TileSpec(TileSize, TileSize),
        TileAggregation = aggregation,
    };

    static readonly Lazy<SharedRun> Shared = new(() =>
    {
        var dir = new TempDirectory("tiled-fields");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        Write(dir.Path, perClass: 6);
        var recorder = new List<RecordingTrainer>();
        var result = BenchmarkRunner.Run(Options(dir.Path), null, (name, settings) =>
        {
            var trainer = new RecordingTrainer(ModelCatalog.Create(name, settings));
            recorder.Add(trainer);
            return trainer;
        }, CancellationToken.None);
        return new SharedRun(dir, result, recorder);
    });

    /// <summary>One tiled SVM benchmark on 18 fields (6 per class), run once per test process and shared.</summary>
    public static SharedRun Run => Shared.Value;

    internal sealed record SharedRun(TempDirectory Directory, BenchmarkResult Result, List<RecordingTrainer> Trainers);
}

/// <summary>Wraps a real trainer and records the item indices each fit was trained on and asked to predict.</summary>
internal sealed class RecordingTrainer(IModelTrainer inner) : IModelTrainer
{
    public List<(int[] Train, List<int[]> Predicted)> Fits { get; } = [];

    /// <summary>The groups the training data carried (the tiles' source images).</summary>
    public IReadOnlyList<int>? Groups { get; private set; }

    public string Name => inner.Name;

    public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        var fit = (trainIndices.ToArray(), new List<int[]>());
        lock (Fits)
        {
            Fits.Add(fit);
            Groups = data.Groups?.ToArray();
        }
        return new Recorded(inner.Train(data, trainIndices, context), fit.Item2);
    }

    sealed class Recorded(ITrainedModel model, List<int[]> predicted) : ITrainedModel
    {
        public TrainingSummary Summary => model.Summary;

        public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
        {
            lock (predicted)
                predicted.Add(indices.ToArray());
            return model.PredictProbabilities(data, indices);
        }

        public void Dispose() => model.Dispose();
    }
}
