using System.Text;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The confusion-matrix table and its colour legend, shared by every HTML page that shows one (styled by <see cref="ReportCss"/>).</summary>
internal static class HtmlConfusion
{
    /// <summary>
    /// Appends a table with true classes as rows and predicted classes as columns; <paramref name="cell"/> gives each
    /// cell's text (already formatted) and its row share, which sets the colour; <paramref name="href"/>, when given,
    /// the link a cell's text leads to (null for none).
    /// </summary>
    internal static void AppendTable(StringBuilder sb, string id, string captionHtml, IReadOnlyList<string> classes,
        Func<int, int, (string Text, double Share)> cell, Func<int, int, string?>? href = null)
    {
        var n = classes.Count;
        var headers = Headers(classes);
        sb.Append(Inv, $"<figure class=\"confusion\"><figcaption>{captionHtml}</figcaption>\n<table id=\"{id}\" class=\"cm cm-{HeaderClass(headers)}\"><thead><tr><th class=\"corner\" scope=\"col\" rowspan=\"2\">True ↓</th><th scope=\"colgroup\" colspan=\"{Int(n)}\" class=\"axis\">Predicted →</th></tr><tr>");
        for (var p = 0; p < n; p++)
        {
            var header = headers switch
            {
                HeaderStyle.Keyed => $"<abbr title=\"{E(classes[p])}\">{E(Key(p))}</abbr>",
                HeaderStyle.Rotated => $"<span title=\"{E(classes[p])}\">{E(classes[p])}</span>",
                _ => E(classes[p]),
            };
            sb.Append(Inv, $"<th scope=\"col\" class=\"cls\">{header}</th>");
        }
        sb.Append("</tr></thead><tbody>\n");
        for (var t = 0; t < n; t++)
        {
            var name = headers == HeaderStyle.Keyed ? $"<abbr title=\"{E(classes[t])}\">{E(Key(t))}</abbr>" : E(classes[t]);
            sb.Append(Inv, $"<tr><th scope=\"row\" class=\"cls\">{name}</th>");
            for (var p = 0; p < n; p++)
            {
                var (text, share) = cell(t, p);
                var (bg, fg) = Heat(share);
                var diagonal = t == p ? " diag" : "";
                var content = href?.Invoke(t, p) is { } link ? $"<a href=\"{E(link)}\">{E(text)}</a>" : E(text);
                sb.Append(Inv, $"<td class=\"v{diagonal}\" style=\"background:{bg};color:{fg}\">{content}</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody></table>");
        if (headers == HeaderStyle.Keyed)
        {
            // Long names would stretch the rows or the page; the letters keep every cell square and the key below names them.
            sb.Append("<ol class=\"cm-key\">");
            for (var k = 0; k < n; k++)
                sb.Append(Inv, $"<li><span class=\"cm-letter\">{E(Key(k))}</span> {E(classes[k])}</li>");
            sb.Append("</ol>");
        }
        sb.Append("</figure>\n");
    }

    /// <summary>Names up to this long fit a square cell written across.</summary>
    internal const int AcrossMaxLength = 5;

    /// <summary>Names up to this long are written up the column; longer ones make every row and column a letter, named in a key under the matrix.</summary>
    internal const int RotatedMaxLength = 24;

    internal enum HeaderStyle { Across, Rotated, Keyed }

    /// <summary>How the predicted-class headers are written so that every cell stays square whatever the names' length.</summary>
    internal static HeaderStyle Headers(IReadOnlyList<string> classes)
    {
        var longest = classes.Count == 0 ? 0 : classes.Max(c => c.Length);
        return longest <= AcrossMaxLength ? HeaderStyle.Across : longest <= RotatedMaxLength ? HeaderStyle.Rotated : HeaderStyle.Keyed;
    }

    /// <summary>The letter of class <paramref name="k"/> in a keyed matrix: A–Z, then A1–Z1 and so on.</summary>
    internal static string Key(int k) => k < 26 ? ((char)('A' + k)).ToString() : ((char)('A' + (k % 26))).ToString() + Int(k / 26);

    static string HeaderClass(HeaderStyle style) => style switch
    {
        HeaderStyle.Rotated => "rotated",
        HeaderStyle.Keyed => "keyed",
        _ => "across",
    };

    /// <summary>Appends a table of raw counts (<c>counts[true][predicted]</c>), coloured by row share.</summary>
    internal static void AppendCounts(StringBuilder sb, string id, string captionHtml, IReadOnlyList<string> classes, long[][] counts) =>
        AppendTable(sb, id, captionHtml, classes, (t, p) =>
        {
            var row = t < counts.Length ? counts[t] : [];
            var value = p < row.Length ? row[p] : 0;
            var sum = row.Sum();
            return (Int(value), sum == 0 ? 0 : (double)value / sum);
        });

    /// <summary>Appends the colour scale of the confusion tables.</summary>
    internal const string DefaultLegendLabel = "Cell colour: share of the true class's images (row share)";

    internal static void AppendLegend(StringBuilder sb, string label = DefaultLegendLabel)
    {
        const int steps = 10;
        const double w = 24, h = 12;
        sb.Append(Inv, $"<div class=\"legend\"><span class=\"label\">{E(label)}</span>");
        sb.Append(Inv, $"<svg width=\"{Coord(steps * w + 20)}\" height=\"30\" viewBox=\"0 0 {Coord(steps * w + 20)} 30\" role=\"img\" aria-label=\"colour scale from 0 to 1\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (var i = 0; i < steps; i++)
        {
            var (bg, _) = Heat((i + 0.5) / steps);
            sb.Append(Inv, $"<rect x=\"{Coord(10 + i * w)}\" y=\"0\" width=\"{Coord(w)}\" height=\"{Coord(h)}\" fill=\"{bg}\"/>");
        }
        sb.Append(Inv, $"<rect x=\"10\" y=\"0\" width=\"{Coord(steps * w)}\" height=\"{Coord(h)}\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.5\"/>");
        foreach (var v in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
            sb.Append(Inv, $"<text x=\"{Coord(10 + v * steps * w)}\" y=\"26\" text-anchor=\"middle\" class=\"tick\">{Num(v, 2)}</text>");
        sb.Append("</svg></div>\n");
    }
}
