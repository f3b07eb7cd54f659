namespace AutoClassify.Tiling;

/// <summary>
/// Which source image and square each tile of a tiled data set came from: tiles are numbered image by image, in
/// <see cref="Tiler.Layout"/> order within an image.
/// </summary>
public sealed class TileSources
{
    readonly int[] firstTile;

    /// <summary>Builds the index from each image's tile squares, in image order.</summary>
    public TileSources(IReadOnlyList<IReadOnlyList<TileRect>> rectsPerImage)
    {
        ArgumentNullException.ThrowIfNull(rectsPerImage);
        firstTile = new int[rectsPerImage.Count + 1];
        var sources = new List<int>();
        var rects = new List<TileRect>();
        for (var i = 0; i < rectsPerImage.Count; i++)
        {
            var own = rectsPerImage[i] ?? throw new ArgumentException($"Image {i} has no tile list.", nameof(rectsPerImage));
            if (own.Count == 0)
                throw new ArgumentException($"Image {i} has no tiles.", nameof(rectsPerImage));
            firstTile[i] = sources.Count;
            sources.AddRange(Enumerable.Repeat(i, own.Count));
            rects.AddRange(own);
        }
        firstTile[^1] = sources.Count;
        Sources = sources;
        Rects = rects;
    }

    /// <summary>Source image of every tile.</summary>
    public IReadOnlyList<int> Sources { get; }

    /// <summary>Square of every tile in its source image.</summary>
    public IReadOnlyList<TileRect> Rects { get; }

    public int ImageCount => firstTile.Length - 1;

    public int TileCount => Sources.Count;

    /// <summary>The tiles of the given images, image by image.</summary>
    public int[] TilesOf(IEnumerable<int> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var tiles = new List<int>();
        foreach (var image in images)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(image);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(image, ImageCount);
            for (var t = firstTile[image]; t < firstTile[image + 1]; t++)
                tiles.Add(t);
        }
        return [.. tiles];
    }

    /// <summary>
    /// Image-level probabilities of <paramref name="images"/>, given the probabilities of their tiles in
    /// <see cref="TilesOf"/> order (<paramref name="tileProbabilities"/>), aggregated by <paramref name="mode"/>.
    /// </summary>
    public double[][] Aggregate(IReadOnlyList<int> images, IReadOnlyList<double[]> tileProbabilities, TileAggregation mode)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(tileProbabilities);
        var result = new double[images.Count][];
        var next = 0;
        for (var i = 0; i < images.Count; i++)
        {
            var count = firstTile[images[i] + 1] - firstTile[images[i]];
            if (next + count > tileProbabilities.Count)
                throw new ArgumentException($"Only {tileProbabilities.Count} tile probability rows for the tiles of {images.Count} images.", nameof(tileProbabilities));
            var rows = new double[count][];
            for (var t = 0; t < count; t++)
                rows[t] = tileProbabilities[next + t];
            result[i] = MapOf(images[i], rows).Aggregate(mode);
            next += count;
        }
        if (next != tileProbabilities.Count)
            throw new ArgumentException($"{tileProbabilities.Count} tile probability rows for {next} tiles.", nameof(tileProbabilities));
        return result;
    }

    /// <summary>The prediction map of one image from its tiles' probabilities (its tiles in order).</summary>
    public PredictionMap MapOf(int image, double[][] probabilities)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(image);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(image, ImageCount);
        var rects = Rects.Skip(firstTile[image]).Take(firstTile[image + 1] - firstTile[image]).ToArray();
        var width = rects.Max(r => r.X + r.Size);
        var height = rects.Max(r => r.Y + r.Size);
        return new PredictionMap(width, height, rects, probabilities);
    }
}
