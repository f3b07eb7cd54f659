using AutoClassify.Packaging;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Retraining;

[Collection(PackagingTests.Name)]
public sealed class RetrainCliTests : IDisposable
{
    readonly TempDirectory temp = new("retrain-cli");

    public void Dispose() => temp.Dispose();

    static string[] Train(string data, string registry) =>
        ["train", data, "--name", "disks", "--registry", registry, "--grid", "coarse", "--validation", "0", "--threads", "2", "--seed", "4"];

    [Fact]
    public void Should_hold_out_a_reference_set_when_a_name_is_first_trained_and_keep_it_for_later_versions()
    {
        // Given a data set and an empty registry
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 10, seed: 400_000);
        var registry = temp.Combine("models");

        // When the name is trained twice on the same data
        var first = Run(Train(data, registry));
        var referencePath = ReferenceSet.PathIn(new ModelRegistry(registry), "disks");
        var firstReference = File.ReadAllText(referencePath);
        var second = Run(Train(data, registry));

        // Then the first run drew a stratified reference set that neither version trained on, and the second kept it
        Assert.True(first.Code == 0, first.Err);
        Assert.True(second.Code == 0, second.Err);
        Assert.Contains("Reference set: 4 images held out", first.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Reference set:", second.Out, StringComparison.Ordinal);
        Assert.Equal(firstReference, File.ReadAllText(referencePath));
        var models = new ModelRegistry(registry);
        var reference = ReferenceSet.TryRead(models, "disks")!;
        Assert.Equal([2, 2], reference.Items.GroupBy(i => i.ClassName).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Count()));
        foreach (var version in new[] { 1, 2 })
        {
            var manifest = ModelPackage.ReadManifest(models.PackagePath("disks", version));
            Assert.Equal(16, manifest.Provenance.TrainingFiles.Count);
            Assert.DoesNotContain(manifest.Provenance.TrainingFiles, f => reference.Contains(f.Sha256));
            Assert.Equal(reference.ToPackageReference(), manifest.Provenance.Reference);
            Assert.Equal([Path.GetFullPath(data)], manifest.Provenance.DataRoots);
            Assert.Equal("crop", manifest.Preprocessing.BannerMode);
        }
    }

    [Fact]
    public void Should_exit_4_when_the_challenger_is_refused_and_0_when_forced()
    {
        // Given a trained name and a batch with flipped labels
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 10, seed: 410_000);
        var registry = temp.Combine("models");
        Assert.Equal(0, Run(Train(data, registry)).Code);
        var batch = temp.Combine("flipped");
        RetrainTestData.Write(batch, "small", large: true, count: 30, seed: 420_000, prefix: "new");
        RetrainTestData.Write(batch, "large", large: false, count: 30, seed: 430_000, prefix: "new");
        var report = temp.File("comparison.html");

        // When retrained, then retrained with --force
        var refused = Run("retrain", "disks", "--add", batch, "--registry", registry, "--threads", "2", "--report", report);
        var forced = Run("retrain", "disks", "--add", batch, "--registry", registry, "--threads", "2", "--force");

        // Then the first run stores v2 without promoting it and exits 4, printing both scores and the reason;
        // the forced run stores v3 as champion and exits 0
        Assert.True(refused.Code == 4, refused.Out + refused.Err);
        Assert.Contains("champion v1 macro-F1", refused.Out, StringComparison.Ordinal);
        Assert.Contains("challenger v2 macro-F1", refused.Out, StringComparison.Ordinal);
        Assert.Contains("Not promoted", refused.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(report));
        ReportLayoutCheck.AssertReadableWithScreenshots(temp, report, "retrain");
        Assert.True(forced.Code == 0, forced.Out + forced.Err);
        Assert.Contains("Promoted by --force", forced.Out, StringComparison.Ordinal);
        Assert.Equal(3, new ModelRegistry(registry).ChampionVersion("disks"));
        Assert.True(File.Exists(Path.Combine(registry, "disks", "v3", "retrain-report.html")));
        // And the retrained package carries a model card with its own training counts, data hash and origin
        var v3 = ModelPackage.ReadManifest(new ModelRegistry(registry).PackagePath("disks", 3));
        var card = ModelPackage.ReadModelCard(new ModelRegistry(registry).PackagePath("disks", 3))!;
        Assert.Equal(v3.Provenance.TrainingFiles.Count, v3.TrainingCounts!.Values.Sum());
        Assert.Contains(v3.Provenance.DatasetContentSha256!, card, StringComparison.Ordinal);
        Assert.Contains("retrained from | v1", card, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_exit_2_naming_the_unknown_class_before_any_training()
    {
        // Given a trained name and a batch with a class it does not know
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 10, seed: 440_000);
        var registry = temp.Combine("models");
        Assert.Equal(0, Run(Train(data, registry)).Code);
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "huge", large: true, count: 3, seed: 450_000, prefix: "new");

        // When retrained
        var (code, _, err) = Run("retrain", "disks", "--add", batch, "--registry", registry, "--threads", "2");

        // Then it stops with exit code 2 and a message naming the class folder and its files; no version was added
        Assert.Equal(2, code);
        Assert.Contains("huge/", err, StringComparison.Ordinal);
        Assert.Contains("huge/new_000.png", err, StringComparison.Ordinal);
        Assert.Contains("--allow-new-classes", err, StringComparison.Ordinal);
        Assert.Single(new ModelRegistry(registry).Show("disks").Versions);
    }
}
