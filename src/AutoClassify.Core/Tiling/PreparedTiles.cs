using AutoClassify.Preprocessing;

namespace AutoClassify.Tiling;

/// <summary>Cuts prepared images into the tiles a tiled model reads.</summary>
public static class PreparedTiles
{
    /// <summary>
    /// The tiles of one prepared image in <see cref="Tiler.Layout"/> order, each with its piece of the mask (when the
    /// image has one). The banner was already treated when the image was prepared, so tiles carry no banner.
    /// </summary>
    public static (IReadOnlyList<TileRect> Rects, PreparedImage[] Tiles) Cut(PreparedImage image, TileSpec spec)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rects = Tiler.Layout(image.Image.Width, image.Image.Height, spec);
        var tiles = new PreparedImage[rects.Count];
        for (var t = 0; t < rects.Count; t++)
            tiles[t] = new PreparedImage(Tiler.Cut(image.Image, rects[t]), image.Mask is null ? null : Tiler.Cut(image.Mask, rects[t]));
        return (rects, tiles);
    }
}
