using System.Globalization;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The report's own print rules, and how training facts are written.</summary>
internal sealed partial class HtmlReportRenderer
{
    // The narrow-screen and print rules every report kind shares are in ReportCss; these concern this report's parts.
    const string LayoutCss = """
        .legend-line .label { text-transform: none; }
        .legend-line .label::first-letter { text-transform: uppercase; }
        @media print {
          figure.thumb, section.cell h4 { break-inside: avoid; }
        }

        """;

    /// <summary>A training fact's name as a reader writes it (γ for gamma).</summary>
    static string FactName(string key) => key == "gamma" ? "γ" : key;

    /// <summary>
    /// A training fact's cell: C and γ as powers of two when they are one (the grid's own terms), other fractional
    /// numbers to three significant digits; the exact value is the tooltip.
    /// </summary>
    static string FactHtml(string key, string value)
    {
        if (key is "C" or "gamma" && double.TryParse(value, NumberStyles.Float, Inv, out var v) && v > 0
            && Math.Log2(v) is var exponent && Math.Abs(exponent - Math.Round(exponent)) < 1e-9)
        {
            var k = (int)Math.Round(exponent);
            return $"<span title=\"{E(value)}\">2<sup>{(k < 0 ? "−" : "")}{Int(Math.Abs(k))}</sup></span>";
        }
        var shown = ReportNumber.Fact(value);
        return shown == value ? E(value) : $"<span title=\"{E(value)}\">{E(shown)}</span>";
    }
}
