using System.Text;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>A small inline-SVG histogram with round bin edges and count ticks.</summary>
internal static class SvgHistogram
{
    const double Left = 42, Right = 10, Top = 8, Bottom = 34;

    /// <summary>Renders the histogram of <paramref name="values"/> (NaN ignored) in about <paramref name="bins"/> bins.</summary>
    internal static string Render(IReadOnlyList<double> values, string xLabel, string title, int bins = 20, double width = 520) =>
        Render([(title, values, "#4292c6")], xLabel, title, bins, width);

    /// <summary>
    /// Histograms of several samples on shared bins, their bars side by side within each bin (e.g. true against
    /// predicted particle sizes); each bar's tooltip names its sample.
    /// </summary>
    internal static string Render(IReadOnlyList<(string Name, IReadOnlyList<double> Values, string Color)> series, string xLabel, string title, int bins = 20, double width = 520)
    {
        var samples = series.Select(s => s.Values.Where(double.IsFinite).ToList()).ToList();
        var finite = samples.SelectMany(s => s).ToList();
        var height = Math.Round(width * 0.45 + 15);
        var plotW = width - Left - Right;
        var plotH = height - Top - Bottom;
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg class=\"chart\" viewBox=\"0 0 {Coord(width)} {Coord(height)}\" width=\"{Coord(width)}\" height=\"{Coord(height)}\" role=\"img\" aria-label=\"{E(title)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        sb.Append(Inv, $"<title>{E(title)}</title>");

        var (x0, x1, _) = SvgLineChart.NiceRange(finite.Count > 0 ? Math.Min(0, finite.Min()) : 0, finite.Count > 0 ? finite.Max() : 1);
        var binWidth = NiceWidth((x1 - x0) / Math.Max(1, bins));
        var binCount = Math.Max(1, (int)Math.Ceiling((x1 - x0) / binWidth - 1e-9));
        x1 = x0 + (binCount * binWidth);
        var counts = samples.Select(sample =>
        {
            var c = new int[binCount];
            foreach (var v in sample)
                c[Math.Clamp((int)Math.Floor((v - x0) / binWidth), 0, binCount - 1)]++;
            return c;
        }).ToList();
        var (_, y1, yStep) = SvgLineChart.NiceRange(0, Math.Max(1, counts.Max(c => c.Max())));
        yStep = Math.Max(1, Math.Round(yStep));
        y1 = Math.Max(yStep, Math.Ceiling(y1 / yStep) * yStep);
        double X(double v) => Left + ((v - x0) / (x1 - x0) * plotW);
        double Y(double c) => Top + plotH - (c / y1 * plotH);

        for (var c = 0.0; c <= y1 + (yStep / 2); c += yStep)
        {
            var y = Coord(Y(c));
            sb.Append(Inv, $"<line class=\"grid\" x1=\"{Coord(Left)}\" x2=\"{Coord(width - Right)}\" y1=\"{y}\" y2=\"{y}\"/>");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{Coord(Left - 5)}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Int((long)c)}</text>");
        }
        for (var k = 0; k < series.Count; k++)
        {
            var prefix = series.Count > 1 ? E(series[k].Name) + ", " : "";
            for (var i = 0; i < binCount; i++)
            {
                var n = counts[k][i];
                if (n == 0)
                    continue;
                double a = x0 + (i * binWidth), b = a + binWidth;
                var slot = Math.Max(0.5, X(b) - X(a) - 1) / series.Count;
                sb.Append(Inv, $"<rect class=\"bar\" x=\"{Coord(X(a) + 0.5 + (k * slot))}\" y=\"{Coord(Y(n))}\" width=\"{Coord(slot)}\" height=\"{Coord(Y(0) - Y(n))}\" fill=\"{E(series[k].Color)}\"><title>{prefix}{Num(a, Decimals(binWidth))}–{Num(b, Decimals(binWidth))}: {Int(n)}</title></rect>");
            }
        }
        var tickEvery = Math.Max(1, (int)Math.Ceiling(binCount / 8.0));
        for (var i = 0; i <= binCount; i += tickEvery)
        {
            var v = x0 + (i * binWidth);
            var x = Coord(X(v));
            sb.Append(Inv, $"<line class=\"axis\" x1=\"{x}\" x2=\"{x}\" y1=\"{Coord(Top + plotH)}\" y2=\"{Coord(Top + plotH + 4)}\"/>");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{x}\" y=\"{Coord(Top + plotH + 15)}\" text-anchor=\"middle\">{Num(v, Decimals(binWidth * tickEvery))}</text>");
        }
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Coord(Left)}\" x2=\"{Coord(width - Right)}\" y1=\"{Coord(Top + plotH)}\" y2=\"{Coord(Top + plotH)}\"/>");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Coord(Left)}\" x2=\"{Coord(Left)}\" y1=\"{Coord(Top)}\" y2=\"{Coord(Top + plotH)}\"/>");
        sb.Append(Inv, $"<text class=\"axis-label\" x=\"{Coord(Left + (plotW / 2))}\" y=\"{Coord(height - 4)}\" text-anchor=\"middle\">{E(xLabel)}</text>");
        sb.Append(Inv, $"<text class=\"axis-label\" transform=\"translate(11 {Coord(Top + (plotH / 2))}) rotate(-90)\" text-anchor=\"middle\">count</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    static int Decimals(double step) => Math.Max(0, (int)-Math.Floor(Math.Log10(step) + 1e-9));

    static double NiceWidth(double rough)
    {
        if (!(rough > 0))
            return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var residual = rough / magnitude;
        // Round down, so a histogram gets at least the bins asked for.
        return (residual < 2 ? 1 : residual < 2.5 ? 2 : residual < 5 ? 2.5 : 5) * magnitude;
    }
}
