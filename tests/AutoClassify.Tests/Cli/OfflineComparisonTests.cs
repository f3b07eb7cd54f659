using System.Diagnostics;
using AutoClassify.Dataset.Synthesis;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Cli;

/// <summary>
/// <c>samples/offline-comparison.sh</c>, the shipped demo, run as a user runs it (a bash process calling the built CLI) on a
/// small generated liposome set, with every proxy pointing at a closed port so that any download would fail.
/// </summary>
public sealed class OfflineComparisonTests : IDisposable
{
    static readonly string[] Arms = ["svm", "lipnet4", "resnet18-mlnet-frozen", "resnet18-mlnet-frozen-svm"];

    readonly TempDirectory temp = new("offline-comparison");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Should_compare_svm_lipnet_and_imagenet_transfer_on_the_same_folds_without_a_network()
    {
        // Given 30 generated liposome crops in three classes and no way to reach a network
        var data = temp.Combine("lipo");
        LiposomeSynthesizer.Generate(data, new LiposomeSynthesisOptions { Count = 30, MinPerClass = 8, Seed = 3, MaxDegreeOfParallelism = 2 });
        var outDir = temp.Combine("report");

        // When the demo script runs with two folds and tiny epochs
        var (code, stdout, stderr) = await RunScript(data, "--out", outDir, "--folds", "2", "--seed", "3",
            "--epochs", "3", "--grid", "coarse", "--feature-cache", "none", "--threads", "2");

        // Then it succeeds and prints where the report is
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains($"Report: {outDir}/index.html", stdout, StringComparison.Ordinal);

        // And every arm has scores on both folds and an out-of-fold prediction with finite probabilities for every image
        var result = ResultsJson.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal(Arms, result.Models.Select(m => m.Name));
        Assert.Equal(2, result.Settings.Folds);
        foreach (var model in result.Models)
        {
            Assert.Equal(2, model.Folds.Count);
            Assert.All(model.Folds, f =>
            {
                Assert.InRange(f.Metrics.Accuracy, 0, 1);
                Assert.InRange(f.Metrics.MacroF1, 0, 1);
                Assert.True(double.IsFinite(f.Metrics.LogLoss), $"{model.Name} fold {f.Fold}: log loss {f.Metrics.LogLoss}");
                Assert.True(f.Metrics.Count > 0);
            });
            Assert.Equal(result.Items.Count, model.Predictions.Count);
            Assert.All(model.Predictions, p => Assert.Equal(1.0, p.Probabilities.Sum(), 1e-6));
            Assert.True(double.IsFinite(model.Aggregate.Accuracy.Mean), $"{model.Name}: no aggregate accuracy");
        }

        // And the paired statistics compare every pair of arms on the same images
        var comparisons = result.Evidence!.Comparisons;
        Assert.Equal(Arms.Length * (Arms.Length - 1) / 2, comparisons.Count);
        foreach (var (first, i) in Arms.Select((a, i) => (a, i)))
        {
            foreach (var second in Arms.Skip(i + 1))
            {
                var pair = Assert.Single(comparisons, c => c.First == first && c.Second == second);
                Assert.InRange(pair.McNemar.PValue, 0, 1);
                Assert.InRange(pair.McNemarAdjustedP, 0, 1);
                Assert.False(string.IsNullOrWhiteSpace(pair.Verdict));
            }
        }

        // And the report names the SVM, the LipNet and the ImageNet transfer arms
        var html = File.ReadAllText(Path.Combine(outDir, "index.html"));
        foreach (var arm in Arms)
            Assert.Contains(">" + arm + "<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_another_model_list_with_exit_code_2()
    {
        // Given the demo, whose arms are fixed
        // When it is asked for other models
        var (code, _, stderr) = await RunScript(temp.Combine("none"), "--models", "svm");

        // Then it stops before any work, naming its own list
        Assert.Equal(2, code);
        Assert.Contains("resnet18-mlnet-frozen", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("none")));
    }

    static async Task<(int Code, string Out, string Err)> RunScript(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "samples", "offline-comparison.sh"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // The built configuration the test itself runs from; any download would go to a closed port.
        start.Environment["CONFIGURATION"] = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        foreach (var proxy in new[] { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy" })
            start.Environment[proxy] = "http://127.0.0.1:9";
        start.Environment.Remove("no_proxy");
        start.Environment.Remove("NO_PROXY");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
            await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output, await error);
    }
}
