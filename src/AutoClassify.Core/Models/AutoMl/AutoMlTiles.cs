using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Tiling;

namespace AutoClassify.Models.AutoMl;

/// <summary>
/// How a tiled pipeline of the search reads its images: square tiles of <see cref="Spec"/> without overlap, each tile
/// measured with the whole-field features, at most <see cref="TilesPerImage"/> tiles of an image in a fit (all of them
/// in a prediction), and the tiles' probabilities averaged into the image's, as <c>benchmark --tile</c> does by default.
/// </summary>
internal sealed record AutoMlTiling(TileSpec Spec, int TilesPerImage)
{
    /// <summary>No tile is smaller than this: below it a tile holds too few particles to measure, and 64-px crops are not tiled.</summary>
    public const int MinTileSize = 48;

    /// <summary>How tile probabilities become the image's, in the search and in its packages.</summary>
    public const TileAggregation Aggregation = TileAggregation.Mean;

    /// <summary>The leaderboard name, e.g. <c>tiles 160 px</c>.</summary>
    public string Representation => Name(Spec.Size);

    public static string Name(int size) => string.Create(CultureInfo.InvariantCulture, $"tiles {size} px");

    /// <summary>
    /// The tile sizes for images whose smallest side is <paramref name="smallestSide"/> px: half of it, so every image
    /// holds at least 2 × 2 tiles, and half of that, each rounded down to a multiple of 16 px; those below
    /// <see cref="MinTileSize"/> are left out, so small crops get none.
    /// </summary>
    public static IReadOnlyList<int> Sizes(int smallestSide)
    {
        var sizes = new List<int>();
        for (var size = RoundDown(smallestSide / 2); size >= MinTileSize && sizes.Count < 2; size = RoundDown(size / 2))
            sizes.Add(size);
        return sizes;

        static int RoundDown(int value) => value / 16 * 16;
    }
}

/// <summary>
/// The tiles of one data set's images at one tile size and their whole-field features, measured once per image and
/// shared by every trial and search on the same data: the features read pixels only, never a label, so sharing them
/// across folds leaks nothing, and each search still reads only the rows of its own images.
/// </summary>
internal sealed class TileFeatures
{
    static readonly ConditionalWeakTable<TrainingData, ConcurrentDictionary<TileSpec, TileFeatures>> Shared = new();

    readonly TrainingData data;
    readonly Measured?[] measured;

    TileFeatures(TrainingData data, TileSpec spec)
    {
        this.data = data;
        Spec = spec;
        FeatureSet = FeatureSet.Field(data.FieldNmPerPixel);
        measured = new Measured?[data.Labels.Length];
    }

    public TileSpec Spec { get; }

    /// <summary>The whole-field features at the data's pixel size, as a package of the tile model measures new tiles.</summary>
    public FeatureSet FeatureSet { get; }

    /// <summary>The tiles of <paramref name="data"/>'s images at <paramref name="spec"/> (one instance per data and size).</summary>
    public static TileFeatures For(TrainingData data, TileSpec spec)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Shared.GetValue(data, _ => new ConcurrentDictionary<TileSpec, TileFeatures>()).GetOrAdd(spec, s => new TileFeatures(data, s));
    }

    /// <summary>Those of <paramref name="images"/> not measured yet, in order.</summary>
    public int[] Unmeasured(IEnumerable<int> images) => [.. images.Distinct().Where(i => measured[i] is null)];

    /// <summary>Cuts and measures every image of <paramref name="images"/> not measured yet, on <paramref name="threads"/> threads (0 = all cores).</summary>
    public void Measure(IEnumerable<int> images, int threads, CancellationToken cancellationToken = default)
    {
        var pixels = data.Images ?? throw new ArgumentException("Tiling needs the images: build the training data with ModelInput.Images.");
        var missing = Unmeasured(images);
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, missing.Length, parallel, n =>
        {
            var item = missing[n];
            var image = pixels[item] ?? throw new ArgumentException($"Item {item} has no image to cut into {Spec.Size}-pixel tiles.");
            // An image smaller than a tile (an outer test image, say) is read as one tile of its own smaller side.
            var spec = image.Width < Spec.Size || image.Height < Spec.Size ? Shrunk(Math.Min(image.Width, image.Height)) : Spec;
            var rects = Tiler.Layout(image.Width, image.Height, spec).ToArray();
            var rows = new double[rects.Length][];
            for (var t = 0; t < rects.Length; t++)
                rows[t] = FeatureSet.Extract(Tiler.Cut(image, rects[t]));
            measured[item] = new Measured(rects, rows, image.Width, image.Height);
        });
    }

    static TileSpec Shrunk(int side)
    {
        var size = Math.Max(8, side);
        return new TileSpec(size, size);
    }

    /// <summary>
    /// The tiles a fit on <paramref name="images"/> learns from: at most <paramref name="tilesPerImage"/> of each image (a
    /// seeded draw), each labelled like its image and grouped with it (or with its image's group), so a learner's own inner
    /// splits keep an image's tiles on one side. Also the source image of every tile row.
    /// </summary>
    public (TrainingData Tiles, int[] Source) Training(IReadOnlyList<int> images, int tilesPerImage, int seed, int threads, CancellationToken cancellationToken)
    {
        Measure(images, threads, cancellationToken);
        var (rows, labels, groups, source) = (new List<double[]>(), new List<int>(), new List<int>(), new List<int>());
        foreach (var image in images)
        {
            var tiles = measured[image]!;
            var chosen = Enumerable.Range(0, tiles.Rows.Length).ToArray();
            if (chosen.Length > tilesPerImage)
            {
                new Random(Seeds.Derive(seed, "automl-tiles", image)).Shuffle(chosen);
                chosen = [.. chosen.Take(tilesPerImage).Order()];
            }
            foreach (var t in chosen)
            {
                rows.Add(tiles.Rows[t]);
                labels.Add(data.Labels[image]);
                groups.Add(data.Groups is { } g ? g[image] : image);
                source.Add(image);
            }
        }
        return (Build([.. rows], [.. labels], [.. groups]), [.. source]);
    }

    /// <summary>Every tile of <paramref name="images"/>, in image order, and the span of tile rows of each image.</summary>
    public (TrainingData Tiles, (int First, int Count)[] Spans) Prediction(IReadOnlyList<int> images, int threads)
    {
        Measure(images, threads);
        var rows = new List<double[]>();
        var spans = new (int, int)[images.Count];
        for (var n = 0; n < images.Count; n++)
        {
            var tiles = measured[images[n]]!;
            spans[n] = (rows.Count, tiles.Rows.Length);
            rows.AddRange(tiles.Rows);
        }
        return (Build([.. rows], new int[rows.Count], null), spans);
    }

    /// <summary>The probabilities of <paramref name="images"/> from those of their tiles (rows of <see cref="Prediction"/>).</summary>
    public double[][] Aggregate(IReadOnlyList<int> images, (int First, int Count)[] spans, double[][] tileProbabilities)
    {
        var result = new double[images.Count][];
        for (var n = 0; n < images.Count; n++)
        {
            var tiles = measured[images[n]]!;
            var (first, count) = spans[n];
            result[n] = new PredictionMap(tiles.Width, tiles.Height, tiles.Rects, tileProbabilities[first..(first + count)]).Aggregate(AutoMlTiling.Aggregation);
        }
        return result;
    }

    TrainingData Build(double[][] rows, int[] labels, int[]? groups) => new()
    {
        ClassNames = data.ClassNames,
        Labels = labels,
        FieldFeatures = new FeatureMatrix(FeatureSet.Names, rows),
        FieldNmPerPixel = data.FieldNmPerPixel,
        Groups = groups,
        ItemTile = Spec,
    };

    sealed record Measured(TileRect[] Rects, double[][] Rows, int Width, int Height);
}

/// <summary>
/// A feature learner fitted on the tiles of the training images (<see cref="AutoMlTiling"/>): it predicts an image by
/// measuring all its tiles, predicting each and averaging their probabilities. It owns the learner.
/// </summary>
public sealed class TiledModel : ITrainedModel
{
    ITrainedModel? inner;
    readonly int threads;

    internal TiledModel(ITrainedModel inner, TileSpec spec, int threads, int trainingImages, int trainingTiles)
    {
        this.inner = inner;
        Spec = spec;
        this.threads = threads;
        var inv = CultureInfo.InvariantCulture;
        inner.Summary.Facts["tile_layout"] = $"{spec} px ({Aggregation.ToName()} aggregation)";
        inner.Summary.Facts["training_tiles"] = string.Create(inv, $"{trainingTiles} from {trainingImages} images");
    }

    /// <summary>The tile layout the learner reads.</summary>
    public TileSpec Spec { get; }

    /// <summary>How the tiles' probabilities become the image's.</summary>
    public TileAggregation Aggregation { get; } = AutoMlTiling.Aggregation;

    /// <summary>The learner on tile features (owned), until <see cref="DetachInner"/> hands it over.</summary>
    public ITrainedModel Inner => inner ?? throw new ObjectDisposedException(nameof(TiledModel), "The tile learner was handed over or disposed.");

    public TrainingSummary Summary => Inner.Summary;

    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0)
            return [];
        var tiles = TileFeatures.For(data, Spec);
        var (tileData, spans) = tiles.Prediction(indices, threads);
        var probabilities = Inner.PredictProbabilities(tileData, Enumerable.Range(0, tileData.Labels.Length).ToArray());
        return tiles.Aggregate(indices, spans, probabilities);
    }

    /// <summary>Hands the tile learner over to a new owner (a package); this model is empty afterwards.</summary>
    public ITrainedModel DetachInner()
    {
        var detached = Inner;
        inner = null;
        return detached;
    }

    public void Dispose()
    {
        inner?.Dispose();
        inner = null;
    }
}
