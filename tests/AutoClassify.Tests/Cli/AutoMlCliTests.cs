using AutoClassify.Packaging;
using AutoClassify.Reporting;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Cli;

[Collection(TorchTests.Name)]
public class AutoMlCliTests
{
    [Fact]
    public void Should_benchmark_auto_with_a_leaderboard_per_fold_and_repeat_it_from_the_seed()
    {
        // Given a small copy of the shipped liposome set
        using var dir = new TempDirectory("automl-cli");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 10);

        // When AutoML runs twice with a trial cap and no clock limit
        var first = Run("benchmark", data, "--auto", "--max-trials", "5", "--folds", "3", "--seed", "5", "--threads", "2", "--out", dir.Combine("a"));
        var second = Run("benchmark", data, "--auto", "--max-trials", "5", "--folds", "3", "--seed", "5", "--threads", "2", "--out", dir.Combine("b"));

        // Then each outer fold ran exactly 5 trials, the report shows the leaderboards, and both runs agree
        Assert.True(first.Code == 0, first.Err);
        Assert.True(second.Code == 0, second.Err);
        var result = ResultsJson.Read(dir.Combine("a", "results.json"));
        var model = Assert.Single(result.Models);
        Assert.Equal("auto", model.Name);
        // The ensemble step adds a record to the leaderboard but fits nothing new, so it is no trial of the cap.
        Assert.All(model.Folds, f => Assert.Equal(5, f.Training.Trials.Count(t => t.Stage != "ensemble")));
        Assert.All(model.Folds, f => Assert.Single(f.Training.Trials, t => t.Winner));
        Assert.Contains("AutoML leaderboard", File.ReadAllText(dir.Combine("a", "index.html")), StringComparison.Ordinal);
        Assert.Contains("fold 3:", first.Out, StringComparison.Ordinal);
        var again = ResultsJson.Read(dir.Combine("b", "results.json"));
        Assert.Equal(
            model.Folds.SelectMany(f => f.Training.Trials).Select(t => (t.Family, t.FormatSettings(), t.ValidationMacroF1, t.Rank)),
            again.Models[0].Folds.SelectMany(f => f.Training.Trials).Select(t => (t.Family, t.FormatSettings(), t.ValidationMacroF1, t.Rank)));
        Assert.Equal(File.ReadAllText(dir.Combine("a", "predictions.csv")), File.ReadAllText(dir.Combine("b", "predictions.csv")));
    }

    [Theory]
    [InlineData("--time-budget", "30", "'30' is not a duration")]
    [InlineData("--time-budget", "1.5h", "'1.5h' is not a duration")]
    [InlineData("--max-trials", "0", "--max-trials must be at least 1")]
    public void Should_reject_a_bad_budget_or_trial_cap_with_a_clear_message(string option, string value, string message)
    {
        using var dir = new TempDirectory("automl-cli");
        TestImages.WriteClass(dir.Path, "a", 5);
        TestImages.WriteClass(dir.Path, "b", 5);

        var (code, _, stderr) = Run("benchmark", dir.Path, "--auto", option, value, "--out", dir.Combine("out"));

        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Should_refuse_a_time_budget_when_no_automl_runs()
    {
        using var dir = new TempDirectory("automl-cli");
        TestImages.WriteClass(dir.Path, "a", 5);
        TestImages.WriteClass(dir.Path, "b", 5);

        var (code, _, stderr) = Run("benchmark", dir.Path, "--models", "svm", "--time-budget", "5m", "--out", dir.Combine("out"));

        Assert.Equal(2, code);
        Assert.Contains("apply to AutoML", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_package_the_winner_of_train_auto_with_the_search_in_its_manifest()
    {
        // Given a small data set and an empty registry
        using var dir = new TempDirectory("automl-cli");
        var data = PackagingTestData.WriteDataset(dir.Combine("data"), perClass: 8);
        var registry = dir.Combine("models");

        // When train --auto searches all the data with a cap of 6 trials
        var (code, stdout, stderr) = Run("train", data, "--auto", "--max-trials", "6", "--validation", "0", "--name", "auto-disks", "--registry", registry, "--seed", "3", "--threads", "2");

        // Then the package holds the winner under its own kind, the manifest lists the search, and it predicts
        Assert.True(code == 0, stderr);
        Assert.Contains("version 1", stdout, StringComparison.Ordinal);
        Assert.Contains("AutoML chose svm-", stdout, StringComparison.Ordinal);
        using var package = ModelPackage.Open(new ModelRegistry(registry).ResolveChampion("auto-disks"));
        var search = package.Manifest.AutoMl;
        Assert.NotNull(search);
        Assert.Equal(6, search.Trials.Count(t => t.Stage != "ensemble"));
        Assert.Equal(search.Winner == "ensemble" ? "ensemble" : "svm", package.Manifest.ModelKind);
        Assert.Equal(search.Winner, Assert.Single(search.Trials, t => t.Winner).Family);
        Assert.Equal(search.Winner, package.Manifest.Provenance.Facts["automl_winner"]);
        var predictions = PackagePredictor.Predict(package, PackagePredictor.CollectInputs([data])).ToList();
        Assert.Equal(16, predictions.Count);
        Assert.All(predictions, p => Assert.Equal(1.0, p.Probabilities.Sum(), 6));
    }
}
