using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Tiling;

/// <summary>
/// A prepared data set cut into tiles: every tile is an item of its own with its source image's label, and
/// remembers which image and which square it came from, so folds can be grouped by image and tile predictions
/// can be put back together into image-level decisions and maps.
/// </summary>
public sealed class TiledData
{
    readonly int[] _firstTile;

    TiledData(TileSpec spec, LabeledDataset source, LabeledDataset tiles, IReadOnlyList<PreparedImage> prepared, int[] sourceImage,
        TileRect[] rects, (int Width, int Height)[] imageSizes, int[] firstTile)
    {
        Spec = spec;
        Source = source;
        Tiles = tiles;
        Prepared = prepared;
        SourceImage = sourceImage;
        Rects = rects;
        ImageSizes = imageSizes;
        _firstTile = firstTile;
    }

    public TileSpec Spec { get; }

    /// <summary>The data set of whole images the tiles were cut from.</summary>
    public LabeledDataset Source { get; }

    /// <summary>
    /// One item per tile, in image order and row by row within an image: labelled like its image, with path
    /// <c>&lt;image path&gt;#x&lt;X&gt;y&lt;Y&gt;</c> and the tile's size as its width and height.
    /// </summary>
    public LabeledDataset Tiles { get; }

    /// <summary>The tiles' pixels, indexed like <see cref="Tiles"/>; tiles carry no mask (whole fields have no object mask).</summary>
    public IReadOnlyList<PreparedImage> Prepared { get; }

    /// <summary>The source image (index into <see cref="Source"/>'s items) of every tile.</summary>
    public IReadOnlyList<int> SourceImage { get; }

    /// <summary>Every tile's square in its prepared source image.</summary>
    public IReadOnlyList<TileRect> Rects { get; }

    /// <summary>Size of every prepared source image, the frame of its tiles' squares.</summary>
    public IReadOnlyList<(int Width, int Height)> ImageSizes { get; }

    public int TileCount => Rects.Count;

    public int ImageCount => ImageSizes.Count;

    /// <summary>The tiles of one source image: they are contiguous, <c>First</c> to <c>First + Count - 1</c>.</summary>
    public (int First, int Count) TilesOf(int image)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(image);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(image, ImageCount);
        return (_firstTile[image], _firstTile[image + 1] - _firstTile[image]);
    }

    /// <summary>Gives every tile the fold of its source image, so no image has tiles on both sides of a fold.</summary>
    public int[] TileFolds(IReadOnlyList<int> imageFolds)
    {
        ArgumentNullException.ThrowIfNull(imageFolds);
        if (imageFolds.Count != ImageCount)
            throw new ArgumentException($"Expected a fold for each of the {ImageCount} images, got {imageFolds.Count}.", nameof(imageFolds));
        return SourceImage.Select(i => imageFolds[i]).ToArray();
    }

    /// <summary>Puts one image back together from its tiles (they cover every pixel).</summary>
    public GrayImage Reassemble(int image)
    {
        var (width, height) = ImageSizes[image];
        var result = new GrayImage(width, height);
        var (first, count) = TilesOf(image);
        for (var t = first; t < first + count; t++)
        {
            var rect = Rects[t];
            var pixels = Prepared[t].Image.Pixels;
            for (var y = 0; y < rect.Size; y++)
                Array.Copy(pixels, y * rect.Size, result.Pixels, (rect.Y + y) * width + rect.X, rect.Size);
        }
        return result;
    }

    /// <summary>
    /// Cuts every prepared image into tiles of <paramref name="spec"/>. Checks every image first and names each
    /// one that is smaller than a tile.
    /// </summary>
    /// <param name="dataset">The whole-image data set.</param>
    /// <param name="prepared">Its prepared images (banner removed), indexed like its items.</param>
    /// <param name="spec">Tile size and stride.</param>
    /// <param name="retention">How the tiles' pixels are held: <see cref="PixelRetention.Compact"/> (1 byte per pixel for 8-bit sources) or float.</param>
    public static TiledData Expand(LabeledDataset dataset, IReadOnlyList<PreparedImage> prepared, TileSpec spec, PixelRetention retention = PixelRetention.Eager)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(prepared);
        if (spec.Size == 0)
            throw new ArgumentException("The tile spec is empty; build it with new TileSpec(size, stride) or TileSpec.Parse.", nameof(spec));
        if (prepared.Count != dataset.Items.Count)
            throw new ArgumentException($"Expected {dataset.Items.Count} prepared images, got {prepared.Count}.", nameof(prepared));

        var tooSmall = new List<string>();
        var imageSizes = prepared is PreparedImageStore store ? store.Sizes : prepared.Select(p => (p.Image.Width, p.Image.Height)).ToList();
        for (var i = 0; i < prepared.Count; i++)
        {
            var image = imageSizes[i];
            if (image.Width < spec.Size || image.Height < spec.Size)
                tooSmall.Add(string.Create(CultureInfo.InvariantCulture, $"'{dataset.Items[i].RelativePath}' is {image.Width}x{image.Height}"));
        }
        if (tooSmall.Count > 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--tile {spec}: {tooSmall.Count} prepared image(s) are smaller than one {spec.Size}-pixel tile (after crop and banner removal): {string.Join("; ", tooSmall.Take(10))}{(tooSmall.Count > 10 ? "; ..." : "")}. Choose a smaller tile size."));
        }

        var items = new List<DatasetItem>();
        var tiles = new List<PreparedImage>();
        var kept = new List<PreparedImageStore>();
        var sources = new List<int>();
        var rects = new List<TileRect>();
        var sizes = new (int, int)[prepared.Count];
        var firstTile = new int[prepared.Count + 1];
        for (var i = 0; i < prepared.Count; i++)
        {
            var item = dataset.Items[i];
            var image = prepared[i].Image;
            sizes[i] = (image.Width, image.Height);
            firstTile[i] = rects.Count;
            foreach (var (rect, tile) in Tiler.CutAll(image, spec))
            {
                items.Add(new DatasetItem(TileId(item.RelativePath, rect), item.FullPath, item.Label, null, rect.Size, rect.Size));
                tiles.Add(new PreparedImage(tile, null));
                sources.Add(i);
                rects.Add(rect);
            }
            // Packed image by image, so only one image's float tiles exist at a time.
            kept.Add(PreparedImageStore.From(tiles, retention));
            tiles.Clear();
        }
        firstTile[prepared.Count] = rects.Count;

        var tileSet = new LabeledDataset
        {
            Root = dataset.Root,
            ClassNames = dataset.ClassNames,
            Items = items,
            Skipped = [],
            Warnings = [],
        };
        return new TiledData(spec, dataset, tileSet, PreparedImageStore.Concat(kept), [.. sources], [.. rects], sizes, firstTile);
    }

    /// <summary>The stable id of one tile: its image's relative path and its corner.</summary>
    public static string TileId(string imagePath, TileRect rect) =>
        string.Create(CultureInfo.InvariantCulture, $"{imagePath}#x{rect.X}y{rect.Y}");
}
