using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Reporting;

namespace AutoClassify.Tests.Reporting;

/// <summary>A benchmark result with an <c>auto</c> model: three outer folds, each with its own small leaderboard.</summary>
internal static class AutoMlReportFixture
{
    internal const string EvilSetting = "<b>bold</b>";

    internal static BenchmarkResult Create()
    {
        var result = ReportFixtures.Create(withCnn: false);
        result.Settings.Models.Add("auto");
        var labels = result.Items.Select(i => i.Label).ToArray();
        var builder = new ModelResultBuilder("auto", labels, result.Dataset.ClassNames.Count);
        for (var fold = 0; fold < result.Settings.Folds; fold++)
        {
            var test = result.Items.Select((item, index) => (item, index)).Where(x => x.item.Fold == fold).Select(x => x.index).ToArray();
            // Right on every item but one per fold, so the folds' outer scores differ from their inner ones.
            var rows = test.Select((item, r) =>
            {
                var row = new double[] { 0.1, 0.1, 0.1 };
                row[r == 0 ? (labels[item] + 1) % 3 : labels[item]] = 0.8;
                return row;
            }).ToArray();
            builder.AddFold(fold, test, rows, Summary(fold));
        }
        result.Models.Add(builder.Build());
        return result;
    }

    static TrainingSummary Summary(int fold)
    {
        var summary = new TrainingSummary { TrainingTime = TimeSpan.FromSeconds(40 + fold) };
        summary.Facts["automl_winner"] = fold == 1 ? "lipnet4" : "svm-rbf";
        summary.Facts["automl_time_budget"] = "2m per fit";
        summary.Facts["automl_search_seconds"] = "38.5";
        summary.Facts["automl_choice"] = fold == 1 ? "Chose lipnet4 on image 28 px (inner macro-F1 0.880); on the inner folds object features (svm-rbf) scored 0.160 lower." : "Chose svm-rbf on object features.";
        summary.Facts["automl_time_by_pipeline"] = "lipnet4 on image 28 px: 21.3 s in 1; svm-rbf on object features: 1.3 s in 2";
        var trials = new[]
        {
            Trial(1, "svm-rbf", "grid", new() { ["C"] = "2^3", ["gamma"] = "2^-7", ["sampler"] = "class-weights" }, 0.71 + 0.01 * fold, 0.4),
            Trial(2, "svm-linear", "grid", new() { ["C"] = "2^-1", ["sampler"] = EvilSetting }, 0.64, 0.2),
            Trial(3, "svm-rbf", "sampler", new() { ["C"] = "2^3", ["gamma"] = "2^-7", ["sampler"] = "smote" }, fold == 1 ? 0.70 : 0.83, 0.9),
            Trial(4, "lipnet4", "rung 1", new() { ["epochs"] = "3", ["lr"] = "0.001" }, fold == 1 ? 0.88 : 0.52, 21.3),
            Trial(5, "lipnet2", "rung 1", new() { ["epochs"] = "3", ["lr"] = "0.0004" }, null, 9.8, "stopped at the time budget"),
        };
        var ranked = trials.Where(t => t.ValidationMacroF1 is not null).OrderByDescending(t => t.ValidationMacroF1).ToList();
        for (var i = 0; i < ranked.Count; i++)
            ranked[i].Rank = i + 1;
        ranked[0].Winner = true;
        summary.Trials.AddRange(trials);
        return summary;
    }

    static TrialRecord Trial(int n, string family, string stage, Dictionary<string, string> settings, double? score, double seconds, string? note = null) => new()
    {
        Trial = n,
        Family = family,
        Representation = family.StartsWith("lipnet", StringComparison.Ordinal) ? "image 28 px" : "object features",
        Stage = stage,
        Settings = settings,
        ValidationMacroF1 = score,
        ValidationAccuracy = score is { } s ? Math.Min(1, s + 0.1) : null,
        Seconds = seconds,
        Note = note,
    };
}

public class AutoMlReportTests
{
    [Fact]
    public void Should_render_a_leaderboard_per_outer_fold_with_the_winner_marked_and_the_honest_figure()
    {
        // Given a result whose auto model searched in each of its three folds
        var result = AutoMlReportFixture.Create();

        // When
        var html = HtmlReport.Render(result);

        // Then the winners table, one leaderboard per fold, the marked winners and the outer score as the figure to quote
        Assert.Contains("<h3 id=\"m1-automl\">AutoML leaderboard</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<table id=\"m1-automl-winners\"", html, StringComparison.Ordinal);
        for (var fold = 1; fold <= 3; fold++)
            Assert.Contains($"<table id=\"m1-automl-fold-{fold}\"", html, StringComparison.Ordinal);
        Assert.Equal(3, html.Split("<tr class=\"winner\">").Length - 1);
        Assert.Contains("<tr class=\"winner\"><th scope=\"row\">★ 1</th><td>4</td><td class=\"text\">image 28 px</td><td class=\"text\">lipnet4</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"col\" class=\"text\">Representation</th><th scope=\"col\" class=\"text\">Learner</th>", html, StringComparison.Ordinal);
        Assert.Contains("<strong>Fold 2.</strong> Chose lipnet4 on image 28 px (inner macro-F1 0.880); on the inner folds object features (svm-rbf) scored 0.160 lower. Time per representation and learner (seconds in trials): lipnet4 on image 28 px: 21.3 s in 1;", html, StringComparison.Ordinal);
        var outer = result.Models[1].Aggregate.MacroF1.Mean.ToString("F3", CultureInfo.InvariantCulture);
        Assert.Contains($"The honest figure to quote is the outer-fold score of the chosen pipeline: macro-F1 {outer}", html, StringComparison.Ordinal);
        Assert.Contains("stopped at the time budget", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain(AutoMlReportFixture.EvilSetting, html, StringComparison.Ordinal);
        // The SVM, which searched nothing, has no leaderboard.
        Assert.DoesNotContain("id=\"m0-automl", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_every_trial_through_results_json()
    {
        var result = AutoMlReportFixture.Create();

        var back = ResultsJson.Deserialize(ResultsJson.Serialize(result));

        var before = result.Models[1].Folds.SelectMany(f => f.Training.Trials).ToList();
        var after = back.Models[1].Folds.SelectMany(f => f.Training.Trials).ToList();
        Assert.Equal(15, after.Count);
        Assert.Equal(before.Select(t => (t.Trial, t.Family, t.Stage, t.FormatSettings(), t.ValidationMacroF1, t.Rank, t.Winner, t.Note)),
            after.Select(t => (t.Trial, t.Family, t.Stage, t.FormatSettings(), t.ValidationMacroF1, t.Rank, t.Winner, t.Note)));
        Assert.Empty(back.Models[0].Folds.SelectMany(f => f.Training.Trials));
    }
}
