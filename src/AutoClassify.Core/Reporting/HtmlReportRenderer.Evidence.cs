using AutoClassify.Evaluation;
using AutoClassify.Evaluation.Statistics;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The report's evidence: intervals, baselines, paired tests, ROC/PR, calibration, coverage and reviewer warnings.</summary>
internal sealed partial class HtmlReportRenderer
{
    const string EvidenceCss = """
        figure.plot { flex: 1 1 220px; max-width: 320px; margin: 0; }
        figure.plot svg { display: block; width: 100%; height: auto; }
        figure.plot figcaption { text-align: center; margin: 0; font-size: 13px; }
        .ci { color: var(--muted); font-size: 0.9em; white-space: nowrap; }
        tr.baseline th, tr.baseline td { color: var(--muted); font-style: italic; }
        tr.significant th, tr.significant td { border-top: 1px solid #ccc; font-size: 0.92em; }
        ul.verdicts { margin: 4px 0; padding-left: 20px; }
        ul.verdicts li { margin: 2px 0; }

        """;

    EvidenceSummary Evidence => _r.Evidence ??= EvidenceBuilder.Attach(_r);

    string BootstrapText => $"stratified bootstrap of the pooled out-of-fold predictions, B = {Int(Evidence.BootstrapReplicates)}, seed {Int(Evidence.BootstrapSeed)}";

    static string CiHtml(Interval i) =>
        i.IsDefined ? $"<span class=\"ci\">[{Num(i.Lower)}, {Num(i.Upper)}]</span>" : $"<span class=\"ci\">[{NotAvailable}]</span>";

    static string EstimateHtml(Estimate e) => $"{Num(e.Value)} {CiHtml(e.Interval)}";

    static string RateHtml(Rate r) => $"{Num(r.Value)} {CiHtml(r.Interval)}";

    /// <summary>Whether <paramref name="model"/> is significantly best in a figure (of a class).</summary>
    bool IsBest(string figure, int? cls, string model) =>
        Evidence.Best.Any(b => b.Figure == figure && b.Class == cls && b.Model == model);

    string WinnerText(string figure, int? cls)
    {
        var best = Evidence.Best.FirstOrDefault(b => b.Figure == figure && b.Class == cls);
        return best?.Model is { } m ? $"<strong>{E(m)}</strong>" : "<span class=\"quiet\">no clear winner</span>";
    }

    static Estimate? Headline(ModelResult m, string figure) => m.Evidence is not { } e ? null : figure switch
    {
        "accuracy" => e.Accuracy,
        "macro_f1" => e.MacroF1,
        "balanced_accuracy" => e.BalancedAccuracy,
        "log_loss" => e.LogLoss,
        _ => null,
    };

    void BaselineRows(int columns)
    {
        foreach (var b in Evidence.Baselines)
        {
            _sb.Append(Inv, $"<tr class=\"baseline\"><th scope=\"row\" class=\"text\" title=\"{E(b.Description)}\">Baseline: {E(b.Name == "majority" ? "majority class" : "stratified random")}</th>");
            foreach (var v in new[] { b.Accuracy, b.MacroF1, b.BalancedAccuracy, b.LogLoss })
                _sb.Append(Inv, $"<td>{(double.IsNaN(v.Mean) ? "—" : MeanSdHtml(v))}</td>");
            for (var c = 4; c < columns; c++)
                _sb.Append("<td>—</td>");
            _sb.Append("</tr>\n");
        }
    }

    void PairwiseSection()
    {
        var ev = Evidence;
        var holm = ev.Comparisons.Count > 1;
        _sb.Append("<h3 id=\"pairwise\">Paired comparisons<sup><a href=\"#note-tests\">8</a></sup></h3>\n<ul id=\"verdicts\" class=\"verdicts\">\n");
        foreach (var c in ev.Comparisons)
            _sb.Append(Inv, $"<li>{E(c.Verdict)}</li>\n");
        _sb.Append("</ul>\n");
        _sb.Append("<div class=\"scroll\"><table id=\"comparison-pairs\" class=\"num compact\"><thead><tr><th scope=\"col\" class=\"text\">First</th><th scope=\"col\" class=\"text\">Second</th>");
        _sb.Append("<th scope=\"col\"><abbr title=\"items only the first model classifies correctly\">Only first right</abbr></th><th scope=\"col\"><abbr title=\"items only the second model classifies correctly\">Only second right</abbr></th>");
        _sb.Append(Inv, $"<th scope=\"col\">McNemar p{(holm ? " (Holm)" : "")}</th><th scope=\"col\">Δ accuracy [95 % CI]</th><th scope=\"col\">t-test p{(holm ? " (Holm)" : "")}</th><th scope=\"col\">Δ macro-F1 [95 % CI]</th><th scope=\"col\">t-test p{(holm ? " (Holm)" : "")}</th><th scope=\"col\" class=\"text\">Better</th></tr></thead><tbody>\n");
        foreach (var c in ev.Comparisons)
        {
            _sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text\">{E(c.First)}</th><td class=\"text\">{E(c.Second)}</td><td>{Int(c.McNemar.OnlyFirstCorrect)}</td><td>{Int(c.McNemar.OnlySecondCorrect)}</td><td>{PText(c.McNemarAdjustedP)}</td>");
            _sb.Append(Inv, $"<td>{Signed(c.Accuracy.MeanDifference)} {CiHtml(c.Accuracy.Interval)}</td><td>{PText(c.Accuracy.AdjustedP)}</td>");
            _sb.Append(Inv, $"<td>{Signed(c.MacroF1.MeanDifference)} {CiHtml(c.MacroF1.Interval)}</td><td>{PText(c.MacroF1.AdjustedP)}</td>");
            _sb.Append(Inv, $"<td class=\"text\">{(c.Better is { } b ? E(b) : "<span class=\"quiet\">cannot tell</span>")}</td></tr>\n");
        }
        _sb.Append("</tbody></table></div>\n");
        _sb.Append(Inv, $"<p class=\"quiet\">Δ is first minus second, the mean of the per-fold differences; its interval and p come from the Nadeau–Bengio corrected resampled t-test over {Int(_r.Settings.Folds)} folds. McNemar's exact test uses every out-of-fold prediction once.{(holm ? " p-values are Holm-adjusted over the model pairs." : "")}</p>\n");
    }

    static string PText(double p) => E(ReportNumber.P(p));

    static string Signed(double v) => ReportNumber.Signed(v);

    void PerClassWinners()
    {
        var clear = Evidence.Best.Where(b => b.Class is not null && b.Model is not null).ToList();
        _sb.Append("<p id=\"per-class-winners\" class=\"quiet\">A value is bold only when that model is significantly best: TPR and TNR by exact McNemar tests on the class's images (Holm-adjusted), PPV and NPV by non-overlapping Wilson intervals, F1 by non-overlapping bootstrap intervals. ");
        _sb.Append(clear.Count == 0
            ? "No per-class figure has a clear winner."
            : "Clear winners: " + string.Join("; ", clear.Select(b => $"{E(b.Figure)} of {E(_classes[b.Class!.Value])}: {E(b.Model)}")) + "; every other per-class figure: no clear winner.");
        _sb.Append("</p>\n");
    }

    void ModelEvidence(string id, ModelResult model)
    {
        if (model.Evidence is not { } e)
            return;
        _sb.Append(Inv, $"<h3>Per class, pooled, with 95 % intervals<sup><a href=\"#note-ci\">7</a></sup></h3>\n<div class=\"scroll\"><table id=\"{id}-per-class-ci\" class=\"num compact\"><thead><tr><th scope=\"col\" class=\"text\">Class</th><th scope=\"col\">TPR (Wilson)</th><th scope=\"col\">TNR (Wilson)</th><th scope=\"col\">PPV (Wilson)</th><th scope=\"col\">NPV (Wilson)</th><th scope=\"col\">F1 (bootstrap)</th><th scope=\"col\"><abbr title=\"one-vs-rest ROC AUC, mean ± SD over folds\">AUC</abbr></th><th scope=\"col\"><abbr title=\"average precision, mean ± SD over folds\">AP</abbr></th></tr></thead><tbody>\n");
        for (var k = 0; k < _classes.Count && k < e.PerClass.Count; k++)
        {
            var c = e.PerClass[k];
            _sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text cls\">{E(_classes[k])}</th><td><span class=\"ci\">{Int(c.Tpr.Successes)}/{Int(c.Tpr.Trials)}</span> {RateHtml(c.Tpr)}</td><td>{RateHtml(c.Tnr)}</td><td>{RateHtml(c.Ppv)}</td><td>{RateHtml(c.Npv)}</td><td>{EstimateHtml(c.F1)}</td><td>{MeanSdHtml(c.Auc)}</td><td>{MeanSdHtml(c.AveragePrecision)}</td></tr>\n");
        }
        _sb.Append("</tbody></table></div>\n");

        _sb.Append(Inv, $"<h3>ROC and precision-recall, one-vs-rest</h3>\n<div id=\"{id}-ranking\" class=\"charts\">\n");
        var roc = e.PerClass.Select((c, k) => new XySeries($"{_classes[k]}: AUC {Num(c.Auc.Mean)} ± {Num(c.Auc.Sd)}", c.Roc.FalsePositiveRate, c.Roc.TruePositiveRate, SeriesColors[k % SeriesColors.Length])).ToList();
        var pr = e.PerClass.Select((c, k) => new XySeries($"{_classes[k]}: AP {Num(c.AveragePrecision.Mean)} ± {Num(c.AveragePrecision.Sd)}", c.PrecisionRecall.Recall, c.PrecisionRecall.Precision, SeriesColors[k % SeriesColors.Length], Steps: true)).ToList();
        _sb.Append(Inv, $"<figure class=\"plot\" id=\"{id}-roc\">{SvgXyChart.Render(roc, (0, 1), (0, 1), "false positive rate", "true positive rate", $"{model.Name}: ROC curves", diagonal: true)}<figcaption>ROC (pooled out-of-fold)</figcaption></figure>\n");
        _sb.Append(Inv, $"<figure class=\"plot\" id=\"{id}-pr\">{SvgXyChart.Render(pr, (0, 1), (0, 1), "recall", "precision", $"{model.Name}: precision-recall curves", diagonal: false)}<figcaption>Precision-recall (pooled out-of-fold)</figcaption></figure>\n");
        _sb.Append("</div>\n<p class=\"legend-line\">");
        for (var k = 0; k < e.PerClass.Count && k < _classes.Count; k++)
        {
            var c = e.PerClass[k];
            _sb.Append(Inv, $"<span class=\"key\"><span class=\"swatch\" style=\"border-color:{SeriesColors[k % SeriesColors.Length]}\"></span>{E(_classes[k])}: AUC {MeanSdHtml(c.Auc)}, AP {MeanSdHtml(c.AveragePrecision)}</span>");
        }
        _sb.Append("</p>\n");

        var cal = e.Calibration;
        var filled = cal.Bins.Where(b => b.Count > 0).ToList();
        _sb.Append(Inv, $"<h3>Calibration and abstention</h3>\n<div id=\"{id}-calibration\" class=\"charts\">\n");
        var reliability = new List<XySeries> { new("accuracy per confidence bin", filled.Select(b => b.MeanConfidence).ToArray(), filled.Select(b => b.Accuracy).ToArray(), SeriesColors[0], Markers: true) };
        _sb.Append(Inv, $"<figure class=\"plot\" id=\"{id}-reliability\">{SvgXyChart.Render(reliability, (0, 1), (0, 1), "confidence (top-class probability)", "accuracy", $"{model.Name}: reliability diagram", diagonal: true)}<figcaption>Reliability: ECE {Num(cal.Ece)}, MCE {Num(cal.Mce)}, Brier {Num(cal.Brier)}</figcaption></figure>\n");
        var coverage = new List<XySeries>
        {
            new("accuracy", e.Coverage.Select(p => p.Coverage).ToArray(), e.Coverage.Select(p => p.Accuracy).ToArray(), SeriesColors[0], Markers: true),
            new("macro-F1", e.Coverage.Select(p => p.Coverage).ToArray(), e.Coverage.Select(p => p.MacroF1).ToArray(), SeriesColors[1], Dashed: true, Markers: true),
        };
        var low = Math.Min(0.5, Math.Floor(10 * e.Coverage.SelectMany(p => new[] { p.Accuracy, p.MacroF1 }).Where(double.IsFinite).DefaultIfEmpty(0).Min()) / 10);
        _sb.Append(Inv, $"<figure class=\"plot\" id=\"{id}-coverage\">{SvgXyChart.Render(coverage, (0, 1), (low, 1), "coverage (share answered)", "score on answered", $"{model.Name}: accuracy and macro-F1 against coverage", diagonal: false)}<figcaption>Accuracy (solid) and macro-F1 (dashed) against coverage</figcaption></figure>\n");
        _sb.Append("</div>\n");
        if (e.BeforeTemperature is { } before)
            _sb.Append(Inv, $"<p id=\"{id}-temperature\">Temperature scaling (one temperature per fold, fitted on the fold's validation split): ECE {Num(before.Ece)} before, {Num(cal.Ece)} after; MCE {Num(before.Mce)} before, {Num(cal.Mce)} after; Brier {Num(before.Brier)} before, {Num(cal.Brier)} after. The predicted classes are unchanged.</p>\n");
        _sb.Append(Inv, $"<table id=\"{id}-coverage-table\" class=\"num compact\"><thead><tr><th scope=\"col\" class=\"text\">Coverage</th>");
        var shown = e.Coverage.Where(p => p.Answered == e.Coverage[0].Answered || Math.Abs(p.Coverage * 20 - Math.Round(p.Coverage * 20)) < 1e-9 && p.Coverage >= 0.5).Take(6).ToList();
        foreach (var p in shown)
            _sb.Append(Inv, $"<th scope=\"col\">{Percent(p.Coverage, 0)}</th>");
        _sb.Append("</tr></thead><tbody>\n<tr><th scope=\"row\" class=\"text\">Confidence ≥</th>");
        foreach (var p in shown)
            _sb.Append(Inv, $"<td>{Num(p.Threshold)}</td>");
        _sb.Append("</tr>\n<tr><th scope=\"row\" class=\"text\">Accuracy</th>");
        foreach (var p in shown)
            _sb.Append(Inv, $"<td>{Num(p.Accuracy)}</td>");
        _sb.Append("</tr>\n<tr><th scope=\"row\" class=\"text\">Macro-F1</th>");
        foreach (var p in shown)
            _sb.Append(Inv, $"<td>{Num(p.MacroF1)}</td>");
        _sb.Append("</tr>\n</tbody></table>\n");
        _sb.Append("<p class=\"quiet\">Calibration uses each image's highest probability as its confidence, in 10 equal bins; ECE is the count-weighted mean gap between a bin's accuracy and its mean confidence, MCE the largest gap, and Brier the mean squared distance of the probability vector from the true class (0 is perfect). Coverage answers the most confident images first (ties together), pooled over the out-of-fold predictions; each threshold is read off the same predictions it scores, so the table describes this run rather than promising a coverage on new images.</p>\n");
        Thresholds(id, e);
    }

    void Thresholds(string id, ModelEvidence e)
    {
        if (e.Thresholds.Count == 0)
            return;
        _sb.Append(Inv, $"<h3>Confidence thresholds for a target precision</h3>\n<div class=\"scroll\"><table id=\"{id}-thresholds\" class=\"num compact\"><thead><tr><th scope=\"col\" class=\"text\">Class</th><th scope=\"col\">Target precision</th><th scope=\"col\">Threshold (all folds)</th><th scope=\"col\">Thresholds chosen per fold</th><th scope=\"col\">Held-out precision [95 % CI]</th><th scope=\"col\">Held-out coverage</th></tr></thead><tbody>\n");
        foreach (var t in e.Thresholds.OrderBy(t => t.Class).ThenBy(t => t.TargetPrecision))
        {
            var perFold = t.FoldThresholds.All(double.IsNaN) ? "unreachable" : string.Join(", ", t.FoldThresholds.Select(v => double.IsNaN(v) ? "—" : Num(v, 2)));
            _sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text cls\">{E(t.Class < _classes.Count ? _classes[t.Class] : "?")}</th><td>{Num(t.TargetPrecision, 2)}</td><td>{(double.IsNaN(t.Threshold) ? "unreachable" : Num(t.Threshold))}</td><td>{perFold}</td>");
            _sb.Append(Inv, $"<td>{(t.Answered == 0 ? NotAvailable : $"{Num(t.Precision)} {CiHtml(t.PrecisionInterval)}")}</td><td>{Percent(t.Coverage)} <span class=\"ci\">({Int(t.Answered)} of {Int(t.Predicted)})</span></td></tr>\n");
        }
        _sb.Append("</tbody></table></div>\n");
        _sb.Append("<p class=\"quiet\">A threshold is the lowest probability of the predicted class at which that class's predictions reach the target precision; below it the model abstains. For each fold the threshold was chosen on the other folds' out-of-fold predictions and applied to the held-out fold, so the held-out precision and coverage (the share of the class's predictions still answered) are not tuned on the images they score. <code>train --threshold class=value</code> stores such thresholds in a package.</p>\n");
    }

    void ReviewWarnings()
    {
        foreach (var w in Evidence.Warnings)
            _sb.Append(Inv, $"<li class=\"review\" data-kind=\"{E(w.Kind)}\">{E(w.Message)}</li>\n");
    }
}
