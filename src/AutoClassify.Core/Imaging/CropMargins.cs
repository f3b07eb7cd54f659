using System.Globalization;

namespace AutoClassify.Imaging;

/// <summary>Pixels to cut from each edge before anything else sees the image (manual banner removal).</summary>
public readonly record struct CropMargins(int Top, int Bottom, int Left, int Right)
{
    public static CropMargins None => default;

    public bool IsNone => Top == 0 && Bottom == 0 && Left == 0 && Right == 0;

    /// <summary>Parses <c>top,bottom,left,right</c> in pixels, e.g. <c>0,32,0,0</c>.</summary>
    public static CropMargins Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4)
            throw new FormatException($"--crop expects four pixel counts 'top,bottom,left,right', got '{text}'.");
        var values = new int[4];
        for (var i = 0; i < 4; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
                throw new FormatException($"--crop value '{parts[i]}' in '{text}' is not a non-negative whole number of pixels.");
        }
        return new CropMargins(values[0], values[1], values[2], values[3]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Top},{Bottom},{Left},{Right}");
}
