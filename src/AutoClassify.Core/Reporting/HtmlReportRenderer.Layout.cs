namespace AutoClassify.Reporting;

/// <summary>The report's narrow-screen and print rules.</summary>
internal sealed partial class HtmlReportRenderer
{
    // On a phone the page must not scroll sideways: every table becomes its own horizontally scrolling box.
    const string LayoutCss = """
        .legend-line .label { text-transform: none; }
        .legend-line .label::first-letter { text-transform: uppercase; }
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
}
