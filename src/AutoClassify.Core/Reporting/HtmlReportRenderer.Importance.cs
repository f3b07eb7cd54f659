using AutoClassify.Evaluation;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The report's permutation feature importance table of a feature model.</summary>
internal sealed partial class HtmlReportRenderer
{
    /// <summary>Rows of the importance table.</summary>
    const int TopFeatures = 10;

    void Importance(string id, ModelResult model)
    {
        var folds = model.Folds.Where(f => f.Training.PermutationImportance.Count > 0).ToList();
        if (folds.Count == 0)
            return;
        var features = folds.SelectMany(f => f.Training.PermutationImportance.Keys).Distinct(StringComparer.Ordinal);
        var ranked = features
            .Select(name => (Name: name, Drop: MeanSd.Of([.. folds.Select(f => f.Training.PermutationImportance.TryGetValue(name, out var v) ? v : 0)])))
            .OrderByDescending(x => x.Drop.Mean)
            .ThenBy(x => x.Name, StringComparer.Ordinal)
            .Take(TopFeatures)
            .ToList();
        _sb.Append(Inv, $"<h3>Feature importance</h3>\n<p>Drop in macro-F1 on each test fold when one feature is shuffled among the test items ({Int(PermutationImportance.Repeats)} seeded shuffles, mean ± SD over {Int(folds.Count)} folds); the {Int(ranked.Count)} largest. Correlated features share their importance, so a small drop does not prove a feature useless.</p>\n");
        _sb.Append(Inv, $"<table id=\"{id}-importance\" class=\"num\"><thead><tr><th scope=\"col\">Rank</th><th scope=\"col\" class=\"text\">Feature</th><th scope=\"col\">Macro-F1 drop</th></tr></thead><tbody>\n");
        for (var i = 0; i < ranked.Count; i++)
            _sb.Append(Inv, $"<tr><td>{Int(i + 1)}</td><th scope=\"row\" class=\"text\"><code>{E(ranked[i].Name)}</code></th><td>{MeanSdHtml(ranked[i].Drop)}</td></tr>\n");
        _sb.Append("</tbody></table>\n");
    }
}
