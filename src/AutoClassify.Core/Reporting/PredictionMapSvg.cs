using System.Globalization;
using System.Text;
using AutoClassify.Tiling;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>
/// Draws a <see cref="PredictionMap"/> as inline SVG in the prepared image's pixel frame: a heat map of one class's
/// probability, or the micrograph with every cell where a class passes a threshold tinted in that class's colour.
/// </summary>
internal static class PredictionMapSvg
{
    // Okabe–Ito without its black (a black tint would not show on a grey micrograph): safe for colour-vision deficiencies.
    static readonly string[] Palette = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"];

    /// <summary>Most map cells drawn per image; coarser cells beyond that keep the report small.</summary>
    const int MaxCells = 1600;

    internal const double TintOpacity = 0.4;

    /// <summary>The colour of class <paramref name="k"/> in maps and legends.</summary>
    internal static string ClassColor(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k < Palette.Length)
            return Palette[k];
        // Golden-angle hues stay apart however many classes follow.
        var hue = (k - Palette.Length) * 137.508 % 360;
        return string.Create(CultureInfo.InvariantCulture, $"hsl({hue:0.#},70%,45%)");
    }

    /// <summary>
    /// The map's cell side: fine enough to show where overlapping or edge-flush tiles blend (half a tile, or the
    /// stride when smaller), coarse enough to stay under <see cref="MaxCells"/> cells.
    /// </summary>
    internal static int CellSize(int tileSize, int stride, int width, int height)
    {
        var cell = Math.Max(4, Math.Min(stride, tileSize / 2));
        while ((long)((width + cell - 1) / cell) * ((height + cell - 1) / cell) > MaxCells)
            cell *= 2;
        return cell;
    }

    /// <summary>Class <paramref name="classIndex"/>'s probability per cell on the report's blue scale.</summary>
    internal static string HeatMap(PredictionMap map, int classIndex, int cell, int displayWidth, string label)
    {
        ArgumentNullException.ThrowIfNull(map);
        var field = map.ClassField(classIndex, cell, out var columns, out var rows);
        var sb = Open(map, displayWidth, label, "map heat");
        Cells(sb, map, cell, columns, rows, i => double.IsNaN(field[i]) ? null : Heat(field[i]).Background, opacity: 1);
        sb.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"{Int(map.Width)}\" height=\"{Int(map.Height)}\" fill=\"none\" stroke=\"#999\" stroke-width=\"{Coord(StrokeWidth(map, displayWidth))}\"/>");
        return sb.Append("</svg>").ToString();
    }

    /// <summary>
    /// The thumbnail with the cells where a class's probability exceeds <paramref name="threshold"/> tinted in that
    /// class's colour (the most probable such class when the threshold lets several through); other cells stay clear.
    /// </summary>
    internal static string Overlay(PredictionMap map, string thumbnailPngBase64, double threshold, int cell, int displayWidth, string label)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(thumbnailPngBase64);
        var fields = Enumerable.Range(0, map.ClassCount).Select(k => map.ClassField(k, cell, out _, out _)).ToArray();
        var columns = (map.Width + cell - 1) / cell;
        var rows = (map.Height + cell - 1) / cell;
        var sb = Open(map, displayWidth, label, "map overlay");
        sb.Append(Inv, $"<image href=\"data:image/png;base64,{E(thumbnailPngBase64)}\" x=\"0\" y=\"0\" width=\"{Int(map.Width)}\" height=\"{Int(map.Height)}\" preserveAspectRatio=\"none\"/>");
        Cells(sb, map, cell, columns, rows, i =>
        {
            var best = -1;
            for (var k = 0; k < fields.Length; k++)
            {
                if (fields[k][i] > threshold && (best < 0 || fields[k][i] > fields[best][i]))
                    best = k;
            }
            return best < 0 ? null : ClassColor(best);
        }, TintOpacity);
        return sb.Append("</svg>").ToString();
    }

    static StringBuilder Open(PredictionMap map, int displayWidth, string label, string cssClass)
    {
        var displayHeight = Math.Max(1, (int)Math.Round((double)map.Height * displayWidth / map.Width));
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg class=\"{cssClass}\" width=\"{Int(displayWidth)}\" height=\"{Int(displayHeight)}\" viewBox=\"0 0 {Int(map.Width)} {Int(map.Height)}\" role=\"img\" aria-label=\"{E(label)}\" xmlns=\"http://www.w3.org/2000/svg\" shape-rendering=\"crispEdges\">");
        sb.Append(Inv, $"<title>{E(label)}</title>");
        return sb;
    }

    /// <summary>One rect per run of equal colour along a row, clipped to the image.</summary>
    static void Cells(StringBuilder sb, PredictionMap map, int cell, int columns, int rows, Func<int, string?> colorOf, double opacity)
    {
        var fillOpacity = opacity < 1 ? string.Create(Inv, $" fill-opacity=\"{Coord(opacity)}\"") : "";
        for (var r = 0; r < rows; r++)
        {
            var y = r * cell;
            var h = Math.Min(cell, map.Height - y);
            var c = 0;
            while (c < columns)
            {
                var color = colorOf(r * columns + c);
                var end = c + 1;
                while (end < columns && colorOf(r * columns + end) == color)
                    end++;
                if (color is not null)
                {
                    var x = c * cell;
                    var w = Math.Min(end * cell, map.Width) - x;
                    sb.Append(Inv, $"<rect x=\"{Int(x)}\" y=\"{Int(y)}\" width=\"{Int(w)}\" height=\"{Int(h)}\" fill=\"{color}\"{fillOpacity}/>");
                }
                c = end;
            }
        }
    }

    static double StrokeWidth(PredictionMap map, int displayWidth) => (double)map.Width / displayWidth;
}
