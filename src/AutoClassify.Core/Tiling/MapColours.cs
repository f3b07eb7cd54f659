namespace AutoClassify.Tiling;

/// <summary>The hatching that marks a class on a prediction map besides its colour, so classes differ without colour vision.</summary>
public enum MapHatch
{
    /// <summary>Lines rising to the right (/).</summary>
    Rising,

    /// <summary>Lines falling to the right (\).</summary>
    Falling,

    /// <summary>Horizontal lines.</summary>
    Horizontal,

    /// <summary>Vertical lines.</summary>
    Vertical,

    /// <summary>Horizontal and vertical lines.</summary>
    Grid,

    /// <summary>Both diagonals.</summary>
    Diamond,

    /// <summary>A lattice of dots.</summary>
    Dots,
}

/// <summary>
/// The one colour scale for every heat map (the HTML report's confusion matrices and maps, and <c>predict --maps</c>),
/// and the class colours and hatchings of prediction maps.
/// </summary>
public static class MapColours
{
    // ColorBrewer "Blues": perceptually ordered, readable in greyscale print, and dark text stays legible on its light end.
    static readonly (byte R, byte G, byte B)[] HeatStops =
    [
        (0xf7, 0xfb, 0xff), (0xde, 0xeb, 0xf7), (0xc6, 0xdb, 0xef), (0x9e, 0xca, 0xe1), (0x6b, 0xae, 0xd6),
        (0x42, 0x92, 0xc6), (0x21, 0x71, 0xb5), (0x08, 0x51, 0x9c), (0x08, 0x30, 0x6b),
    ];

    // Okabe & Ito's colour-blind-safe palette without black (a tint must show on grey), ordered so that neighbouring
    // classes differ most in lightness as well as hue: blue, orange, bluish green, reddish purple, yellow, vermilion, sky blue.
    static readonly (byte R, byte G, byte B)[] Palette =
    [
        (0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (240, 228, 66), (213, 94, 0), (86, 180, 233),
    ];

    /// <summary>The colour of <paramref name="value"/> in [0, 1] (clamped) on the shared heat scale, white through navy.</summary>
    public static (byte R, byte G, byte B) Heat(double value)
    {
        var position = Math.Clamp(double.IsNaN(value) ? 0 : value, 0, 1) * (HeatStops.Length - 1);
        var low = Math.Min((int)position, HeatStops.Length - 2);
        var f = position - low;
        var (a, b) = (HeatStops[low], HeatStops[low + 1]);
        return (Mix(a.R, b.R, f), Mix(a.G, b.G, f), Mix(a.B, b.B, f));
    }

    /// <summary>Whether text on <see cref="Heat"/>(<paramref name="value"/>) should be white rather than dark.</summary>
    public static bool HeatIsDark(double value) => value > 0.5;

    /// <summary>The colour of class <paramref name="classIndex"/> (the palette repeats after seven classes; the hatching tells those apart).</summary>
    public static (byte R, byte G, byte B) Class(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        return Palette[classIndex % Palette.Length];
    }

    /// <summary>The class colour as CSS <c>#rrggbb</c>.</summary>
    public static string ClassHex(int classIndex)
    {
        var (r, g, b) = Class(classIndex);
        return $"#{r:x2}{g:x2}{b:x2}";
    }

    /// <summary>
    /// The hatching of class <paramref name="classIndex"/>. Seven hatchings against seven colours, offset after the
    /// first seven classes, keep every pair of the first 49 classes apart by colour or hatching.
    /// </summary>
    public static MapHatch Hatch(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        var kinds = Enum.GetValues<MapHatch>().Length;
        return (MapHatch)((classIndex + (classIndex / Palette.Length)) % kinds);
    }

    /// <summary>Whether pixel (<paramref name="x"/>, <paramref name="y"/>) lies on a line of <paramref name="hatch"/> drawn every <paramref name="spacing"/> pixels.</summary>
    public static bool OnHatch(MapHatch hatch, int x, int y, int spacing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spacing, 2);
        static int Mod(int v, int m) => ((v % m) + m) % m;
        return hatch switch
        {
            MapHatch.Rising => Mod(x + y, spacing) == 0,
            MapHatch.Falling => Mod(x - y, spacing) == 0,
            MapHatch.Horizontal => Mod(y, spacing) == 0,
            MapHatch.Vertical => Mod(x, spacing) == 0,
            MapHatch.Grid => Mod(x, spacing) == 0 || Mod(y, spacing) == 0,
            MapHatch.Diamond => Mod(x + y, spacing) == 0 || Mod(x - y, spacing) == 0,
            _ => Mod(x, spacing) < 2 && Mod(y, spacing) < 2,
        };
    }

    static byte Mix(byte a, byte b, double f) => (byte)Math.Round(a + ((b - a) * f));
}
