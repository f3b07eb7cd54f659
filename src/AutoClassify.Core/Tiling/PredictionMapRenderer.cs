using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Segmentation;
using CsvHelper;

namespace AutoClassify.Tiling;

/// <summary>
/// Pictures of a <see cref="PredictionMap"/>, each the map's size plus a <see cref="LegendHeight"/>-pixel legend strip
/// at the bottom:
/// <list type="bullet">
/// <item>heat map: one class's probability per position (overlapping tiles averaged) on the HTML report's scale
/// (<see cref="MapColours.Heat"/>), near-white = 0 through mid blue = 0.5 to navy = 1. The legend is that scale from 0
/// (left) to 1 (right), with tick marks every 0.25.</item>
/// <item>overlay: the micrograph in grey, tinted in a class's colour (<see cref="ClassColour"/>) and hatched in its
/// pattern (<see cref="MapColours.Hatch"/>) wherever that class's probability exceeds the threshold, each region
/// outlined in the class colour. The legend shows one hatched swatch per class, in class order.</item>
/// </list>
/// Also the per-tile CSV. Every file is written atomically.
/// </summary>
public static class PredictionMapRenderer
{
    /// <summary>Height in pixels of the legend strip under each picture.</summary>
    public const int LegendHeight = 20;

    /// <summary>Side in pixels of the cells the class fields are sampled on (see <see cref="PredictionMap.ClassField"/>).</summary>
    public const int Cell = 4;

    const float TintAlpha = 0.45f;

    /// <summary>Pixels between the lines of a class's hatching in overlays.</summary>
    public const int HatchSpacing = 8;

    const int OutlineWidth = 1;

    /// <summary>The tint of class <paramref name="classIndex"/> (see <see cref="MapColours.Class"/>).</summary>
    public static (byte R, byte G, byte B) ClassColour(int classIndex) => MapColours.Class(classIndex);

    /// <summary>The heat-map colour of a probability in [0, 1] on the report's scale (<see cref="MapColours.Heat"/>); NaN, where no tile covers, is mid grey.</summary>
    public static (byte R, byte G, byte B) HeatColour(double p) => double.IsNaN(p) ? ((byte)128, (byte)128, (byte)128) : MapColours.Heat(p);

    /// <summary>Interleaved RGB (<c>Width × (Height + LegendHeight)</c> pixels) of class <paramref name="classIndex"/>'s heat map.</summary>
    public static byte[] HeatMapRgb(PredictionMap map, int classIndex)
    {
        ArgumentNullException.ThrowIfNull(map);
        var field = map.ClassField(classIndex, Cell, out var columns, out _);
        int width = map.Width, height = map.Height;
        var rgb = new byte[3 * width * (height + LegendHeight)];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
                Put(rgb, width, x, y, HeatColour(field[((y / Cell) * columns) + (x / Cell)]));
        }
        DrawScaleLegend(rgb, width, height);
        return rgb;
    }

    /// <summary>
    /// Interleaved RGB (<c>Width × (Height + LegendHeight)</c> pixels) of the overlay: <paramref name="image"/> in grey,
    /// tinted where a class's probability exceeds <paramref name="threshold"/>: the most probable such class, or only
    /// <paramref name="onlyClass"/> when given.
    /// </summary>
    public static byte[] OverlayRgb(GrayImage image, PredictionMap map, double threshold, int? onlyClass = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        CheckThreshold(threshold);
        if (image.Width != map.Width || image.Height != map.Height)
            throw new ArgumentException($"The image is {image.Width}x{image.Height} but the map is {map.Width}x{map.Height}.", nameof(image));
        var classes = onlyClass is { } only ? [only] : Enumerable.Range(0, map.ClassCount).ToArray();
        var columns = 0;
        var fields = classes.Select(k => map.ClassField(k, Cell, out columns, out _)).ToArray();
        int width = map.Width, height = map.Height;
        var rows = (height + Cell - 1) / Cell;
        var tints = new int[columns * rows];
        for (var cell = 0; cell < tints.Length; cell++)
        {
            var tint = -1;
            var best = threshold;
            for (var c = 0; c < classes.Length; c++)
            {
                var p = fields[c][cell];
                if (p > best)
                    (tint, best) = (classes[c], p);
            }
            tints[cell] = tint;
        }
        var rgb = new byte[3 * width * (height + LegendHeight)];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var tint = tints[((y / Cell) * columns) + (x / Cell)];
                var grey = (float)Math.Clamp(image.Pixels[(y * width) + x], 0f, 1f) * 255f;
                if (tint < 0 || float.IsNaN(grey))
                {
                    var g = float.IsNaN(grey) ? (byte)0 : (byte)MathF.Round(grey);
                    Put(rgb, width, x, y, (g, g, g));
                    continue;
                }
                var colour = ClassColour(tint);
                // Hatching and an outline carry the class where a tint alone would vanish into the grey texture.
                if (MapColours.OnHatch(MapColours.Hatch(tint), x, y, HatchSpacing) || OnOutline(tints, columns, rows, x, y, tint))
                    Put(rgb, width, x, y, colour);
                else
                    Put(rgb, width, x, y, (Blend(grey, colour.R), Blend(grey, colour.G), Blend(grey, colour.B)));
            }
        }
        DrawClassLegend(rgb, width, height, map.ClassCount);
        return rgb;
    }

    /// <summary>Writes the heat map of class <paramref name="classIndex"/> as a PNG, atomically.</summary>
    public static void WriteHeatMap(string path, PredictionMap map, int classIndex)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(map);
        AtomicFile.WriteAllBytes(path, SegmentationOps.EncodeRgbPng(HeatMapRgb(map, classIndex), map.Width, map.Height + LegendHeight));
    }

    /// <summary>Writes the overlay (see <see cref="OverlayRgb"/>) as a PNG, atomically.</summary>
    public static void WriteOverlay(string path, GrayImage image, PredictionMap map, double threshold, int? onlyClass = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(map);
        AtomicFile.WriteAllBytes(path, SegmentationOps.EncodeRgbPng(OverlayRgb(image, map, threshold, onlyClass), map.Width, map.Height + LegendHeight));
    }

    /// <summary>Writes one CSV row per tile: <c>tile, x, y, size, predicted_class, p_&lt;class&gt;...</c>, atomically.</summary>
    public static void WriteTileCsv(string path, PredictionMap map, IReadOnlyList<string> classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count != map.ClassCount)
            throw new ArgumentException($"{classNames.Count} class names for a map of {map.ClassCount} classes.", nameof(classNames));
        AtomicFile.Write(path, stream =>
        {
            using var csv = CsvWriter.Create(stream, CsvCells.WriterOptions, leaveOpen: true);
            csv.WriteHeader(["tile", "x", "y", "size", "predicted_class", .. classNames.Select(c => "p_" + c)]);
            for (var t = 0; t < map.Tiles.Count; t++)
            {
                var (tile, p) = (map.Tiles[t], map.Probabilities[t]);
                csv.WriteField(t, default);
                csv.WriteField(tile.X, default);
                csv.WriteField(tile.Y, default);
                csv.WriteField(tile.Size, default);
                csv.WriteField(CsvCells.Protect(classNames[OrderStatistics.ArgMax(p)]));
                foreach (var v in p)
                    csv.WriteField(v, default);
                csv.EndRecord();
            }
        });
    }

    static void DrawScaleLegend(byte[] rgb, int width, int height)
    {
        FillLegend(rgb, width, height);
        const int margin = 4;
        var span = Math.Max(1, width - (2 * margin) - 1);
        for (var x = margin; x < width - margin; x++)
        {
            var colour = HeatColour((double)(x - margin) / span);
            for (var y = height + 3; y < height + 13; y++)
                Put(rgb, width, x, y, colour);
        }
        for (var tick = 0; tick <= 4; tick++)
        {
            var x = Math.Min(width - 1, margin + (int)Math.Round(tick / 4.0 * span));
            for (var y = height + 13; y < height + LegendHeight - 1; y++)
                Put(rgb, width, x, y, (255, 255, 255));
        }
    }

    static void DrawClassLegend(byte[] rgb, int width, int height, int classCount)
    {
        FillLegend(rgb, width, height);
        var swatch = Math.Max(1, width / classCount);
        for (var k = 0; k < classCount; k++)
        {
            var colour = ClassColour(k);
            var left = k * swatch;
            var right = k == classCount - 1 ? width : Math.Min(width, left + swatch);
            var hatch = MapColours.Hatch(k);
            for (var x = left + 1; x < right - 1; x++)
            {
                for (var y = height + 3; y < height + LegendHeight - 3; y++)
                    Put(rgb, width, x, y, MapColours.OnHatch(hatch, x, y, 4) ? colour : (Blend(128, colour.R), Blend(128, colour.G), Blend(128, colour.B)));
            }
        }
    }

    // Within OutlineWidth pixels of an edge between this pixel's cell and a neighbouring cell of another class (or none).
    static bool OnOutline(int[] tints, int columns, int rows, int x, int y, int tint)
    {
        var (cx, cy) = (x / Cell, y / Cell);
        var (ox, oy) = (x % Cell, y % Cell);
        return (ox < OutlineWidth && cx > 0 && tints[(cy * columns) + cx - 1] != tint)
            || (ox >= Cell - OutlineWidth && cx < columns - 1 && tints[(cy * columns) + cx + 1] != tint)
            || (oy < OutlineWidth && cy > 0 && tints[((cy - 1) * columns) + cx] != tint)
            || (oy >= Cell - OutlineWidth && cy < rows - 1 && tints[((cy + 1) * columns) + cx] != tint);
    }

    static void FillLegend(byte[] rgb, int width, int height) =>
        rgb.AsSpan(3 * width * height).Fill(32);

    static void CheckThreshold(double threshold)
    {
        if (!(threshold > 0 && threshold < 1))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The map threshold must lie strictly between 0 and 1.");
    }

    static void Put(byte[] rgb, int width, int x, int y, (byte R, byte G, byte B) colour)
    {
        var i = 3 * ((y * width) + x);
        rgb[i] = colour.R;
        rgb[i + 1] = colour.G;
        rgb[i + 2] = colour.B;
    }

    static byte Mix(byte a, byte b, double f) => (byte)Math.Round(a + ((b - a) * f));

    static byte Blend(float grey, byte tint) => (byte)MathF.Round(grey + (TintAlpha * (tint - grey)));
}
