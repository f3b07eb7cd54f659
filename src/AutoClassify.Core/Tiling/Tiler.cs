using AutoClassify.Imaging;

namespace AutoClassify.Tiling;

/// <summary>Lays tiles over an image and cuts them out.</summary>
public static class Tiler
{
    /// <summary>
    /// The tiles of a <paramref name="width"/>×<paramref name="height"/> image, row by row. Tiles start every
    /// stride pixels; when the last one would stop short of the edge, one more is placed flush with the edge,
    /// so every pixel is covered and no tile reaches outside the image.
    /// </summary>
    public static IReadOnlyList<TileRect> Layout(int width, int height, TileSpec spec)
    {
        if (spec.Size == 0)
            throw new ArgumentException("The tile spec is empty; build it with new TileSpec(size, stride) or TileSpec.Parse.", nameof(spec));
        if (width < spec.Size || height < spec.Size)
            throw new ArgumentException($"A {width}x{height} image is smaller than one {spec.Size}-pixel tile.");
        var xs = Starts(width, spec);
        var ys = Starts(height, spec);
        var tiles = new List<TileRect>(xs.Count * ys.Count);
        foreach (var y in ys)
        {
            foreach (var x in xs)
                tiles.Add(new TileRect(x, y, spec.Size));
        }
        return tiles;
    }

    /// <summary>Copies one tile out of an image.</summary>
    public static GrayImage Cut(GrayImage image, TileRect tile)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckInside(image.Width, image.Height, tile);
        return image.Crop(tile.Y, image.Height - tile.Y - tile.Size, tile.X, image.Width - tile.X - tile.Size);
    }

    /// <summary>Copies one tile out of a mask.</summary>
    public static BinaryMask Cut(BinaryMask mask, TileRect tile)
    {
        ArgumentNullException.ThrowIfNull(mask);
        CheckInside(mask.Width, mask.Height, tile);
        return mask.Crop(tile.Y, mask.Height - tile.Y - tile.Size, tile.X, mask.Width - tile.X - tile.Size);
    }

    /// <summary>Every tile of an image, with its square.</summary>
    public static IReadOnlyList<(TileRect Rect, GrayImage Tile)> CutAll(GrayImage image, TileSpec spec)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Layout(image.Width, image.Height, spec).Select(r => (r, Cut(image, r))).ToList();
    }

    static List<int> Starts(int length, TileSpec spec)
    {
        var starts = new List<int>();
        for (var s = 0; s + spec.Size <= length; s += spec.Stride)
            starts.Add(s);
        if (starts[^1] + spec.Size < length)
            starts.Add(length - spec.Size);
        return starts;
    }

    static void CheckInside(int width, int height, TileRect tile)
    {
        if (tile.Size <= 0 || tile.X < 0 || tile.Y < 0 || tile.X + tile.Size > width || tile.Y + tile.Size > height)
            throw new ArgumentOutOfRangeException(nameof(tile), $"Tile {tile} does not fit inside a {width}x{height} image.");
    }
}
