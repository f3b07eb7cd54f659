using System.Text;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>One line of a chart: values at x = 1, 2, ... (epochs); NaN breaks the line.</summary>
internal sealed record ChartSeries(string Name, double[] Values, string Color, bool Dashed);

/// <summary>A small inline-SVG line chart with axes, nice ticks and an optional marked x (e.g. the best epoch).</summary>
internal static class SvgLineChart
{
    const double Left = 42, Right = 8, Top = 8, Bottom = 34;

    /// <summary>
    /// Renders the chart; <paramref name="yRange"/> is shared across a row of charts so they compare.
    /// The page scales the SVG to its column, so a narrower <paramref name="width"/> (in a row of many charts) keeps text legible.
    /// </summary>
    internal static string Render(IReadOnlyList<ChartSeries> series, (double Min, double Max) yRange, int xMax, string yLabel, string title, int? markX, double width = 250)
    {
        var sb = new StringBuilder();
        var height = Math.Round(width * 0.62 + 15);
        var (y0, y1, yStep) = NiceRange(yRange.Min, yRange.Max);
        var xStep = Math.Max(1, (int)Math.Round(NiceStep(Math.Max(1, xMax - 1) / 5.0)));
        var plotW = width - Left - Right;
        var plotH = height - Top - Bottom;
        double X(double epoch) => Left + (xMax <= 1 ? plotW / 2 : (epoch - 1) / (xMax - 1) * plotW);
        double Y(double v) => Top + plotH - (v - y0) / (y1 - y0) * plotH;

        sb.Append(Inv, $"<svg class=\"chart\" viewBox=\"0 0 {Coord(width)} {Coord(height)}\" width=\"{Coord(width)}\" height=\"{Coord(height)}\" role=\"img\" aria-label=\"{E(title)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        sb.Append(Inv, $"<title>{E(title)}</title>");

        var decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(yStep) + 1e-9));
        for (var v = y0; v <= y1 + yStep / 2; v += yStep)
        {
            var y = Coord(Y(v));
            sb.Append(Inv, $"<line class=\"grid\" x1=\"{Coord(Left)}\" x2=\"{Coord(width - Right)}\" y1=\"{y}\" y2=\"{y}\"/>");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{Coord(Left - 5)}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Num(v, decimals)}</text>");
        }
        foreach (var e in EpochTicks(xMax, xStep))
        {
            var x = Coord(X(e));
            sb.Append(Inv, $"<line class=\"axis\" x1=\"{x}\" x2=\"{x}\" y1=\"{Coord(Top + plotH)}\" y2=\"{Coord(Top + plotH + 4)}\"/>");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{x}\" y=\"{Coord(Top + plotH + 15)}\" text-anchor=\"middle\">{Int(e)}</text>");
        }
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Coord(Left)}\" x2=\"{Coord(width - Right)}\" y1=\"{Coord(Top + plotH)}\" y2=\"{Coord(Top + plotH)}\"/>");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Coord(Left)}\" x2=\"{Coord(Left)}\" y1=\"{Coord(Top)}\" y2=\"{Coord(Top + plotH)}\"/>");
        sb.Append(Inv, $"<text class=\"axis-label\" x=\"{Coord(Left + plotW / 2)}\" y=\"{Coord(height - 4)}\" text-anchor=\"middle\">epoch</text>");
        sb.Append(Inv, $"<text class=\"axis-label\" transform=\"translate(11 {Coord(Top + plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>");

        if (markX is { } mark && mark >= 1 && mark <= xMax)
        {
            var x = Coord(X(mark));
            sb.Append(Inv, $"<line class=\"mark\" x1=\"{x}\" x2=\"{x}\" y1=\"{Coord(Top)}\" y2=\"{Coord(Top + plotH)}\"><title>best epoch {Int(mark)}</title></line>");
        }

        foreach (var s in series)
        {
            var path = new StringBuilder();
            var pen = false;
            for (var i = 0; i < s.Values.Length; i++)
            {
                var v = s.Values[i];
                if (!double.IsFinite(v))
                {
                    pen = false;
                    continue;
                }
                path.Append(pen ? " L" : (path.Length > 0 ? " M" : "M"));
                path.Append(Coord(X(i + 1))).Append(' ').Append(Coord(Y(Math.Clamp(v, y0, y1))));
                pen = true;
            }
            if (path.Length == 0)
                continue;
            var dash = s.Dashed ? " stroke-dasharray=\"5 3\"" : "";
            sb.Append(Inv, $"<path class=\"series\" d=\"{path}\" stroke=\"{s.Color}\"{dash}><title>{E(s.Name)}</title></path>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>Round multiples of the step, led by epoch 1 unless that would crowd the first tick (1, 5, 10 but 2, 4, 6).</summary>
    static List<int> EpochTicks(int xMax, int step)
    {
        var ticks = Enumerable.Range(1, xMax / step).Select(j => j * step).ToList();
        if (step != 2 && (ticks.Count == 0 || ticks[0] != 1))
            ticks.Insert(0, 1);
        return ticks;
    }

    /// <summary>Axis bounds on round numbers that contain [min, max], and the tick step.</summary>
    internal static (double Min, double Max, double Step) NiceRange(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
            return (0, 1, 0.25);
        if (max - min < 1e-12)
        {
            var pad = Math.Abs(min) > 1e-12 ? Math.Abs(min) * 0.1 : 0.5;
            (min, max) = (min - pad, max + pad);
        }
        var step = NiceStep((max - min) / 4);
        return (Math.Floor(min / step + 1e-9) * step, Math.Ceiling(max / step - 1e-9) * step, step);
    }

    static double NiceStep(double rough)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var residual = rough / magnitude;
        return (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude;
    }
}
