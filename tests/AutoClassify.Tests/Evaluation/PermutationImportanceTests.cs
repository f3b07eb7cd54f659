using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Features;
using AutoClassify.MLNet;
using AutoClassify.Models;

namespace AutoClassify.Tests.Evaluation;

public sealed class PermutationImportanceTests
{
    /// <summary>Two classes told apart by feature <c>signal</c> alone; <c>noise1</c> and <c>noise2</c> are pure noise.</summary>
    static TrainingData SignalAndNoise(int count, int seed)
    {
        var random = new Random(seed);
        var labels = Enumerable.Range(0, count).Select(i => i % 3 == 0 ? 1 : 0).ToArray();
        var rows = labels.Select(l => new[] { l * 3 + random.NextDouble(), random.NextDouble(), random.NextDouble() }).ToArray();
        return new TrainingData
        {
            ClassNames = ["a", "b"],
            Labels = labels,
            Features = new FeatureMatrix(["signal", "noise1", "noise2"], rows),
        };
    }

    [Theory]
    [InlineData("svm")]
    [InlineData("maxent")]
    public void Should_rank_the_only_informative_feature_first_and_repeat_from_the_seed(string name)
    {
        // Given a model fitted on a training part where only 'signal' separates the classes
        MLNetModels.Register();
        var data = SignalAndNoise(90, 1);
        var assignment = StratifiedKFold.Assign(data.Labels, 3, 2);
        var (train, test) = StratifiedKFold.Split(assignment, 0);
        using var model = ModelCatalog.Create(name, new ModelSettings { Grid = "coarse" }).Train(data, train, new TrainingContext { Seed = 1, Threads = 2 });

        // When the importance is computed on the test part twice
        var first = PermutationImportance.Compute(model, data, ModelInput.Features, test, seed: 7);
        var second = PermutationImportance.Compute(model, data, ModelInput.Features, test, seed: 7);

        // Then shuffling 'signal' costs most of the macro-F1, the noise features next to nothing, and the numbers repeat
        Assert.Equal(first, second);
        Assert.True(first["signal"] > 0.3, $"signal drop {first["signal"]:F3}");
        Assert.InRange(first["noise1"], -0.1, 0.1);
        Assert.InRange(first["noise2"], -0.1, 0.1);
        Assert.Equal(3, first.Count);
    }

    [Fact]
    public void Should_give_the_same_importance_on_one_thread_and_on_several()
    {
        // Given an SVM, whose prediction may run on several threads at once
        var data = SignalAndNoise(90, 5);
        var assignment = StratifiedKFold.Assign(data.Labels, 3, 2);
        var (train, test) = StratifiedKFold.Split(assignment, 0);
        using var model = ModelCatalog.Create("svm", new ModelSettings { Grid = "coarse" }).Train(data, train, new TrainingContext { Seed = 1, Threads = 2 });
        Assert.True(model.ConcurrentPrediction);

        // When the importance is computed serially and with features scored in parallel
        var serial = PermutationImportance.Compute(model, data, ModelInput.Features, test, seed: 3, threads: 1);
        var parallel = PermutationImportance.Compute(model, data, ModelInput.Features, test, seed: 3, threads: 3);

        // Then every feature's drop is the same to the last bit, and 'signal' still ranks first
        Assert.Equal(serial, parallel);
        Assert.Equal("signal", parallel.MaxBy(p => p.Value).Key);
    }

    [Fact]
    public void Should_leave_the_data_it_permutes_untouched()
    {
        var data = SignalAndNoise(30, 3);
        var copy = data.Features!.Rows.Select(r => (double[])r.Clone()).ToArray();
        using var model = ModelCatalog.Create("svm", new ModelSettings { Grid = "coarse" }).Train(data, [.. Enumerable.Range(0, 20)], new TrainingContext { Seed = 1 });
        PermutationImportance.Compute(model, data, ModelInput.Features, [.. Enumerable.Range(20, 10)], seed: 1);
        Assert.Equal(copy, data.Features.Rows);
    }
}
