namespace AutoClassify.Evaluation;

/// <summary>
/// How a tiled run subdivided its images (<see cref="BenchmarkResult.Tiling"/>): the layout, every tile, the
/// grouping of folds by source image, and thumbnails of the images the report maps.
/// </summary>
public sealed class TilingSummary
{
    /// <summary>Tile side in pixels.</summary>
    public int Size { get; set; }

    /// <summary>Pixels between neighbouring tiles' corners; below <see cref="Size"/> the tiles overlap.</summary>
    public int Stride { get; set; }

    /// <summary>How tile probabilities became image probabilities: <c>mean</c> or <c>vote</c>.</summary>
    public string Aggregation { get; set; } = "";

    /// <summary>Probability above which a map cell is tinted in its class's colour.</summary>
    public double MapThreshold { get; set; }

    public int TileCount { get; set; }

    public int TilesPerImageMin { get; set; }

    public double TilesPerImageMedian { get; set; }

    public int TilesPerImageMax { get; set; }

    /// <summary>How folds were formed from images and tiles, in words, for the report.</summary>
    public string Grouping { get; set; } = "";

    /// <summary>Every tile, indexed like the tile-level <see cref="Prediction.Item"/>.</summary>
    public List<TileRecord> Tiles { get; set; } = [];

    /// <summary>The images shown as prediction maps, with their thumbnails.</summary>
    public List<MapImage> MapImages { get; set; } = [];
}

/// <summary>One tile: its source image and its top-left corner there (its side is <see cref="TilingSummary.Size"/>).</summary>
public sealed class TileRecord
{
    /// <summary>Index into <see cref="BenchmarkResult.Items"/> of the image the tile was cut from.</summary>
    public int Item { get; set; }

    public int X { get; set; }

    public int Y { get; set; }
}

/// <summary>An image drawn under a prediction map.</summary>
public sealed class MapImage
{
    /// <summary>Index into <see cref="BenchmarkResult.Items"/>.</summary>
    public int Item { get; set; }

    /// <summary>Size of the prepared image, the frame of its tiles' corners.</summary>
    public int Width { get; set; }

    public int Height { get; set; }

    /// <summary>A downscaled grey PNG of the prepared image, base64.</summary>
    public string ThumbnailPng { get; set; } = "";
}

/// <summary>
/// A tiled model's tile-level outcome (<see cref="ModelResult.TileLevel"/>); the enclosing <see cref="ModelResult"/>
/// then holds the image-level figures.
/// </summary>
public sealed class TileLevelResult
{
    /// <summary>Tile-level figures of each fold, in fold order.</summary>
    public List<ClassificationMetrics> FoldMetrics { get; set; } = [];

    public AggregatedMetrics Aggregate { get; set; } = new();

    /// <summary>Out-of-fold prediction of every tile; <see cref="Prediction.Item"/> indexes <see cref="TilingSummary.Tiles"/>.</summary>
    public List<Prediction> Predictions { get; set; } = [];

    /// <summary>Images (indices into <see cref="BenchmarkResult.Items"/>) the report maps: the worst-classified first, then confident correct ones.</summary>
    public List<int> MapItems { get; set; } = [];
}
