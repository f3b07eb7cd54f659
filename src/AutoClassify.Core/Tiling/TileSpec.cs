using System.Globalization;

namespace AutoClassify.Tiling;

/// <summary>
/// How a whole-field image is subdivided: square tiles of <see cref="Size"/> pixels, one every
/// <see cref="Stride"/> pixels. A stride below the size makes tiles overlap.
/// </summary>
public readonly record struct TileSpec
{
    public TileSpec(int size, int stride)
    {
        if (size < 8)
            throw new ArgumentException($"--tile size must be at least 8 pixels, not {size}.");
        if (stride < 1 || stride > size)
            throw new ArgumentException($"--tile stride must be between 1 and the tile size {size}, not {stride}.");
        Size = size;
        Stride = stride;
    }

    public int Size { get; }

    public int Stride { get; }

    /// <summary>Parses <c>SIZE</c> (stride = size, no overlap) or <c>SIZE,STRIDE</c>, e.g. <c>128,64</c>.</summary>
    public static TileSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2)
            throw new FormatException($"--tile expects 'SIZE' or 'SIZE,STRIDE' in pixels, got '{text}'.");
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
                throw new FormatException($"--tile value '{parts[i]}' in '{text}' is not a whole number of pixels.");
        }
        return new TileSpec(values[0], values.Length == 2 ? values[1] : values[0]);
    }

    public override string ToString() => Stride == Size
        ? Size.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Size},{Stride}");
}

/// <summary>One tile's square in its source image, in pixels.</summary>
public readonly record struct TileRect(int X, int Y, int Size);
