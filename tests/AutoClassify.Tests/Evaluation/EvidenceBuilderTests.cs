using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Reporting;
using AutoClassify.Tests.Reporting;

namespace AutoClassify.Tests.Evaluation;

public class EvidenceBuilderTests
{
    // Items are in fold i % 5; class 0 holds `majority` items, class 1 the rest.
    static BenchmarkResult Run(int majority, int minority, params (string Name, Func<int, int, int> Predict, Func<int, TrainingSummary>? Summary)[] models)
    {
        var labels = Enumerable.Repeat(0, majority).Concat(Enumerable.Repeat(1, minority)).ToArray();
        var folds = labels.Select((_, i) => i % 5).ToArray();
        var result = new BenchmarkResult
        {
            Dataset = new DatasetSummary { Root = "/data/x", ClassNames = ["common", "rare"], ClassCounts = [majority, minority] },
            Settings = new RunSettings { Folds = 5, Seed = 42, Models = models.Select(m => m.Name).ToList() },
            Items = labels.Select((l, i) => new ItemAssignment { Path = string.Create(CultureInfo.InvariantCulture, $"c{l}/{i}.png"), Label = l, ClassName = l == 0 ? "common" : "rare", Fold = folds[i] }).ToList(),
        };
        foreach (var (name, predict, summary) in models)
        {
            var builder = new ModelResultBuilder(name, labels, 2);
            for (var f = 0; f < 5; f++)
            {
                var test = Enumerable.Range(0, labels.Length).Where(i => folds[i] == f).ToArray();
                var rows = test.Select(i =>
                {
                    var p = predict(i, labels[i]);
                    var confidence = 0.55 + 0.4 * ((i * 37) % 11) / 10.0;
                    return p == 0 ? new[] { confidence, 1 - confidence } : [1 - confidence, confidence];
                }).ToArray();
                builder.AddFold(f, test, rows, summary?.Invoke(f) ?? new TrainingSummary());
            }
            result.Models.Add(builder.Build());
        }
        return result;
    }

    [Fact]
    public void Should_count_the_discordant_pairs_and_say_the_data_cannot_tell_the_fixture_models_apart()
    {
        // Given the fixture: the SVM alone is right on items 10 and 17, the CNN alone on 7, 8, 14 and 16
        var result = ReportFixtures.Create();

        // When
        var evidence = EvidenceBuilder.Attach(result);

        // Then McNemar sees 2 against 4 discordant items: p = 2 (1 + 6 + 15) / 64
        var pair = Assert.Single(evidence.Comparisons);
        Assert.Equal(("svm", "lipnet4"), (pair.First, pair.Second));
        Assert.Equal((2, 4), (pair.McNemar.OnlyFirstCorrect, pair.McNemar.OnlySecondCorrect));
        Assert.Equal(0.6875, pair.McNemar.PValue, 1e-12);
        Assert.Null(pair.Better);
        Assert.StartsWith("The data cannot tell svm and lipnet4 apart", pair.Verdict, StringComparison.Ordinal);
        Assert.All(evidence.Best.Where(b => b.Class is null), b => Assert.Null(b.Model));
    }

    [Fact]
    public void Should_name_the_clearly_better_model_and_bold_only_it()
    {
        // Given 150 items where "good" errs on every 25th item and "poor" on every 4th
        var result = Run(100, 50,
            ("good", (i, label) => i % 25 == 0 ? 1 - label : label, null),
            ("poor", (i, label) => i % 4 == 0 ? 1 - label : label, null));

        // When
        var evidence = EvidenceBuilder.Attach(result);

        // Then McNemar and the verdict favour "good", and it is the significant best in accuracy
        var pair = Assert.Single(evidence.Comparisons);
        Assert.Equal("good", pair.Better);
        Assert.True(pair.McNemar.OnlyFirstCorrect > pair.McNemar.OnlySecondCorrect);
        Assert.True(pair.McNemarAdjustedP < 0.001, $"p = {pair.McNemarAdjustedP}");
        Assert.StartsWith("good is more accurate than poor, with very strong evidence", pair.Verdict, StringComparison.Ordinal);
        Assert.Equal("good", evidence.Best.Single(b => b.Figure == "accuracy").Model);
        Assert.True(pair.Accuracy.MeanDifference > 0 && pair.Accuracy.Interval.Lower > 0);
    }

    [Fact]
    public void Should_give_bootstrap_intervals_around_the_pooled_figures_and_wilson_intervals_per_class()
    {
        var result = Run(100, 50, ("m", (i, label) => i % 5 == 1 ? 1 - label : label, null));

        EvidenceBuilder.Attach(result);

        var e = result.Models[0].Evidence!;
        Assert.Equal(0.8, e.Accuracy.Value, 1e-12);
        Assert.True(e.Accuracy.Interval.Lower < 0.8 && e.Accuracy.Interval.Upper > 0.8);
        Assert.InRange(e.Accuracy.Interval.Width, 0.08, 0.2);
        // Class 0: items 0..99, wrong when i % 5 == 1 -> 80/100 right
        Assert.Equal((80L, 100L), (e.PerClass[0].Tpr.Successes, e.PerClass[0].Tpr.Trials));
        Assert.Equal(AutoClassify.Evaluation.Statistics.Wilson.Interval(80, 100), e.PerClass[0].Tpr.Interval);
        Assert.Equal(2, e.PerClass.Count);
        Assert.Equal(10, e.Calibration.Bins.Count);
        Assert.Equal(1.0, e.Coverage[0].Coverage);
        Assert.Equal(AutoClassify.Evaluation.Statistics.StratifiedBootstrap.DefaultReplicates, result.Evidence!.BootstrapReplicates);
    }

    [Fact]
    public void Should_score_the_baselines_on_the_folds_and_warn_about_a_model_that_does_not_clear_the_majority()
    {
        // Given 120 common and 30 rare items, and a model that is right only 70 % of the time
        var result = Run(120, 30, ("weak", (i, label) => i % 10 < 3 ? 1 - label : label, null));

        // When
        var evidence = EvidenceBuilder.Attach(result);

        // Then always answering "common" scores 0.8, guessing at the shares 0.8² + 0.2² = 0.68
        var majority = evidence.Baselines.Single(b => b.Name == "majority");
        var stratified = evidence.Baselines.Single(b => b.Name == "stratified");
        Assert.Equal(0.8, majority.PooledAccuracy, 1e-12);
        Assert.Equal(0.8, majority.Accuracy.Mean, 1e-12);
        Assert.Equal(0.68, stratified.Accuracy.Mean, 1e-12);
        Assert.Equal(0.5, stratified.BalancedAccuracy.Mean, 1e-12);
        Assert.Contains("'common'", majority.Description, StringComparison.Ordinal);
        var warning = Assert.Single(evidence.Warnings, w => w.Kind == "below-baseline");
        Assert.Equal("weak", warning.Model);
        // Folds 1-3 (i % 5 in 0..2) hold every error at 50 %; folds 4 and 5 are error-free and beat the baseline.
        Assert.Equal([0, 1, 2], warning.Folds);
        Assert.Contains("does not clear the majority baseline's 0.800", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_warn_about_folds_stopped_at_the_epoch_cap_still_improving_and_tiny_validation_classes()
    {
        // Given a CNN whose folds 1 and 3 ran to the cap with falling validation loss, and whose fold 2 validated on 2 rare images
        TrainingSummary Summary(int fold)
        {
            var s = new TrainingSummary();
            s.Facts["stopped_early"] = fold is 0 or 2 ? "false" : "true";
            s.Curves["val_loss"] = fold == 0 ? [0.9, 0.8, 0.7, 0.65, 0.6, 0.58] : fold == 2 ? [0.9, 0.5, 0.4, 0.3, 0.25, 0.2] : [0.9, 0.5, 0.4, 0.45, 0.5];
            s.Facts[EvidenceBuilder.ValidationClassCountsFact] = fold == 1 ? "18, 2" : "18, 6";
            return s;
        }
        var result = Run(100, 50, ("cnn", (i, label) => label, Summary));

        // When
        var evidence = EvidenceBuilder.Attach(result);

        // Then
        var cap = Assert.Single(evidence.Warnings, w => w.Kind == "epoch-cap");
        Assert.Equal([0, 2], cap.Folds);
        Assert.Contains("cnn: training stopped at the epoch cap", cap.Message, StringComparison.Ordinal);
        Assert.Contains("folds 1, 3", cap.Message, StringComparison.Ordinal);
        var validation = Assert.Single(evidence.Warnings, w => w.Kind == "small-validation-class");
        Assert.Equal([1], validation.Folds);
        Assert.Contains("fold 2: 2 of 'rare'", validation.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(evidence.Warnings, w => w.Kind == "below-baseline");
    }

    [Fact]
    public void Should_warn_about_a_class_too_small_per_fold_for_a_narrow_interval()
    {
        // Given 10 rare items, 2 per test fold: a 2/2 TPR has a Wilson interval [0.34, 1]
        var result = Run(140, 10, ("m", (i, label) => label, null));

        var evidence = EvidenceBuilder.Attach(result);

        var wide = Assert.Single(evidence.Warnings, w => w.Kind == "wide-class-interval");
        Assert.Equal([0, 1, 2, 3, 4], wide.Folds);
        Assert.Contains("class 'rare'", wide.Message, StringComparison.Ordinal);
        Assert.Contains("fold 1: 2/2, 95 % CI 0.34–1.00", wide.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_apply_holm_over_the_pairs_of_three_models()
    {
        var result = Run(100, 50,
            ("a", (i, label) => i % 25 == 0 ? 1 - label : label, null),
            ("b", (i, label) => i % 4 == 0 ? 1 - label : label, null),
            ("c", (i, label) => i % 3 == 0 ? 1 - label : label, null));

        var evidence = EvidenceBuilder.Attach(result);

        Assert.Equal(3, evidence.Comparisons.Count);
        var raw = evidence.Comparisons.Select(c => c.McNemar.PValue).ToList();
        Assert.Equal(AutoClassify.Evaluation.Statistics.Holm.Adjust(raw), evidence.Comparisons.Select(c => c.McNemarAdjustedP));
        Assert.All(evidence.Comparisons, c => Assert.True(c.McNemarAdjustedP >= c.McNemar.PValue));
        Assert.Contains("Holm-adjusted", evidence.Comparisons[0].Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reproduce_the_same_evidence_and_survive_a_results_json_round_trip()
    {
        var first = ReportFixtures.Create();
        var second = ReportFixtures.Create();
        EvidenceBuilder.Attach(first);
        EvidenceBuilder.Attach(second);

        var json = ResultsJson.Serialize(first);
        var back = ResultsJson.Deserialize(json);

        Assert.Equal(json, ResultsJson.Serialize(second));
        Assert.Contains("\"onlyFirstCorrect\": 2", json, StringComparison.Ordinal);
        Assert.Contains("\"bootstrapReplicates\": 2000", json, StringComparison.Ordinal);
        Assert.Equal(json, ResultsJson.Serialize(back));
    }
}
