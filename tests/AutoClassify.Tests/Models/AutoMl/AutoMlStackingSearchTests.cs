using System.Globalization;
using System.Text.RegularExpressions;
using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;

namespace AutoClassify.Tests.Models.AutoMl;

/// <summary>The stacked ensemble beside the average: both scored on the inner folds, the stack kept only when it beats both rivals.</summary>
public partial class AutoMlPipelineSearchTests
{
    static double Scored(TrialRecord record) => record.ValidationMacroF1
        ?? double.Parse(ScoredNote().Match(record.Note ?? "").Groups["f1"].Value, CultureInfo.InvariantCulture);

    [Fact]
    public void Should_score_a_stack_beside_the_average_and_keep_the_one_the_rule_allows()
    {
        // Given object features that only tell class 0 from the rest, and field features that only tell class 2 from the rest
        var labels = Enumerable.Range(0, 90).Select(i => i % 3).ToArray();
        var random = new Random(9);
        var objects = new FeatureMatrix(["o1", "o2"], labels.Select(l => new[] { (l == 0 ? 1.0 : 0) + random.NextDouble() * 0.6, random.NextDouble() }).ToArray());
        var data = TwoRepresentations(objects, labels, ["a", "b", "c"], l => l == 2 ? 1.0 : 0, seed: 10);
        var (train, test) = AutoMlTestData.OuterFold(data, folds: 3);
        var options = new AutoMlOptions { TimeBudget = null, Space = FeaturesOnly with { EnsembleSize = 3, ProbeMargin = 1 } };
        var log = new List<string>();

        // When
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, train, AutoMlTestData.Context(log: log.Add));

        // Then both combinations are on the leaderboard with their inner scores, and the winner is the one the rule keeps
        var board = Board(model, log);
        var ensembles = model.Summary.Trials.Where(t => t.Stage == "ensemble").ToList();
        Assert.Equal(2, ensembles.Count);
        var mean = Assert.Single(ensembles, t => t.Settings["combine"] == EnsembleModel.MeanCombine);
        var stack = Assert.Single(ensembles, t => t.Settings["combine"].StartsWith("stacked: multinomial logistic regression on 2 members", StringComparison.Ordinal)
            || t.Settings["combine"].StartsWith("stacked: multinomial logistic regression on 3 members", StringComparison.Ordinal));
        var single = model.Summary.Trials.Where(t => t.Stage != "ensemble" && t.ValidationMacroF1 is not null).Max(t => t.ValidationMacroF1)!.Value;
        var ensemble = Assert.IsType<EnsembleModel>(model.Winner);
        var stackWins = Scored(stack) > single + 1e-9 && Scored(stack) > Scored(mean) + 1e-9;
        Assert.Equal(stackWins, stack.Winner);
        Assert.Equal(!stackWins, mean.Winner);
        Assert.Equal(stackWins, ensemble.Stacker is not null);
        Assert.Contains(log, l => l.StartsWith("auto: ensemble (stacked: multinomial", StringComparison.Ordinal));
        Assert.StartsWith(stackWins ? "Chose a stacked ensemble of" : "Chose an ensemble averaging", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
        var loser = stackWins ? mean : stack;
        Assert.Null(loser.ValidationMacroF1);
        Assert.StartsWith("not kept", loser.Note, StringComparison.Ordinal);
        var probabilities = model.PredictProbabilities(data, test);
        var accuracy = test.Select((item, row) => Array.IndexOf(probabilities[row], probabilities[row].Max()) == data.Labels[item] ? 1.0 : 0.0).Average();
        Assert.True(accuracy > 0.8, $"held-out accuracy {accuracy:F3}\n{board}");
        Assert.True(Scored(stack) > 0.8 && Scored(mean) > 0.8, board);
    }

    [GeneratedRegex(@"it scored (?<f1>[0-9.]+)\)")]
    private static partial Regex ScoredNote();
}
