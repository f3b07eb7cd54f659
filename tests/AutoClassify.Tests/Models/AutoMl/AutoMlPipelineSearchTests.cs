using System.Globalization;
using System.Text.RegularExpressions;
using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Svm;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Features;
using AutoClassify.Tests.Tiling;

namespace AutoClassify.Tests.Models.AutoMl;

/// <summary>Representations and learners as search dimensions, the ensemble step, and the search's budget accounting.</summary>
public partial class AutoMlPipelineSearchTests
{
    static readonly AutoMlSearchSpace FeaturesOnly = AutoMlTestData.SmallSpace with { ImageFamilies = [] };

    static string Board(AutoMlModel model, IEnumerable<string>? log = null) =>
        string.Join("\n", (log ?? []).Concat(model.Summary.Trials.Select(t =>
            $"{t.Trial} {t.Family} on {t.Representation} {t.Stage} {t.FormatSettings()} {t.ValidationMacroF1} {t.Seconds:F1} {t.Note}")));

    /// <summary>Whole fields of <see cref="TiledFields.Classes"/>: dense and sparse differ only in how many particles there are.</summary>
    static TrainingData Fields(int perClass)
    {
        var prepared = new List<PreparedImage>();
        var labels = new List<int>();
        for (var c = 0; c < TiledFields.Classes.Length; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                prepared.Add(new PreparedImage(FieldImages.Field(c, (100 * c) + i), null));
                labels.Add(c);
            }
        }
        return TrainingData.FromPrepared(TiledFields.Classes.Select(c => c.Name).ToArray(), [.. labels], prepared,
            [ModelInput.Features, ModelInput.FieldFeatures], threads: 2);
    }

    /// <summary>Blobs as the object features and, as the field features, one informative column among noise (or only noise).</summary>
    static TrainingData TwoRepresentations(FeatureMatrix objects, int[] labels, IReadOnlyList<string> classes, Func<int, double>? fieldSignal, int seed)
    {
        var random = new Random(seed);
        var rows = labels.Select(l => new[]
        {
            fieldSignal is null ? random.NextDouble() : fieldSignal(l) + (random.NextDouble() * 0.6),
            random.NextDouble(),
            random.NextDouble(),
        }).ToArray();
        return new TrainingData
        {
            ClassNames = classes,
            Labels = labels,
            Features = objects,
            FieldFeatures = new FeatureMatrix(["field_a", "field_b", "field_c"], rows),
        };
    }

    [Fact]
    public void Should_choose_whole_field_features_when_the_classes_differ_in_particle_density()
    {
        // Given fields whose dense and sparse classes share one particle size, so the central particle cannot tell them apart
        var data = Fields(perClass: 8);
        var options = new AutoMlOptions { TimeBudget = null, Space = FeaturesOnly };
        var log = new List<string>();

        // When the search runs on all of them
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, SvmTestData.All(data), AutoMlTestData.Context(log: log.Add));

        // Then both probes ran first, the winner reads the whole-field features, and the object features scored clearly lower
        var trials = model.Summary.Trials;
        var board = Board(model, log);
        Assert.Equal(["probe", "probe"], trials.Take(2).Select(t => t.Stage));
        Assert.Equal("field features", model.WinningTrial.Representation);
        Assert.Equal("svm-field", model.WinnerKind);
        var field = trials.Where(t => t.Representation == "field features").Max(t => t.ValidationMacroF1)!.Value;
        var objects = trials.Where(t => t.Representation == "object features").Max(t => t.ValidationMacroF1)!.Value;
        Assert.True(field - objects >= 0.15, board);
        Assert.Contains(log, l => l.StartsWith("auto: probes (inner macro-F1): object features", StringComparison.Ordinal));
        Assert.StartsWith("Chose svm-", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
        Assert.Contains("on field features", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
        Assert.Contains("object features (svm-", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
        Assert.Contains("on field features:", model.Summary.Facts["automl_time_by_pipeline"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_choose_object_features_and_drop_field_features_after_their_probe_when_only_the_crops_carry_the_class()
    {
        // Given informative object features and field features that are noise
        var blobs = SvmTestData.Blobs(count: 90, dimension: 4, shares: [0.4, 0.3, 0.3], seed: 5, separation: 4);
        var data = TwoRepresentations(blobs.Features!, blobs.Labels, blobs.ClassNames, fieldSignal: null, seed: 6);
        var options = new AutoMlOptions { TimeBudget = null, Space = FeaturesOnly };

        // When
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, SvmTestData.All(data), AutoMlTestData.Context());

        // Then the object features win and the field features got their probe only
        var board = Board(model);
        Assert.Equal("object features", model.WinningTrial.Representation);
        Assert.Equal("svm", model.WinnerKind);
        var probe = Assert.Single(model.Summary.Trials, t => t.Representation == "field features");
        Assert.Equal("probe", probe.Stage);
        Assert.True(model.WinningTrial.ValidationMacroF1 > 0.85, board);
        Assert.Contains("searching object features only", model.Summary.Facts["automl_notes"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_an_ensemble_when_averaging_two_representations_beats_each_alone()
    {
        // Given object features that only tell class 0 from the rest, and field features that only tell class 2 from the rest
        var labels = Enumerable.Range(0, 90).Select(i => i % 3).ToArray();
        var random = new Random(9);
        var objects = new FeatureMatrix(["o1", "o2"], labels.Select(l => new[] { (l == 0 ? 1.0 : 0) + random.NextDouble() * 0.6, random.NextDouble() }).ToArray());
        var data = TwoRepresentations(objects, labels, ["a", "b", "c"], l => l == 2 ? 1.0 : 0, seed: 10);
        var (train, test) = AutoMlTestData.OuterFold(data, folds: 3);
        // (Both probes are kept whatever they score, so the test is about the ensemble step alone.)
        var options = new AutoMlOptions { TimeBudget = null, Space = FeaturesOnly with { EnsembleSize = 3, ProbeMargin = 1 } };

        // When
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, train, AutoMlTestData.Context());

        // Then the ensemble won on the inner folds, it averages both representations, and it predicts held-out items well
        var board = Board(model);
        Assert.Equal(EnsembleModel.Kind, model.WinnerKind);
        var ensemble = Assert.IsType<EnsembleModel>(model.Winner);
        Assert.Contains("svm", ensemble.MemberKinds);
        Assert.Contains("svm-field", ensemble.MemberKinds);
        var record = Assert.Single(model.Summary.Trials, t => t.Winner);
        Assert.Equal("ensemble", record.Family);
        Assert.Equal(1, record.Rank);
        var bestSingle = model.Summary.Trials.Where(t => t.Family != "ensemble" && t.ValidationMacroF1 is not null).Max(t => t.ValidationMacroF1)!.Value;
        Assert.True(record.ValidationMacroF1 > bestSingle + 0.1, board);
        var probabilities = model.PredictProbabilities(data, test);
        var accuracy = test.Select((item, row) => SvmModel.ArgMax(probabilities[row]) == data.Labels[item] ? 1.0 : 0.0).Average();
        Assert.True(accuracy > 0.8, $"held-out accuracy {accuracy:F3}\n{board}");
    }

    /// <summary>
    /// A clock that only moves when a fit starts: every inner fit of an image model costs <paramref name="imageFit"/>, every
    /// other fit <paramref name="featureFit"/>, so the search's accounting is exact and the same on any machine.
    /// </summary>
    static (AutoMlOptions Options, SteppingClock Clock) Simulated(TimeSpan budget, TimeSpan featureFit, TimeSpan imageFit, int shares = 1)
    {
        var clock = new SteppingClock();
        var space = AutoMlTestData.SmallSpace with { ImageSizes = [16] };
        var options = new AutoMlOptions
        {
            TimeBudget = budget,
            MinEpochs = 1,
            Space = space,
            Clock = clock,
            BudgetShares = shares,
            Audit = a =>
            {
                if (a.Purpose is "fit" or "refit")
                    clock.Advance(a.Family.StartsWith("lipnet", StringComparison.Ordinal) ? imageFit : featureFit);
            },
        };
        return (options, clock);
    }

    [Fact]
    public void Should_run_exactly_the_image_trials_it_plans_and_throw_none_away()
    {
        // Given inner fits costing 0.5 s (SVM) and 20 s (LipNet-1) on the search's clock, and a 200 s budget
        var data = AutoMlTestData.ShapesWithFeatures(perClass: 10, seed: 3);
        var (train, _) = AutoMlTestData.OuterFold(data);
        var (options, clock) = Simulated(TimeSpan.FromSeconds(200), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(20));
        var log = new List<string>();

        // When
        using var model = new AutoMlTrainer(AutoMlTestData.Settings(options, maxEpochs: 2)).Train(data, train, AutoMlTestData.Context(log: log.Add));

        // Then the plan names as many configurations as rung 1 then ran, every trial that ran has its score, the search
        // with its refit stayed inside the budget, and it does not claim the clock ran out
        var trials = model.Summary.Trials;
        var board = Board(model, log);
        var plan = log.Select(l => PlanLine().Match(l)).Single(m => m.Success);
        var planned = int.Parse(plan.Groups["n"].Value, CultureInfo.InvariantCulture);
        Assert.Equal(planned, trials.Count(t => t.Family == "lipnet1" && t.Stage == "rung 1"));
        Assert.True(planned >= 2, board);
        Assert.All(trials, t => Assert.True(t.ValidationMacroF1 is not null, board));
        Assert.True(clock.Now <= TimeSpan.FromSeconds(200), $"{clock.Now.TotalSeconds} s\n{board}");
        Assert.NotEqual("time budget", model.Summary.Facts["automl_stopped_by"]);
        Assert.Contains(log, l => l.StartsWith($"auto: image models ran {trials.Count(t => t.Family == "lipnet1")} trial(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_say_plainly_which_budget_an_image_model_needs_when_the_budget_is_too_small()
    {
        // Given LipNet-1 inner fits of 100 s, a 60 s budget per search and 5 searches sharing the run's budget
        var data = AutoMlTestData.ShapesWithFeatures(perClass: 10, seed: 4);
        var (train, _) = AutoMlTestData.OuterFold(data);
        var (options, _) = Simulated(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(100), shares: 5);

        // When
        using var model = new AutoMlTrainer(AutoMlTestData.Settings(options, maxEpochs: 2)).Train(data, train, AutoMlTestData.Context());

        // Then the one image trial stopped at the budget's end, an SVM won, and the notes give the budget that would be
        // needed: 12 s of SVMs, then a 3 × 100 s trial and its refit of 1.25 × 300 / 2 s, rounded up to 9m; 45m for 5 searches
        var board = Board(model);
        var image = Assert.Single(model.Summary.Trials, t => t.Family == "lipnet1");
        Assert.Equal("stopped at the time budget after 1 of 3 inner folds", image.Note);
        Assert.Equal("svm", model.WinnerKind);
        Assert.Equal("time budget", model.Summary.Facts["automl_stopped_by"]);
        var notes = model.Summary.Facts["automl_notes"];
        Assert.Contains("too small for any image model", notes, StringComparison.Ordinal);
        Assert.Contains("about 9m per search", notes, StringComparison.Ordinal);
        Assert.Contains("--time-budget 45m for this run's 5 searches", notes, StringComparison.Ordinal);
        Assert.DoesNotContain(model.Summary.Trials, t => t.Family.StartsWith("svm", StringComparison.Ordinal) && t.ValidationMacroF1 is null);
        _ = board;
    }

    [GeneratedRegex(@"planning (?<n>\d+) configuration\(s\)")]
    private static partial Regex PlanLine();

    sealed class SteppingClock : TimeProvider
    {
        long ticks;

        public TimeSpan Now => TimeSpan.FromTicks(ticks);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);

        // Timers on this clock never fire: the search checks its deadlines on the clock itself, so no wall-clock timer
        // (a real fit running slowly on a loaded machine) can change what a test sees.
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new SilentTimer();

        sealed class SilentTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
