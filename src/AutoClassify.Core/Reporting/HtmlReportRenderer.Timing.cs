using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The run's time table: where the wall time went, stage by stage.</summary>
internal sealed partial class HtmlReportRenderer
{
    void TimingTable()
    {
        if (_r.Timing is not { Count: > 0 } rows)
            return;
        var wall = _r.Settings.WallTime.TotalSeconds;
        // Rows of two overlapped arms add up to more than the wall time; the caption says so and names the row that does not.
        var overlapped = rows.Any(r => r.Model is null && r.Stage == Evaluation.ModelArms.WallStage);
        _sb.Append("<figure class=\"table\"><figcaption>Where the time went (wall time; model stages summed over the folds trained in this run")
            .Append(overlapped ? $"; the feature models ran beside the networks, so their rows overlap in time and the row &ldquo;{E(Evaluation.ModelArms.WallStage)}&rdquo; is the wall time of both" : "")
            .Append(")</figcaption>\n");
        _sb.Append("<table id=\"stage-times\" class=\"num\"><thead><tr><th scope=\"col\" class=\"text\">Stage</th><th scope=\"col\">Folds</th><th scope=\"col\">Time</th><th scope=\"col\">Per fold</th><th scope=\"col\">Share of wall time</th></tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            var name = row.Model is null ? row.Stage : $"{row.Model}: {row.Stage}";
            var perFold = row.Folds > 0 ? E(Duration(TimeSpan.FromSeconds(row.Seconds / row.Folds))) : "";
            _sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text\">{E(name)}</th><td>{(row.Folds > 0 ? Int(row.Folds) : "")}</td><td>{E(Duration(TimeSpan.FromSeconds(row.Seconds)))}</td><td>{perFold}</td><td>{Percent(wall > 0 ? row.Seconds / wall : double.NaN)}</td></tr>\n");
        }
        _sb.Append("</tbody></table></figure>\n");
    }
}
