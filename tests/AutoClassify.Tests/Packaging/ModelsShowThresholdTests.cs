using AutoClassify.Packaging;
using AutoClassify.Tests.Retraining;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Packaging;

[Collection(PackagingTests.Name)]
public sealed class ModelsShowThresholdTests : IDisposable
{
    readonly TempDirectory temp = new("models-show");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_print_each_class_threshold_with_its_expected_coverage()
    {
        // Given a model trained with thresholds derived for precision 0.9
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 14, seed: 700_000);
        var registry = temp.Combine("models");
        var trained = Run("train", data, "--name", "disks", "--registry", registry, "--grid", "coarse", "--validation", "0.3", "--threshold", "auto:0.9",
            "--reference", "0", "--threads", "2", "--seed", "4");
        Assert.True(trained.Code == 0, trained.Out + trained.Err);

        // When shown
        var (code, stdout, stderr) = Run("models", "show", "disks", "--registry", registry);

        // Then one row per class gives the stored threshold and the manifest's expected coverage and precision
        Assert.True(code == 0, stderr);
        Assert.Contains("Thresholds of v1", stdout, StringComparison.Ordinal);
        Assert.Contains("expected coverage", stdout, StringComparison.Ordinal);
        var manifest = ModelPackage.ReadManifest(new ModelRegistry(registry).PackagePath("disks", 1));
        foreach (var name in manifest.ClassNames)
        {
            var estimate = manifest.ThresholdEstimates![name];
            var row = stdout.Split('\n').Single(l => l.Contains(" " + name + " ", StringComparison.Ordinal) && l.Contains('%', StringComparison.Ordinal));
            Assert.Contains(manifest.Thresholds[name].ToString("F3", System.Globalization.CultureInfo.InvariantCulture), row, StringComparison.Ordinal);
            Assert.Contains(estimate.ExpectedCoverage.ToString("P1", System.Globalization.CultureInfo.InvariantCulture), row, StringComparison.Ordinal);
        }
    }
}
