using System.Globalization;
using System.Text;
using AutoClassify.Tiling;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>
/// Draws a <see cref="PredictionMap"/> as inline SVG in the prepared image's pixel frame: a heat map of one class's
/// probability, or the micrograph with every cell where a class passes a threshold tinted and hatched in that class's
/// colour and pattern (<see cref="MapColours"/>), shared with <c>predict --maps</c>.
/// </summary>
internal static class PredictionMapSvg
{
    /// <summary>Most map cells drawn per image; coarser cells beyond that keep the report small.</summary>
    const int MaxCells = 1600;

    internal const double TintOpacity = 0.4;

    /// <summary>The colour of class <paramref name="k"/> in maps and legends (<see cref="MapColours.Class"/>, as in <c>predict --maps</c>).</summary>
    internal static string ClassColor(int k) => MapColours.ClassHex(k);

    /// <summary>Display pixels between hatch lines, and the width of a region's outline.</summary>
    const double HatchSpacing = 6, OutlineWidth = 1.6;

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

    /// <summary>Class <paramref name="classIndex"/>'s probability per cell on the shared heat scale (<see cref="MapColours.Heat"/>).</summary>
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
    /// class's colour and hatched in its pattern (the most probable such class when the threshold lets several through),
    /// each region outlined in the class colour; other cells stay clear. <paramref name="idPrefix"/> keeps the hatch
    /// patterns' ids unique in the page.
    /// </summary>
    internal static string Overlay(PredictionMap map, string thumbnailPngBase64, double threshold, int cell, int displayWidth, string label, string idPrefix)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(thumbnailPngBase64);
        var fields = Enumerable.Range(0, map.ClassCount).Select(k => map.ClassField(k, cell, out _, out _)).ToArray();
        var columns = (map.Width + cell - 1) / cell;
        var rows = (map.Height + cell - 1) / cell;
        var classOf = new int[columns * rows];
        for (var i = 0; i < classOf.Length; i++)
        {
            var best = -1;
            for (var k = 0; k < fields.Length; k++)
            {
                if (fields[k][i] > threshold && (best < 0 || fields[k][i] > fields[best][i]))
                    best = k;
            }
            classOf[i] = best;
        }
        var scale = StrokeWidth(map, displayWidth);
        var sb = Open(map, displayWidth, label, "map overlay");
        var used = classOf.Where(k => k >= 0).Distinct().Order().ToList();
        sb.Append("<defs>");
        foreach (var k in used)
            sb.Append(HatchPattern($"{idPrefix}-h{Int(k)}", k, scale));
        sb.Append("</defs>");
        sb.Append(Inv, $"<image href=\"data:image/png;base64,{E(thumbnailPngBase64)}\" x=\"0\" y=\"0\" width=\"{Int(map.Width)}\" height=\"{Int(map.Height)}\" preserveAspectRatio=\"none\"/>");
        Cells(sb, map, cell, columns, rows, i => classOf[i] < 0 ? null : ClassColor(classOf[i]), TintOpacity);
        Cells(sb, map, cell, columns, rows, i => classOf[i] < 0 ? null : $"url(#{idPrefix}-h{Int(classOf[i])})", opacity: 1);
        foreach (var k in used)
            Outline(sb, map, cell, columns, rows, classOf, k, scale);
        return sb.Append("</svg>").ToString();
    }

    /// <summary>A small swatch of class <paramref name="k"/> as the overlay draws it: tint, hatching and outline.</summary>
    internal static string Swatch(int k, string id)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg class=\"swatch-map\" width=\"18\" height=\"18\" viewBox=\"0 0 18 18\" aria-hidden=\"true\" xmlns=\"http://www.w3.org/2000/svg\"><defs>{HatchPattern(id, k, 1)}</defs>");
        sb.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"18\" height=\"18\" fill=\"#8c8c8c\"/><rect x=\"0\" y=\"0\" width=\"18\" height=\"18\" fill=\"{ClassColor(k)}\" fill-opacity=\"{Coord(TintOpacity)}\"/>");
        sb.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"18\" height=\"18\" fill=\"url(#{id})\"/><rect x=\"0.8\" y=\"0.8\" width=\"16.4\" height=\"16.4\" fill=\"none\" stroke=\"{ClassColor(k)}\" stroke-width=\"{Coord(OutlineWidth)}\"/></svg>");
        return sb.ToString();
    }

    // Lines (or dots) in the class colour every HatchSpacing display pixels, in map pixels via scale.
    static string HatchPattern(string id, int k, double scale)
    {
        var s = HatchSpacing * scale;
        var w = 1.2 * scale;
        var colour = ClassColor(k);
        var (rotate, body) = MapColours.Hatch(k) switch
        {
            MapHatch.Rising => (45, Vertical()),
            MapHatch.Falling => (-45, Vertical()),
            MapHatch.Horizontal => (0, Horizontal()),
            MapHatch.Vertical => (0, Vertical()),
            MapHatch.Grid => (0, Vertical() + Horizontal()),
            MapHatch.Diamond => (45, Vertical() + Horizontal()),
            _ => (0, string.Create(Inv, $"<circle cx=\"{Coord(s / 2)}\" cy=\"{Coord(s / 2)}\" r=\"{Coord(w)}\" fill=\"{colour}\"/>")),
        };
        var transform = rotate == 0 ? "" : string.Create(Inv, $" patternTransform=\"rotate({Int(rotate)})\"");
        return string.Create(Inv, $"<pattern id=\"{E(id)}\" patternUnits=\"userSpaceOnUse\" width=\"{Coord(s)}\" height=\"{Coord(s)}\"{transform}>{body}</pattern>");

        string Vertical() => string.Create(Inv, $"<line x1=\"{Coord(s / 2)}\" y1=\"0\" x2=\"{Coord(s / 2)}\" y2=\"{Coord(s)}\" stroke=\"{colour}\" stroke-width=\"{Coord(w)}\"/>");
        string Horizontal() => string.Create(Inv, $"<line x1=\"0\" y1=\"{Coord(s / 2)}\" x2=\"{Coord(s)}\" y2=\"{Coord(s / 2)}\" stroke=\"{colour}\" stroke-width=\"{Coord(w)}\"/>");
    }

    // The edges between class k's cells and cells of another class (or none), as one path in the class colour.
    static void Outline(StringBuilder sb, PredictionMap map, int cell, int columns, int rows, int[] classOf, int k, double scale)
    {
        var path = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                if (classOf[(r * columns) + c] != k)
                    continue;
                int x0 = c * cell, y0 = r * cell, x1 = Math.Min(map.Width, x0 + cell), y1 = Math.Min(map.Height, y0 + cell);
                if (c > 0 && classOf[(r * columns) + c - 1] != k)
                    path.Append(Inv, $"M{Int(x0)} {Int(y0)}V{Int(y1)}");
                if (c < columns - 1 && classOf[(r * columns) + c + 1] != k)
                    path.Append(Inv, $"M{Int(x1)} {Int(y0)}V{Int(y1)}");
                if (r > 0 && classOf[((r - 1) * columns) + c] != k)
                    path.Append(Inv, $"M{Int(x0)} {Int(y0)}H{Int(x1)}");
                if (r < rows - 1 && classOf[((r + 1) * columns) + c] != k)
                    path.Append(Inv, $"M{Int(x0)} {Int(y1)}H{Int(x1)}");
            }
        }
        if (path.Length > 0)
            sb.Append(Inv, $"<path d=\"{path}\" fill=\"none\" stroke=\"{ClassColor(k)}\" stroke-width=\"{Coord(OutlineWidth * scale)}\"/>");
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
