using System.Xml.Linq;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Packaging;
using AutoClassify.Reporting;
using AutoClassify.Tests.Retraining;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Packaging;

[Collection(PackagingTests.Name)]
public sealed class ModelCardTests : IDisposable
{
    readonly TempDirectory temp = new("model-card");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_write_a_card_naming_classes_counts_and_data_hash_and_show_it_as_html()
    {
        // Given an SVM trained by the CLI into a registry, with a validation split
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 12, seed: 810_000);
        var registry = temp.Combine("models");
        var trained = Run("train", data, "--name", "disks", "--registry", registry, "--grid", "coarse", "--validation", "0.3",
            "--reference", "0", "--threads", "2", "--seed", "4");
        Assert.True(trained.Code == 0, trained.Out + trained.Err);
        var package = new ModelRegistry(registry).PackagePath("disks", 1);
        var manifest = ModelPackage.ReadManifest(package);

        // When its card is read from the package
        var card = ModelPackage.ReadModelCard(package);

        // Then it names every class with its training count, the appendix's data set hash and the validation figures
        Assert.NotNull(card);
        var loaded = DatasetLoader.Load(data, new DatasetOptions { Threads = 2 });
        var hash = RunEnvironment.DatasetHash(loaded, threads: 2);
        Assert.Equal(hash, manifest.Provenance.DatasetContentSha256);
        Assert.Contains(hash, card, StringComparison.Ordinal);
        Assert.Equal(loaded.ClassNames.Count, manifest.TrainingCounts!.Count);
        for (var c = 0; c < loaded.ClassNames.Count; c++)
        {
            var count = loaded.Items.Count(i => i.Label == c);
            Assert.Equal(count, manifest.TrainingCounts[loaded.ClassNames[c]]);
            Assert.Contains($"| {loaded.ClassNames[c]} | {count} |", card, StringComparison.Ordinal);
        }
        Assert.Contains("## Validation", card, StringComparison.Ordinal);
        Assert.Contains(ReportNumber.Sig(manifest.Metrics["accuracy"].Mean), card, StringComparison.Ordinal);
        Assert.Contains("Wilson", card, StringComparison.Ordinal);

        // And models show --html writes a well-formed page with the same facts
        var page = temp.Combine("card.html");
        var shown = Run("models", "show", "disks", "--registry", registry, "--html", "--out", page);
        Assert.True(shown.Code == 0, shown.Out + shown.Err);
        var html = File.ReadAllText(page);
        var document = XDocument.Parse(html);
        Assert.Equal("html", document.Root!.Name.LocalName);
        var text = document.Root.Value;
        Assert.Contains(hash, text, StringComparison.Ordinal);
        foreach (var name in loaded.ClassNames)
            Assert.Contains(name, text, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal);
        ReportLayoutCheck.AssertReadableWithScreenshots(temp, page, "model-card");

        // And without --out the same page goes to standard output; a missing version is refused with exit code 2
        var stdout = Run("models", "show", "disks", "--registry", registry, "--html", "--version", "1");
        Assert.True(stdout.Code == 0, stdout.Err);
        Assert.Equal(html, stdout.Out);
        var missing = Run("models", "show", "disks", "--registry", registry, "--html", "--version", "7");
        Assert.Equal(2, missing.Code);
        Assert.Contains("no version 7", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_what_is_missing_when_a_package_has_no_metrics_or_counts()
    {
        // Given a package trained without a validation split
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 8, seed: 820_000);
        var trained = PackageTrainer.Train(PackagingTestData.Options(data, validation: 0));
        var path = temp.Combine("plain.acpkg");
        using (trained)
            trained.WriteTo(path);

        // When its card is read
        var card = ModelPackage.ReadModelCard(path)!;

        // Then it says there are no validation figures and no thresholds, and still names the classes
        Assert.Contains("No validation figures are recorded", card, StringComparison.Ordinal);
        Assert.Contains("Not validated", card, StringComparison.Ordinal);
        Assert.Contains("## Thresholds", card, StringComparison.Ordinal);
        foreach (var name in PackagingTestData.Classes)
            Assert.Contains($"| {name} | 8 |", card, StringComparison.Ordinal);

        // And a manifest from before counts and the content hash were recorded gets a card that says so
        var old = ModelPackage.ReadManifest(path) with { TrainingCounts = null };
        old = old with { Provenance = old.Provenance with { DatasetContentSha256 = null } };
        var oldCard = ModelCard.Markdown(old);
        Assert.Contains("Training counts per class: not recorded", oldCard, StringComparison.Ordinal);
        Assert.Contains("Data set content hash: not recorded", oldCard, StringComparison.Ordinal);
        XDocument.Parse(ModelCard.Html(old, "plain <v1> & co"));
    }
}
