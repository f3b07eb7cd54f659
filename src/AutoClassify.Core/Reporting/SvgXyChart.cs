using System.Text;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>One curve of an x-y chart; <paramref name="Markers"/> draws a dot at every point (for binned data).</summary>
internal sealed record XySeries(string Name, double[] X, double[] Y, string Color, bool Dashed = false, bool Markers = false, bool Steps = false);

/// <summary>A small inline-SVG chart of curves on fixed axes (ROC, precision-recall, reliability, coverage), with an optional diagonal.</summary>
internal static class SvgXyChart
{
    const double Left = 42, Right = 8, Top = 8, Bottom = 34;

    internal static string Render(IReadOnlyList<XySeries> series, (double Min, double Max) xRange, (double Min, double Max) yRange,
        string xLabel, string yLabel, string title, bool diagonal, double width = 260)
    {
        var sb = new StringBuilder();
        var height = Math.Round(width * 0.8 + 15);
        var plotW = width - Left - Right;
        var plotH = height - Top - Bottom;
        double X(double v) => Left + (Math.Clamp(v, xRange.Min, xRange.Max) - xRange.Min) / (xRange.Max - xRange.Min) * plotW;
        double Y(double v) => Top + plotH - (Math.Clamp(v, yRange.Min, yRange.Max) - yRange.Min) / (yRange.Max - yRange.Min) * plotH;

        sb.Append(Inv, $"<svg class=\"plot\" viewBox=\"0 0 {Coord(width)} {Coord(height)}\" width=\"{Coord(width)}\" height=\"{Coord(height)}\" role=\"img\" aria-label=\"{E(title)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        sb.Append(Inv, $"<title>{E(title)}</title>");
        foreach (var (v, axis) in Ticks(yRange).Select(v => (v, 'y')).Concat(Ticks(xRange).Select(v => (v, 'x'))))
        {
            if (axis == 'y')
            {
                var y = Coord(Y(v));
                sb.Append(Inv, $"<line class=\"grid\" x1=\"{Coord(Left)}\" x2=\"{Coord(width - Right)}\" y1=\"{y}\" y2=\"{y}\"/>");
                sb.Append(Inv, $"<text class=\"tick\" x=\"{Coord(Left - 5)}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Num(v, 1)}</text>");
            }
            else
            {
                var x = Coord(X(v));
                sb.Append(Inv, $"<line class=\"grid\" x1=\"{x}\" x2=\"{x}\" y1=\"{Coord(Top)}\" y2=\"{Coord(Top + plotH)}\"/>");
                sb.Append(Inv, $"<text class=\"tick\" x=\"{x}\" y=\"{Coord(Top + plotH + 15)}\" text-anchor=\"middle\">{Num(v, 1)}</text>");
            }
        }
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Coord(Left)}\" x2=\"{Coord(width - Right)}\" y1=\"{Coord(Top + plotH)}\" y2=\"{Coord(Top + plotH)}\"/>");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Coord(Left)}\" x2=\"{Coord(Left)}\" y1=\"{Coord(Top)}\" y2=\"{Coord(Top + plotH)}\"/>");
        sb.Append(Inv, $"<text class=\"axis-label\" x=\"{Coord(Left + plotW / 2)}\" y=\"{Coord(height - 4)}\" text-anchor=\"middle\">{E(xLabel)}</text>");
        sb.Append(Inv, $"<text class=\"axis-label\" transform=\"translate(11 {Coord(Top + plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>");
        if (diagonal)
            sb.Append(Inv, $"<line class=\"mark\" x1=\"{Coord(X(xRange.Min))}\" y1=\"{Coord(Y(yRange.Min))}\" x2=\"{Coord(X(xRange.Max))}\" y2=\"{Coord(Y(yRange.Max))}\"><title>chance / perfect calibration</title></line>");

        foreach (var s in series)
        {
            var path = new StringBuilder();
            var dots = new StringBuilder();
            double? lastY = null;
            for (var i = 0; i < Math.Min(s.X.Length, s.Y.Length); i++)
            {
                if (!double.IsFinite(s.X[i]) || !double.IsFinite(s.Y[i]))
                    continue;
                // A precision-recall curve is a step function: precision holds until recall moves.
                if (s.Steps && lastY is { } previous)
                    path.Append(" L").Append(Coord(X(s.X[i]))).Append(' ').Append(Coord(Y(previous)));
                path.Append(path.Length == 0 ? "M" : " L").Append(Coord(X(s.X[i]))).Append(' ').Append(Coord(Y(s.Y[i])));
                lastY = s.Y[i];
                if (s.Markers)
                    dots.Append(Inv, $"<circle cx=\"{Coord(X(s.X[i]))}\" cy=\"{Coord(Y(s.Y[i]))}\" r=\"2.5\" fill=\"{s.Color}\"/>");
            }
            if (path.Length == 0)
                continue;
            var dash = s.Dashed ? " stroke-dasharray=\"5 3\"" : "";
            sb.Append(Inv, $"<path class=\"series\" d=\"{path}\" stroke=\"{s.Color}\"{dash}><title>{E(s.Name)}</title></path>{dots}");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    static IEnumerable<double> Ticks((double Min, double Max) range)
    {
        var step = (range.Max - range.Min) / 5;
        for (var i = 0; i <= 5; i++)
            yield return range.Min + i * step;
    }
}
