using System.Text;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>One line of a mean training curve: the per-fold values at epochs 1, 2, ... (a fold that stopped early is shorter).</summary>
internal sealed record FoldCurves(string Label, IReadOnlyList<double[]> Folds, string Color, bool Dashed);

/// <summary>
/// Standalone SVG figures for a paper: each file carries its own style, axis labels with units and a legend in words,
/// so it opens in a browser, Inkscape or a LaTeX pipeline without the report around it.
/// </summary>
internal static class SvgFigures
{
    internal const string Style = "<style>text{font-family:\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;fill:#1a1a1a}.tick{font-size:10px;fill:#5f6368}.axis-label{font-size:11px}.title{font-size:12px;font-weight:600}.legend{font-size:10.5px}.grid{stroke:#eceef1;stroke-width:1}.axis{stroke:#777;stroke-width:1}.mark{stroke:#999;stroke-width:1;stroke-dasharray:2 3}.series{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}.cell{font-size:11px}</style>";

    const double LegendRow = 15;

    /// <summary>A chart from <see cref="SvgXyChart"/> with a title above and a legend below, as one standalone SVG.</summary>
    internal static string Wrap(string chartSvg, string title, IReadOnlyList<(string Label, string Color, bool Dashed)> legend, double width)
    {
        var chartHeight = double.Parse(Attribute(chartSvg, "height"), Inv);
        var chartWidth = double.Parse(Attribute(chartSvg, "width"), Inv);
        var height = 22 + chartHeight + 8 + legend.Count * LegendRow;
        var sb = new StringBuilder();
        Open(sb, width, height, title);
        sb.Append(Inv, $"<text class=\"title\" x=\"{Coord(width / 2)}\" y=\"15\" text-anchor=\"middle\">{E(title)}</text>");
        sb.Append(Inv, $"<g transform=\"translate({Coord((width - chartWidth) / 2)} 22)\">{chartSvg}</g>");
        Legend(sb, legend, 22 + chartHeight + 8);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>Mean over folds of each series per epoch, with a band of ± one standard deviation, as one standalone SVG.</summary>
    internal static string MeanCurves(IReadOnlyList<FoldCurves> series, string yLabel, string title, int? bestEpochMedian, double width = 480)
    {
        const double left = 52, right = 12, top = 26, bottom = 40;
        var stats = series.Select(s => Stats(s.Folds)).ToList();
        var xMax = Math.Max(1, stats.Max(s => s.Count));
        var finite = stats.SelectMany(s => s.SelectMany(p => new[] { p.Mean - p.Sd, p.Mean + p.Sd })).Where(double.IsFinite).ToList();
        var (y0, y1, yStep) = SvgLineChart.NiceRange(finite.Count == 0 ? 0 : finite.Min(), finite.Count == 0 ? 1 : finite.Max());
        var plotH = width * 0.5;
        var plotW = width - left - right;
        var height = top + plotH + bottom + series.Count * LegendRow + 8;
        double X(double epoch) => left + (xMax <= 1 ? plotW / 2 : (epoch - 1) / (xMax - 1) * plotW);
        double Y(double v) => top + plotH - (Math.Clamp(v, y0, y1) - y0) / (y1 - y0) * plotH;

        var sb = new StringBuilder();
        Open(sb, width, height, title);
        sb.Append(Inv, $"<text class=\"title\" x=\"{Coord(width / 2)}\" y=\"15\" text-anchor=\"middle\">{E(title)}</text>");
        var decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(yStep) + 1e-9));
        for (var v = y0; v <= y1 + yStep / 2; v += yStep)
        {
            var y = Coord(Y(v));
            sb.Append(Inv, $"<line class=\"grid\" x1=\"{Coord(left)}\" x2=\"{Coord(width - right)}\" y1=\"{y}\" y2=\"{y}\"/><text class=\"tick\" x=\"{Coord(left - 5)}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Num(v, decimals)}</text>");
        }
        var xStep = Math.Max(1, (int)Math.Ceiling(xMax / 8.0));
        for (var e = 1; e <= xMax; e += xStep)
            sb.Append(Inv, $"<text class=\"tick\" x=\"{Coord(X(e))}\" y=\"{Coord(top + plotH + 14)}\" text-anchor=\"middle\">{Int(e)}</text>");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Coord(left)}\" x2=\"{Coord(width - right)}\" y1=\"{Coord(top + plotH)}\" y2=\"{Coord(top + plotH)}\"/><line class=\"axis\" x1=\"{Coord(left)}\" x2=\"{Coord(left)}\" y1=\"{Coord(top)}\" y2=\"{Coord(top + plotH)}\"/>");
        sb.Append(Inv, $"<text class=\"axis-label\" x=\"{Coord(left + plotW / 2)}\" y=\"{Coord(top + plotH + 30)}\" text-anchor=\"middle\">epoch</text>");
        sb.Append(Inv, $"<text class=\"axis-label\" transform=\"translate(13 {Coord(top + plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>");
        if (bestEpochMedian is { } best && best >= 1 && best <= xMax)
            sb.Append(Inv, $"<line class=\"mark\" x1=\"{Coord(X(best))}\" x2=\"{Coord(X(best))}\" y1=\"{Coord(top)}\" y2=\"{Coord(top + plotH)}\"><title>median best epoch {Int(best)}</title></line>");
        for (var s = 0; s < series.Count; s++)
        {
            var points = stats[s].Select((p, i) => (Epoch: i + 1, p.Mean, p.Sd)).Where(p => double.IsFinite(p.Mean)).ToList();
            if (points.Count == 0)
                continue;
            var band = new StringBuilder();
            foreach (var p in points)
                band.Append(band.Length == 0 ? "M" : " L").Append(Coord(X(p.Epoch))).Append(' ').Append(Coord(Y(p.Mean + p.Sd)));
            foreach (var p in Enumerable.Reverse(points))
                band.Append(" L").Append(Coord(X(p.Epoch))).Append(' ').Append(Coord(Y(p.Mean - p.Sd)));
            sb.Append(Inv, $"<path d=\"{band} Z\" fill=\"{series[s].Color}\" fill-opacity=\"0.15\" stroke=\"none\"/>");
            var line = string.Join(" L", points.Select(p => $"{Coord(X(p.Epoch))} {Coord(Y(p.Mean))}"));
            sb.Append(Inv, $"<path class=\"series\" d=\"M{line}\" stroke=\"{series[s].Color}\"{(series[s].Dashed ? " stroke-dasharray=\"5 3\"" : "")}><title>{E(series[s].Label)}</title></path>");
        }
        var folds = series.Count == 0 ? 0 : series.Max(s => s.Folds.Count);
        Legend(sb, series.Select(s => ($"{s.Label}: mean of {Int(s.Folds.Count(f => f.Length > 0))} folds, band ± 1 SD", s.Color, s.Dashed)).ToList(), top + plotH + bottom + 4);
        sb.Append(Inv, $"<desc>Mean over {Int(folds)} cross-validation folds at each epoch; a fold that stopped early counts only up to its last epoch.</desc>");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>A confusion matrix as a standalone SVG: true classes down, predicted across, cells shaded by row share.</summary>
    internal static string Confusion(IReadOnlyList<string> classes, Func<int, int, (string Text, double Share)> cell, string title)
    {
        var n = classes.Count;
        const double cellSize = 46, labelWidth = 120, top = 60;
        var width = labelWidth + n * cellSize + 40;
        var height = top + 20 + n * cellSize + 54;
        var sb = new StringBuilder();
        Open(sb, width, height, title);
        sb.Append(Inv, $"<text class=\"title\" x=\"{Coord(width / 2)}\" y=\"15\" text-anchor=\"middle\">{E(title)}</text>");
        var gridTop = top + 20;
        sb.Append(Inv, $"<text class=\"axis-label\" x=\"{Coord(labelWidth + n * cellSize / 2)}\" y=\"{Coord(top - 24)}\" text-anchor=\"middle\">predicted class</text>");
        sb.Append(Inv, $"<text class=\"axis-label\" transform=\"translate(12 {Coord(gridTop + n * cellSize / 2)}) rotate(-90)\" text-anchor=\"middle\">true class</text>");
        for (var k = 0; k < n; k++)
        {
            sb.Append(Inv, $"<text class=\"tick\" transform=\"translate({Coord(labelWidth + (k + 0.5) * cellSize)} {Coord(gridTop - 6)}) rotate(-30)\" text-anchor=\"start\">{E(Short(classes[k]))}<title>{E(classes[k])}</title></text>");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{Coord(labelWidth - 6)}\" y=\"{Coord(gridTop + (k + 0.5) * cellSize)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{E(Short(classes[k]))}<title>{E(classes[k])}</title></text>");
        }
        for (var t = 0; t < n; t++)
        {
            for (var p = 0; p < n; p++)
            {
                var (text, share) = cell(t, p);
                var (bg, fg) = Heat(share);
                var x = labelWidth + p * cellSize;
                var y = gridTop + t * cellSize;
                sb.Append(Inv, $"<rect x=\"{Coord(x)}\" y=\"{Coord(y)}\" width=\"{Coord(cellSize)}\" height=\"{Coord(cellSize)}\" fill=\"{bg}\" stroke=\"#ffffff\"/>");
                if (t == p)
                    sb.Append(Inv, $"<rect x=\"{Coord(x + 1.5)}\" y=\"{Coord(y + 1.5)}\" width=\"{Coord(cellSize - 3)}\" height=\"{Coord(cellSize - 3)}\" fill=\"none\" stroke=\"#1a1a1a\" stroke-width=\"1.2\"/>");
                sb.Append(Inv, $"<text class=\"cell\" x=\"{Coord(x + cellSize / 2)}\" y=\"{Coord(y + cellSize / 2)}\" text-anchor=\"middle\" dominant-baseline=\"middle\" style=\"fill:{fg}\">{E(text)}</text>");
            }
        }
        var scaleY = gridTop + n * cellSize + 16;
        const int steps = 10;
        var stepW = Math.Min(18, (width - 60) / steps);
        for (var i = 0; i < steps; i++)
            sb.Append(Inv, $"<rect x=\"{Coord(30 + i * stepW)}\" y=\"{Coord(scaleY)}\" width=\"{Coord(stepW)}\" height=\"9\" fill=\"{Heat((i + 0.5) / steps).Background}\"/>");
        sb.Append(Inv, $"<text class=\"tick\" x=\"30\" y=\"{Coord(scaleY + 21)}\" text-anchor=\"middle\">0</text><text class=\"tick\" x=\"{Coord(30 + steps * stepW)}\" y=\"{Coord(scaleY + 21)}\" text-anchor=\"middle\">1</text>");
        sb.Append(Inv, $"<text class=\"legend\" x=\"{Coord(30 + steps * stepW + 12)}\" y=\"{Coord(scaleY + 8)}\">shade: share of the true class (row)</text>");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static void Open(StringBuilder sb, double width, double height, string title)
    {
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Coord(width)} {Coord(height)}\" width=\"{Coord(width)}\" height=\"{Coord(height)}\" role=\"img\" aria-label=\"{E(title)}\">");
        sb.Append(Inv, $"<title>{E(title)}</title>").Append(Style).Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    }

    static void Legend(StringBuilder sb, IReadOnlyList<(string Label, string Color, bool Dashed)> entries, double y)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            var row = y + i * LegendRow + 8;
            var (label, color, dashed) = entries[i];
            sb.Append(Inv, $"<line x1=\"20\" x2=\"44\" y1=\"{Coord(row)}\" y2=\"{Coord(row)}\" stroke=\"{color}\" stroke-width=\"2.2\"{(dashed ? " stroke-dasharray=\"5 3\"" : "")}/>");
            sb.Append(Inv, $"<text class=\"legend\" x=\"50\" y=\"{Coord(row)}\" dominant-baseline=\"middle\">{E(label)}</text>");
        }
    }

    static List<(double Mean, double Sd)> Stats(IReadOnlyList<double[]> folds)
    {
        var length = folds.Count == 0 ? 0 : folds.Max(f => f.Length);
        var stats = new List<(double, double)>(length);
        for (var e = 0; e < length; e++)
        {
            var values = folds.Where(f => e < f.Length && double.IsFinite(f[e])).Select(f => f[e]).ToList();
            if (values.Count == 0)
            {
                stats.Add((double.NaN, double.NaN));
                continue;
            }
            var mean = values.Average();
            var sd = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
            stats.Add((mean, sd));
        }
        return stats;
    }

    static string Short(string name) => name.Length <= 18 ? name : name[..17] + "…";

    static string Attribute(string svg, string name)
    {
        var start = svg.IndexOf($" {name}=\"", StringComparison.Ordinal) + name.Length + 3;
        return svg[start..svg.IndexOf('"', start)];
    }
}
