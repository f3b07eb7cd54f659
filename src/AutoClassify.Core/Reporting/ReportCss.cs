namespace AutoClassify.Reporting;

/// <summary>The report's inline style sheet: system fonts only, booktabs-style tables, print-friendly.</summary>
internal static class ReportCss
{
    internal const string Text = """
:root {
  --ink: #1a1a1a; --muted: #5f6368; --rule: #1a1a1a; --hair: #d9dce0; --accent: #08519c; --paper: #ffffff;
  --sans: "Source Sans 3", "Source Sans Pro", "Segoe UI", "Helvetica Neue", "Liberation Sans", "DejaVu Sans", Arial, sans-serif;
  --serif: "Source Serif 4", "Source Serif Pro", Charter, "Bitstream Charter", Georgia, "Liberation Serif", "DejaVu Serif", serif;
  --mono: "Source Code Pro", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { background: var(--paper); color: var(--ink); }
body { margin: 0; font: 15px/1.5 var(--sans); }
main { max-width: 1120px; margin: 0 auto; padding: 32px 40px 48px; }
header { border-bottom: 2px solid var(--rule); padding-bottom: 10px; margin-bottom: 14px; }
h1 { font: 600 27px/1.25 var(--serif); margin: 0 0 6px; letter-spacing: -0.01em; overflow-wrap: anywhere; }
h2 { font: 600 21px/1.3 var(--serif); margin: 38px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--hair); overflow-wrap: anywhere; }
h3 { font-size: 14px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); margin: 24px 0 8px; }
.subtitle { margin: 0; color: var(--muted); }
p.lead, p.rule { margin: 6px 0 12px; max-width: 75ch; }
.label { font-weight: 600; }
.quiet { color: var(--muted); font-style: italic; margin: 4px 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font: 0.86em var(--mono); overflow-wrap: anywhere; }
sup { font-size: 0.68em; line-height: 0; margin-left: 1px; }
abbr { text-decoration: none; }
nav.toc ol { margin: 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 14px; }
nav.toc li::before { content: "§ "; color: var(--muted); }
table { border-collapse: collapse; margin: 4px 0 8px; font-variant-numeric: tabular-nums lining-nums; border-top: 1.5px solid var(--rule); border-bottom: 1.5px solid var(--rule); }
caption, figcaption { font-size: 13px; color: var(--muted); text-align: left; margin-bottom: 4px; }
th, td { padding: 4px 10px; vertical-align: baseline; }
thead th { border-bottom: 1px solid var(--rule); font-weight: 600; font-size: 13.5px; text-align: right; white-space: nowrap; }
thead th.group { text-align: center; border-bottom: 1px solid var(--hair); }
thead th[rowspan] { vertical-align: bottom; }
tbody th { font-weight: 500; text-align: left; }
tfoot th, tfoot td { border-top: 1px solid var(--hair); font-weight: 600; }
table.num td { text-align: right; white-space: nowrap; }
.text, table.num .text { text-align: left; }
table.facts td { white-space: normal; max-width: 14em; vertical-align: top; }
table.facts tbody th code { white-space: nowrap; }
.cls { max-width: 16em; overflow-wrap: anywhere; }
tbody tr:nth-child(even) td, tbody tr:nth-child(even) th { background: #f6f7f9; }
table.compact th, table.compact td { padding: 3px 7px; font-size: 13.5px; }
.group-start { border-left: 1px solid var(--hair); }
.sd { color: var(--muted); font-size: 0.88em; }
.fold { color: var(--muted); }
strong .sd { font-weight: 400; }
.dagger a { color: #b3261e; }
table.kv { border: none; }
table.kv th { color: var(--muted); font-weight: 500; padding: 2px 24px 2px 0; white-space: nowrap; vertical-align: top; }
table.kv td { padding: 2px 0; overflow-wrap: anywhere; }
table.kv tr:nth-child(even) th, table.kv tr:nth-child(even) td { background: none; }
.row { display: flex; flex-wrap: wrap; gap: 12px 40px; align-items: flex-start; }
figure { margin: 0; }
figure.table, figure.confusion { margin: 6px 0; }
#comparison figure.confusion figcaption { color: var(--ink); font-weight: 600; font-size: 14px; }
.scroll { overflow-x: auto; }
table.cm { border: none; font-size: 13.5px; }
table.cm th { font-weight: 500; font-size: 12.5px; padding: 3px 8px; }
table.cm thead th { text-align: center; border-bottom: none; white-space: normal; vertical-align: bottom; }
table.cm th.cls { overflow-wrap: break-word; }
table.cm thead th.axis, table.cm th.corner { color: var(--muted); font-weight: 400; font-style: italic; }
table.cm tbody th { text-align: right; vertical-align: middle; }
table.cm td.v { width: 3.2em; min-width: 3.2em; max-width: 3.2em; height: 3.2em; padding: 0 2px; text-align: center; vertical-align: middle; border: 1px solid #fff; overflow: hidden; }
table.cm thead th.cls { width: 3.2em; max-width: 3.2em; padding: 3px 2px; }
table.cm tbody th.cls { max-width: 12em; white-space: normal; overflow-wrap: break-word; font-size: 11.5px; line-height: 1.2; }
table.cm-rotated thead th.cls span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; display: inline-block; text-align: left; }
ol.cm-key { list-style: none; margin: 4px 0 0; padding: 0; max-width: 24em; font-size: 12.5px; color: var(--muted); }
ol.cm-key li { margin: 1px 0; padding-left: 1.4em; text-indent: -1.4em; overflow-wrap: break-word; }
.cm-letter { display: inline-block; width: 1.2em; text-indent: 0; font-weight: 600; color: var(--ink); }
table.cm td.diag { outline: 1.5px solid var(--ink); outline-offset: -2px; }
table.cm tbody tr:nth-child(even) th { background: none; }
.legend { display: flex; align-items: center; gap: 12px; font-size: 13px; color: var(--muted); margin: 4px 0 8px; }
.legend .label { font-weight: 400; }
svg .tick { font: 10px var(--sans); fill: var(--muted); }
svg .axis-label { font: 10.5px var(--sans); fill: var(--ink); }
svg .grid { stroke: #eceef1; stroke-width: 1; }
svg .axis { stroke: #777; stroke-width: 1; }
svg .mark { stroke: #999; stroke-width: 1; stroke-dasharray: 2 3; }
svg .series { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 16px; }
figure.chart { flex: 1 1 180px; max-width: 300px; }
figure.chart svg { display: block; width: 100%; height: auto; }
svg.chart { max-width: 100%; height: auto; }
figure.chart figcaption { text-align: center; margin: 0; }
.curve-family { margin: 6px 0 14px; }
.legend-line { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; font-size: 13px; margin: 4px 0; }
.legend-line .label { text-transform: capitalize; min-width: 5em; }
.key { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 22px; border-top: 2.5px solid; }
.swatch.dashed { border-top-style: dashed; }
details summary { cursor: pointer; color: var(--muted); margin: 2px 0 6px; }
ul.warnings { margin: 4px 0; padding-left: 20px; }
ul.warnings li::marker { content: "⚠ "; color: #b3261e; }
ol.notes { font-size: 13.5px; color: #3c4043; padding-left: 22px; max-width: 90ch; }
ol.notes li { margin: 4px 0; }
ol.notes li:target { background: #fff8d6; }
details.leaderboard { margin: 6px 0; }
table.leaderboard td.settings { white-space: normal; min-width: 22em; }
.setting { white-space: nowrap; }
table.leaderboard tbody tr.winner th, table.leaderboard tbody tr.winner td { background: #fff3c4; font-weight: 600; }
footer { margin-top: 36px; padding-top: 8px; border-top: 1px solid var(--hair); font-size: 12.5px; color: var(--muted); }
/* On a phone the page must not scroll sideways: every wide table becomes its own horizontally scrolling box. */
@media (max-width: 760px) {
  main { padding: 16px 12px 32px; }
  table { display: block; max-width: 100%; overflow-x: auto; }
  table.kv { display: table; width: 100%; table-layout: fixed; }
  table.kv th { white-space: normal; padding-right: 12px; width: 38%; }
  table.kv td { overflow-wrap: anywhere; }
  .row { gap: 12px 20px; }
  figure.chart, figure.plot { max-width: 100%; }
  figure svg.chart, figure img { max-width: 100%; height: auto; }
  .legend { flex-wrap: wrap; }
  .legend svg { max-width: 100%; height: auto; }
  table.cm td.v, table.cm thead th.cls { width: 2.8em; min-width: 2.8em; max-width: 2.8em; height: 2.8em; }
  table.cm tbody th.cls { max-width: 9em; }
}
/* Paper: no contents bar, tables and figures kept whole on one page, wide tables shrunk rather than clipped. */
@media print {
  main { max-width: none; padding: 0; }
  section { break-inside: auto; }
  h2, h3, h4, caption, figcaption { break-after: avoid; }
  table, figure, .legend, .decision, p.lead { break-inside: avoid; }
  table { display: table; overflow: visible; max-width: none; }
  .scroll { overflow: visible; }
  table.num td { white-space: normal; }
  table.compact th, table.compact td { font-size: 11px; padding: 2px 4px; }
  nav.toc { display: none; }
  a { color: inherit; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}

""";
}
