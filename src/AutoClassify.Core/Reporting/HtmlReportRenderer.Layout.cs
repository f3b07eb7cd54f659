using System.Globalization;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The report's narrow-screen and print rules.</summary>
internal sealed partial class HtmlReportRenderer
{
    // On a phone the page must not scroll sideways: every table becomes its own horizontally scrolling box.
    const string LayoutCss = """
        .legend-line .label { text-transform: none; }
        .legend-line .label::first-letter { text-transform: uppercase; }
        @media print {
          figure.thumb, section.cell h4 { break-inside: avoid; }
          .scroll, table { overflow: visible; }
          table.compact th, table.compact td { font-size: 11px; padding: 2px 4px; }
        }
        @media (max-width: 760px) {
          main { padding: 16px 12px 32px; }
          table { display: block; max-width: 100%; overflow-x: auto; }
          table.kv { display: table; width: 100%; table-layout: fixed; }
          table.kv th { white-space: normal; padding-right: 12px; width: 38%; }
          table.kv td { overflow-wrap: anywhere; }
          .row { gap: 12px 20px; }
          figure.chart, figure.plot { max-width: 100%; }
          .legend { flex-wrap: wrap; }
          .legend svg { max-width: 100%; height: auto; }
        }

        """;

    /// <summary>A training fact's name as a reader writes it (γ for gamma).</summary>
    static string FactName(string key) => key == "gamma" ? "γ" : key;

    /// <summary>A training fact's cell: C and γ as powers of two when they are one (the grid's own terms), with the exact value as a tooltip.</summary>
    static string FactHtml(string key, string value)
    {
        if (key is "C" or "gamma" && double.TryParse(value, NumberStyles.Float, Inv, out var v) && v > 0
            && Math.Log2(v) is var exponent && Math.Abs(exponent - Math.Round(exponent)) < 1e-9)
        {
            var k = (int)Math.Round(exponent);
            return $"<span title=\"{E(value)}\">2<sup>{(k < 0 ? "−" : "")}{Int(Math.Abs(k))}</sup></span>";
        }
        return E(value);
    }
}
