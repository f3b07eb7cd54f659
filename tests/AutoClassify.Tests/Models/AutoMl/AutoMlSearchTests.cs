using System.Diagnostics;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Svm;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.AutoMl;

[Collection(TorchTests.Name)]
public class AutoMlSearchTests
{
    [Fact]
    public void Should_never_hand_an_outer_test_item_to_any_inner_fit_or_prediction()
    {
        // Given shapes with features, an outer split, and test rows poisoned with NaN so that any fit reading one fails
        var clean = AutoMlTestData.ShapesWithFeatures(perClass: 12, seed: 5);
        var (train, test) = AutoMlTestData.OuterFold(clean);
        var data = AutoMlTestData.PoisonFeatures(clean, test);
        var accesses = new List<AutoMlDataAccess>();
        var options = new AutoMlOptions { TimeBudget = null, MinEpochs = 1, Space = AutoMlTestData.SmallSpace, Audit = accesses.Add };

        // When the search runs on the training indices (SVM grid, SMOTE, LipNet-1 rungs)
        using var model = new AutoMlTrainer(AutoMlTestData.Settings(options)).Train(data, train, AutoMlTestData.Context());

        // Then no inner fit, prediction or SMOTE draw read a test item, and every trial scored (a NaN row would have failed it)
        var trials = model.Summary.Trials;
        Assert.Contains(trials, t => t.Family == "lipnet1");
        Assert.Contains(trials, t => t.Settings.GetValueOrDefault("sampler") == "smote");
        Assert.All(trials, t => Assert.True(t.ValidationMacroF1 is not null, $"trial {t.Trial} ({t.Family}) has no score: {t.Note}"));
        var testSet = test.ToHashSet();
        Assert.Equal(trials.Count * 3 * 2 + 1, accesses.Count);
        Assert.All(accesses, a => Assert.DoesNotContain(a.Items, testSet.Contains));
        var refit = Assert.Single(accesses, a => a.Purpose == "refit");
        Assert.Equal(train.Order(), refit.Items.Order());
        // Each inner fold validates on training items the same fit did not see.
        foreach (var group in accesses.Where(a => a.Trial > 0).GroupBy(a => a.Trial))
        {
            var list = group.ToList();
            for (var i = 0; i < list.Count; i += 2)
                Assert.Empty(list[i].Items.Intersect(list[i + 1].Items));
        }
    }

    [Fact]
    public void Should_keep_the_tiles_of_one_image_on_one_side_of_every_inner_split()
    {
        // Given items grouped in threes of one class, as the tiles of an image are
        var data = SvmTestData.Blobs(count: 90, dimension: 5, shares: [0.5, 0.5], seed: 17);
        var groups = new int[data.Labels.Length];
        var seen = new int[2];
        for (var i = 0; i < groups.Length; i++)
            groups[i] = data.Labels[i] * 1000 + seen[data.Labels[i]]++ / 3;
        data.Groups = groups;
        var accesses = new List<AutoMlDataAccess>();
        var options = new AutoMlOptions { TimeBudget = null, MaxTrials = 3, Space = AutoMlSearchSpace.Default.WithoutImageModels(), Audit = accesses.Add };

        // When
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, SvmTestData.All(data), AutoMlTestData.Context());

        // Then no group lends items to both the fit and the validation of an inner fold
        var inner = accesses.Where(a => a.Trial > 0).ToList();
        Assert.Equal(3 * 3 * 2, inner.Count);
        for (var i = 0; i < inner.Count; i += 2)
            Assert.Empty(inner[i].Items.Select(x => groups[x]).Intersect(inner[i + 1].Items.Select(x => groups[x])));
    }

    [Fact]
    public void Should_repeat_the_same_leaderboard_from_the_same_seed_and_trial_cap()
    {
        // Given a feature-only search capped at 12 trials and no clock limit
        var data = SvmTestData.Blobs(count: 90, dimension: 6, shares: [0.6, 0.3, 0.1], seed: 11, separation: 2);
        var train = SvmTestData.All(data);
        var options = new AutoMlOptions { TimeBudget = null, MaxTrials = 12 };
        var settings = new ModelSettings { AutoMl = options with { Space = AutoMlSearchSpace.Default.WithoutImageModels() } };

        // When it runs twice with one seed and once with another
        using var first = new AutoMlTrainer(settings).Train(data, train, AutoMlTestData.Context(seed: 3));
        using var second = new AutoMlTrainer(settings).Train(data, train, AutoMlTestData.Context(seed: 3));
        using var other = new AutoMlTrainer(settings).Train(data, train, AutoMlTestData.Context(seed: 4));

        // Then the leaderboards agree in every field but the timing, and the cap stopped the search
        static string Board(AutoMlModel m) => string.Join("\n", m.Summary.Trials.Select(t =>
            $"{t.Trial} {t.Family} {t.Stage} {t.FormatSettings()} {t.ValidationMacroF1:R} {t.ValidationAccuracy:R} {t.Rank} {t.Winner}"));
        Assert.Equal(12, first.Summary.Trials.Count(t => t.Stage != "ensemble"));
        Assert.Equal(Board(first), Board(second));
        Assert.NotEqual(Board(first), Board(other));
        Assert.Equal("max trials", first.Summary.Facts["automl_stopped_by"]);
        Assert.Equal(first.PredictProbabilities(data, train).SelectMany(r => r), second.PredictProbabilities(data, train).SelectMany(r => r));
    }

    [Fact]
    public void Should_finish_within_its_time_budget_when_the_plan_is_far_larger()
    {
        // Given a quick SVM grid, then CNNs allowed up to 600 epochs per fit (rungs 1/3/9/27/81/243/600: a full bracket
        // would cost thousands of first-rung trials, far beyond any machine's 12 s), and a budget of 12 s
        var data = AutoMlTestData.ShapesWithFeatures(perClass: 16, seed: 7);
        var (train, _) = AutoMlTestData.OuterFold(data);
        var budget = TimeSpan.FromSeconds(12);
        var space = AutoMlTestData.SmallSpace with { ImageFamilies = [new("lipnet1"), new("lipnet2")] };
        var settings = AutoMlTestData.Settings(new AutoMlOptions { TimeBudget = budget, MinEpochs = 1, Space = space }, maxEpochs: 600);
        var log = new List<string>();

        // When
        var clock = Stopwatch.StartNew();
        using var model = new AutoMlTrainer(settings).Train(data, train, AutoMlTestData.Context(log: log.Add));
        clock.Stop();

        // Then it searched, stopped for the budget, and overran it by less than a third (one CNN batch and a refit)
        var trials = model.Summary.Trials;
        var board = string.Join("\n", log) + "\n" + string.Join("\n", trials.Select(t => $"{t.Trial} {t.Family} {t.Stage} {t.FormatSettings()} {t.ValidationMacroF1} {t.Seconds:F1} {t.Note}"));
        Assert.True(model.Summary.Facts["automl_stopped_by"] is "time budget" or "time left too short for the next trial", board);
        Assert.True(trials.Count(t => t.Rank is not null) >= 5, board);
        Assert.Contains(trials, t => t.Family is "lipnet1" or "lipnet2");
        Assert.DoesNotContain(trials, t => t.Settings.GetValueOrDefault("epochs") is "243" or "600");
        Assert.True(clock.Elapsed < budget * 1.33, $"the search took {clock.Elapsed.TotalSeconds:F1} s for a {budget.TotalSeconds} s budget\n{board}");
    }

    [Fact]
    public void Should_refit_the_best_trial_and_predict_held_out_items_well()
    {
        // Given well separated classes and an outer split
        var data = SvmTestData.Blobs(count: 120, dimension: 5, shares: [0.5, 0.3, 0.2], seed: 21, separation: 4);
        var (train, test) = AutoMlTestData.OuterFold(data, folds: 3);
        var space = AutoMlSearchSpace.Default.WithoutImageModels() with { FeatureLearners = [], EnsembleSize = 0 };
        var settings = new ModelSettings { AutoMl = new AutoMlOptions { TimeBudget = null, Space = space } };

        // When
        using var model = new AutoMlTrainer(settings).Train(data, train, AutoMlTestData.Context());
        var probabilities = model.PredictProbabilities(data, test);

        // Then the winner is the top-ranked trial, its settings are the refitted model's, and it beats chance by far
        var winner = Assert.Single(model.Summary.Trials, t => t.Winner);
        Assert.Equal(1, winner.Rank);
        Assert.Equal(model.Summary.Trials.Where(t => t.ValidationMacroF1 is not null).Max(t => t.ValidationMacroF1), winner.ValidationMacroF1);
        Assert.Equal("svm", model.WinnerKind);
        var svm = Assert.IsType<SvmModel>(model.Winner);
        Assert.Equal(winner.Settings["C"], "2^" + Math.Log2(svm.C).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("plan complete", model.Summary.Facts["automl_stopped_by"]);
        Assert.Contains(model.Summary.Trials, t => t.Stage == "refine");
        Assert.Contains(model.Summary.Trials, t => t.Stage == "sampler");
        Assert.All(probabilities, row => Assert.Equal(1.0, row.Sum(), 6));
        var accuracy = test.Select((item, row) => SvmModel.ArgMax(probabilities[row]) == data.Labels[item] ? 1.0 : 0.0).Average();
        Assert.True(accuracy > 0.85, $"held-out accuracy {accuracy:F3}");
    }

    [Fact]
    public void Should_refuse_a_training_fold_with_a_single_item_of_a_class()
    {
        var data = SvmTestData.Blobs(count: 30, dimension: 4, shares: [0.5, 0.5], seed: 2);
        var train = SvmTestData.All(data).Where(i => data.Labels[i] == 0).Append(Array.IndexOf(data.Labels, 1)).ToArray();

        var error = Assert.Throws<ArgumentException>(() => new AutoMlTrainer(new ModelSettings()).Train(data, train, AutoMlTestData.Context()));

        Assert.Contains("class1", error.Message, StringComparison.Ordinal);
        Assert.Contains("single training item", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_every_bad_option_at_once()
    {
        var options = new AutoMlOptions { InnerFolds = 1, MaxTrials = 0, Space = new AutoMlSearchSpace { ImageSamplers = [AutoMlSampler.Smote] } };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("InnerFolds", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxTrials", error.Message, StringComparison.Ordinal);
        Assert.Contains("smote", error.Message, StringComparison.Ordinal);
    }
}
