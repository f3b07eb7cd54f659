using System.Text;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>
/// The AutoML part of a model's section: which pipeline each outer fold's search chose, the outer score it then
/// earned, and every trial of every search with the winner marked.
/// </summary>
internal static class AutoMlLeaderboardHtml
{
    /// <summary>Appends the leaderboard when any fold of <paramref name="model"/> recorded trials; otherwise nothing.</summary>
    internal static void Append(StringBuilder sb, string id, ModelResult model)
    {
        var folds = model.Folds.Where(f => f.Training.Trials.Count > 0).ToList();
        if (folds.Count == 0)
            return;
        var outer = model.Aggregate.MacroF1;
        sb.Append(Inv, $"<h3 id=\"{id}-automl\">AutoML leaderboard</h3>\n");
        sb.Append(Inv, $"<p class=\"lead\" id=\"{id}-automl-honest\">Each outer fold ran its own search on its training images only: every trial was scored by the macro-F1 of its pooled predictions on stratified inner-validation folds carved from those images, and the best trial was refitted on the whole training fold. The outer test fold took no part in the choice. The winner's inner-validation score is optimistic, because it is the best of many tries on the same validation images. <strong>The honest figure to quote is the outer-fold score of the chosen pipeline: macro-F1 {MeanSdHtml(outer)} over {Int(model.Folds.Count)} outer folds</strong> (the Overall table above).</p>\n");

        sb.Append(Inv, $"<table id=\"{id}-automl-winners\" class=\"num facts\"><thead><tr><th scope=\"col\" class=\"text\">Outer fold</th><th scope=\"col\" class=\"text\">Representation</th><th scope=\"col\" class=\"text\">Learner</th><th scope=\"col\" class=\"text\">Settings</th><th scope=\"col\">Inner-validation macro-F1</th><th scope=\"col\">Outer test macro-F1</th><th scope=\"col\">Trials</th><th scope=\"col\" class=\"text\">Budget</th><th scope=\"col\">Search time</th></tr></thead><tbody>\n");
        foreach (var fold in folds)
        {
            var winner = fold.Training.Trials.FirstOrDefault(t => t.Winner);
            var facts = fold.Training.Facts;
            sb.Append(Inv, $"<tr><th scope=\"row\" class=\"text\">Fold {Int(fold.Fold + 1)}</th>");
            sb.Append(Inv, $"<td class=\"text\">{E(Representation(winner))}</td><td class=\"text\">{E(winner?.Family ?? "—")}</td><td class=\"text\">{(winner is null ? "—" : SettingsHtml(winner))}</td>");
            sb.Append(Inv, $"<td>{Score(winner?.ValidationMacroF1)}</td><td><strong>{Num(fold.Metrics.MacroF1)}</strong></td><td>{Int(fold.Training.Trials.Count)}</td>");
            sb.Append(Inv, $"<td class=\"text\">{E(facts.GetValueOrDefault("automl_time_budget", "—"))}</td><td>{E(Seconds(facts.GetValueOrDefault("automl_search_seconds")))}</td></tr>\n");
        }
        sb.Append("</tbody></table>\n");
        AppendWhy(sb, id, folds);

        foreach (var fold in folds)
        {
            var trials = fold.Training.Trials
                .OrderBy(t => t.Rank ?? int.MaxValue)
                .ThenBy(t => t.Trial)
                .ToList();
            var winner = trials.FirstOrDefault(t => t.Winner);
            var scored = trials.Count(t => t.Rank is not null);
            sb.Append(Inv, $"<details class=\"leaderboard\"{(fold == folds[0] ? " open" : "")}><summary>Fold {Int(fold.Fold + 1)}: {Int(trials.Count)} trials ({Int(scored)} scored), winner {E(winner?.Family ?? "none")}{(winner is { Representation.Length: > 0 } ? " on " + E(winner.Representation) : "")}{(winner is null ? "" : $" ({E(winner.FormatSettings())})")}</summary>\n");
            sb.Append(Inv, $"<div class=\"scroll\"><table id=\"{id}-automl-fold-{Int(fold.Fold + 1)}\" class=\"num compact leaderboard\"><thead><tr><th scope=\"col\">Rank</th><th scope=\"col\">Trial</th><th scope=\"col\" class=\"text\">Representation</th><th scope=\"col\" class=\"text\">Learner</th><th scope=\"col\" class=\"text\">Stage</th><th scope=\"col\" class=\"text\">Settings</th><th scope=\"col\">Inner macro-F1</th><th scope=\"col\">Inner accuracy</th><th scope=\"col\">Time</th><th scope=\"col\" class=\"text\">Note</th></tr></thead><tbody>\n");
            foreach (var t in trials)
            {
                var rank = t.Rank is { } r ? Int(r) : "—";
                sb.Append(Inv, $"<tr{(t.Winner ? " class=\"winner\"" : "")}><th scope=\"row\">{(t.Winner ? "★ " : "")}{rank}</th><td>{Int(t.Trial)}</td><td class=\"text\">{E(Representation(t))}</td><td class=\"text\">{E(t.Family)}</td><td class=\"text\">{E(t.Stage)}</td>");
                sb.Append(Inv, $"<td class=\"text settings\">{SettingsHtml(t)}</td><td>{Score(t.ValidationMacroF1)}</td><td>{Score(t.ValidationAccuracy)}</td><td>{E(Duration(TimeSpan.FromSeconds(t.Seconds)))}</td>");
                sb.Append(Inv, $"<td class=\"text\">{(t.Winner ? "winner, refitted on the training fold" : E(t.Note ?? ""))}</td></tr>\n");
            }
            sb.Append("</tbody></table></div></details>\n");
        }
    }

    /// <summary>Per fold: the one-sentence reason for the choice, the time spent per representation and learner, and the search's notes (probes, a budget too small).</summary>
    static void AppendWhy(StringBuilder sb, string id, List<FoldResult> folds)
    {
        if (!folds.Any(f => f.Training.Facts.ContainsKey("automl_choice") || f.Training.Facts.ContainsKey("automl_time_by_pipeline")))
            return;
        sb.Append(Inv, $"<ul id=\"{id}-automl-why\" class=\"automl-why\">\n");
        foreach (var fold in folds)
        {
            var facts = fold.Training.Facts;
            sb.Append(Inv, $"<li><strong>Fold {Int(fold.Fold + 1)}.</strong> {E(facts.GetValueOrDefault("automl_choice", ""))}");
            if (facts.TryGetValue("automl_time_by_pipeline", out var time))
                sb.Append(Inv, $" Time per representation and learner (seconds in trials): {E(time)}.");
            if (facts.TryGetValue("automl_stopped_by", out var stopped))
                sb.Append(Inv, $" Search ended: {E(stopped)}.");
            if (facts.TryGetValue("automl_notes", out var notes))
                sb.Append(Inv, $" Notes: {E(notes.Replace(" | ", "; ", StringComparison.Ordinal))}.");
            sb.Append("</li>\n");
        }
        sb.Append("</ul>\n");
    }

    // Records written before representations were recorded name only the learner.
    static string Representation(TrialRecord? trial) => trial is null ? "—" : trial.Representation.Length > 0 ? trial.Representation : "—";

    // One unbreakable span per setting, so a line wraps between settings and never inside one.
    static string SettingsHtml(TrialRecord trial) =>
        string.Join(", ", trial.Settings.Select(s => $"<span class=\"setting\">{E(s.Key)}={E(s.Value)}</span>"));

    static string Score(double? value) => value is { } v ? Num(v) : "—";

    static string Seconds(string? text) =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, Inv, out var s) ? Duration(TimeSpan.FromSeconds(s)) : string.IsNullOrEmpty(text) ? "—" : text + " s";
}
