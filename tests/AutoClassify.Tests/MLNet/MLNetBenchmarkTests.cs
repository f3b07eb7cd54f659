using System.Text.Json;
using AutoClassify.MLNet;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.MLNet;

[Collection(PackagingTests.Name)]
public sealed class MLNetBenchmarkTests : IDisposable
{
    readonly TempDirectory temp = new("mlnet-bench");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_benchmark_the_mlnet_baselines_beside_the_svm_on_the_same_folds()
    {
        // Given a small two-class data set
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 12);
        var output = temp.Combine("report");

        // When the SVM and two ML.NET baselines are benchmarked together
        var (code, _, err) = Run("benchmark", data, "--models", "svm,maxent,lightgbm", "--folds", "3", "--grid", "coarse", "--threads", "2",
            "--seed", "3", "--out", output);

        // Then every model has a result on every fold, the baselines record their tuned settings, and every image sits
        // in the same fold for each model
        Assert.True(code == 0, err);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json")));
        var models = results.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["svm", "maxent", "lightgbm"], models.Select(m => m.GetProperty("name").GetString()));
        foreach (var model in models.Skip(1))
        {
            var folds = model.GetProperty("folds").EnumerateArray().ToList();
            Assert.Equal(3, folds.Count);
            Assert.All(folds, f => Assert.True(f.GetProperty("training").GetProperty("facts").TryGetProperty("inner_cv_macro_f1", out _)));
            Assert.All(folds, f => Assert.Equal(MLNetTrainer.MLNetVersion, f.GetProperty("training").GetProperty("facts").GetProperty("mlnet").GetString()));
            var accuracy = model.GetProperty("aggregate").ToString();
            Assert.Contains("accuracy", accuracy, StringComparison.OrdinalIgnoreCase);
        }
        // and the report shows a feature-importance table for every feature model
        var html = File.ReadAllText(Path.Combine(output, "index.html"));
        foreach (var index in new[] { 0, 1, 2 })
            Assert.Contains($"id=\"m{index}-importance\"", html, StringComparison.Ordinal);
        Assert.All(models, m => Assert.All(m.GetProperty("folds").EnumerateArray(),
            f => Assert.Equal(AutoClassify.Features.HandcraftedFeatures.Names.Count, f.GetProperty("training").GetProperty("permutationImportance").EnumerateObject().Count())));
        var rows = File.ReadAllLines(Path.Combine(output, "predictions.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var foldsByModel = rows.GroupBy(r => r[0]).ToDictionary(g => g.Key, g => g.OrderBy(r => r[1], StringComparer.Ordinal).Select(r => r[2]).ToArray());
        Assert.Equal(foldsByModel["svm"], foldsByModel["maxent"]);
        Assert.Equal(foldsByModel["svm"], foldsByModel["lightgbm"]);
        var correct = rows.Where(r => r[0] != "svm").Count(r => r[3] == r[4]);
        Assert.True(correct >= 40, $"{correct} of 48 baseline predictions correct");
    }
}
