using AutoClassify.Packaging;
using AutoClassify.Retraining;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Retraining;

[Collection(PackagingTests.Name)]
public sealed class PromoteIfCliTests : IDisposable
{
    readonly TempDirectory temp = new("promote-if-cli");

    public void Dispose() => temp.Dispose();

    static string[] Train(string data, string registry) =>
        ["train", data, "--name", "disks", "--registry", registry, "--grid", "coarse", "--validation", "0", "--threads", "2", "--seed", "4"];

    string[] Retrain(string batch, string registry, string rule, string report) =>
        ["retrain", "disks", "--add", batch, "--registry", registry, "--threads", "2", "--grid", "coarse", "--promote-if", rule, "--report", temp.File(report)];

    [Fact]
    public void Should_warn_of_a_small_reference_set_at_train_time_and_grow_it_refusing_images_a_version_trained_on()
    {
        // Given a name trained on 10 images per class (2 per class go to the reference set)
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 10, seed: 500_000);
        var registry = temp.Combine("models");
        var trained = Run(Train(data, registry));
        var more = temp.Combine("more");
        RetrainTestData.Write(more, "large", large: true, count: 4, seed: 510_000, prefix: "ref");
        RetrainTestData.Write(more, "small", large: false, count: 4, seed: 520_000, prefix: "ref");
        var manifest = ModelPackage.ReadManifest(new ModelRegistry(registry).PackagePath("disks", 1));
        var trainedOn = manifest.Provenance.TrainingFiles.First(f => f.Path.StartsWith("large/", StringComparison.Ordinal)).Path;
        File.Copy(Path.Combine(data, trainedOn), Path.Combine(more, "large", "seen.png"));

        // When the reference set is grown with 4 new images per class and one the model trained on
        var grown = Run("models", "grow-reference", "disks", "--add", more, "--registry", registry, "--threads", "2");

        // Then train warned naming both classes and the way out; the new images joined, the seen one was refused by name
        Assert.True(trained.Code == 0, trained.Err);
        Assert.Contains("fewer than 5 images of large (2), small (2)", trained.Out, StringComparison.Ordinal);
        Assert.Contains("models grow-reference", trained.Out, StringComparison.Ordinal);
        Assert.True(grown.Code == 0, grown.Out + grown.Err);
        Assert.Contains("refused large/seen.png: a stored version of 'disks' trained on it", grown.Out, StringComparison.Ordinal);
        Assert.Contains("large +4 = 6, small +4 = 6", grown.Out, StringComparison.Ordinal);
        Assert.Equal(12, ReferenceSet.TryRead(new ModelRegistry(registry), "disks")!.Items.Count);
    }

    [Fact]
    public void Should_refuse_a_statistically_worse_challenger_under_not_worse_and_an_indistinguishable_one_under_better()
    {
        // Given a name trained with 8 reference images per class, a batch with flipped labels and a correctly labelled batch
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 20, seed: 530_000);
        var registry = temp.Combine("models");
        Assert.Equal(0, Run([.. Train(data, registry), "--reference", "0.4"]).Code);
        var flipped = temp.Combine("flipped");
        RetrainTestData.Write(flipped, "small", large: true, count: 40, seed: 540_000, prefix: "new");
        RetrainTestData.Write(flipped, "large", large: false, count: 40, seed: 550_000, prefix: "new");
        var good = temp.Combine("good");
        RetrainTestData.Write(good, "large", large: true, count: 6, seed: 560_000, prefix: "new");
        RetrainTestData.Write(good, "small", large: false, count: 6, seed: 570_000, prefix: "new");

        // When retrained under each rule
        var worse = Run(Retrain(flipped, registry, "not-worse", "worse.html"));
        var better = Run(Retrain(good, registry, "better", "better.html"));
        var notWorse = Run(Retrain(good, registry, "not-worse", "not-worse.html"));

        // Then the flipped challenger is statistically worse (exit 4) with the changed images listed in the CSV;
        // the good one cannot be told apart from the champion: refused under 'better', promoted under 'not-worse'
        Assert.True(worse.Code == 4, worse.Out + worse.Err);
        Assert.Contains("Not promoted (--promote-if not-worse): The challenger is statistically worse", worse.Out, StringComparison.Ordinal);
        var csv = File.ReadAllLines(RetrainReport.ChangedPredictionsPath(temp.File("worse.html")));
        Assert.Equal("path,true_class,champion,challenger,effect", csv[0]);
        Assert.True(csv.Length > 8, string.Join('\n', csv));
        Assert.All(csv.Skip(1), line => Assert.EndsWith(",broken", line, StringComparison.Ordinal));
        var html = File.ReadAllText(temp.File("worse.html"));
        Assert.Contains("id=\"changed\"", html, StringComparison.Ordinal);
        Assert.Contains("Only the champion right", html, StringComparison.Ordinal);
        Assert.True(better.Code == 4, better.Out + better.Err);
        Assert.Contains("Not promoted (--promote-if better): The reference set cannot tell the two models apart", better.Out, StringComparison.Ordinal);
        Assert.True(notWorse.Code == 0, notWorse.Out + notWorse.Err);
        Assert.Contains("Promoted (--promote-if not-worse)", notWorse.Out, StringComparison.Ordinal);
        Assert.Equal(4, new ModelRegistry(registry).ChampionVersion("disks"));
    }

    [Fact]
    public void Should_exit_2_on_an_unknown_promotion_rule()
    {
        var (code, _, err) = Run("retrain", "disks", "--add", temp.Path, "--registry", temp.Combine("models"), "--promote-if", "sometimes");
        Assert.Equal(2, code);
        Assert.Contains("sometimes", err, StringComparison.Ordinal);
    }
}
