using AutoClassify.Packaging;
using AutoClassify.Retraining;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Retraining;

[Collection(PackagingTests.Name)]
public sealed class RetrainTests(RetrainFixture fixture) : IClassFixture<RetrainFixture>, IDisposable
{
    readonly TempDirectory temp = new("retrain");

    public void Dispose() => temp.Dispose();

    static RetrainOptions Options(string registry, string batch, bool force = false, string name = RetrainFixture.Name, bool allowNewClasses = false) => new()
    {
        Registry = registry,
        Name = name,
        BatchPath = batch,
        Force = force,
        AllowNewClasses = allowNewClasses,
        Seed = 11,
        Threads = 2,
    };

    // Large disks filed as "small" and small ones as "large": many more than the champion's correct images.
    string FlippedBatch()
    {
        var batch = temp.Combine("flipped");
        RetrainTestData.Write(batch, "small", large: true, count: 40, seed: 20_000, prefix: "new");
        RetrainTestData.Write(batch, "large", large: false, count: 40, seed: 30_000, prefix: "new");
        return batch;
    }

    static HashSet<string> TrainingShas(ModelPackageManifest manifest) =>
        manifest.Provenance.TrainingFiles.Select(f => f.Sha256).ToHashSet(StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Should_refuse_a_challenger_trained_on_flipped_labels_and_keep_it_as_a_non_champion_version()
    {
        // Given the champion and a batch of many images with flipped labels
        var registry = fixture.CopyRegistry(temp.Path);
        var batch = FlippedBatch();

        // When the model is retrained on it
        var result = Retrainer.Run(Options(registry, batch));

        // Then both models were scored on the same reference images, the challenger is clearly worse, and it is
        // stored as version 2 while version 1 stays champion
        var reference = ReferenceSet.TryRead(new ModelRegistry(registry), RetrainFixture.Name)!;
        Assert.NotNull(result.Champion);
        Assert.NotNull(result.Challenger);
        Assert.Equal(reference.Items.Count, result.Champion.Images);
        Assert.Equal(result.Champion.Images, result.Challenger.Images);
        Assert.True(result.Champion.MacroF1 > 0.9, $"champion macro-F1 {result.Champion.MacroF1}");
        Assert.True(result.Challenger.MacroF1 < result.Champion.MacroF1 - 0.3, $"challenger macro-F1 {result.Challenger.MacroF1}");
        Assert.False(result.Promoted);
        Assert.StartsWith("Not promoted", result.Reason, StringComparison.Ordinal);
        Assert.Equal(2, result.ChallengerVersion);
        var models = new ModelRegistry(registry);
        Assert.Equal(1, models.ChampionVersion(RetrainFixture.Name));
        Assert.True(File.Exists(models.PackagePath(RetrainFixture.Name, 2)));
        Assert.Equal("refused", result.ChallengerManifest.Provenance.Facts["promotion"]);

        // And the challenger trained on the old and the new images, none of them a reference image
        Assert.Equal(result.OldImagesRecorded, result.OldImagesFound);
        Assert.Equal(80, result.BatchImagesTrained);
        var trained = TrainingShas(result.ChallengerManifest);
        Assert.DoesNotContain(reference.Items, item => trained.Contains(item.Sha256));
        Assert.Equal(reference.ToPackageReference(), result.ChallengerManifest.Provenance.Reference);

        // And the report, as the browser builds it, states the decision and shows the scores, both confusion
        // matrices and the batch check as tables, with no script
        var dom = Chromium.DumpDom(temp, result.ReportPath);
        Assert.Contains("was stored but not promoted; the champion stays version 1.", dom, StringComparison.Ordinal);
        foreach (var id in new[] { "score-table", "champion-confusion", "challenger-confusion" })
            Assert.Matches($"<table[^>]* id=\"{id}\"", dom);
        Assert.Contains("<section id=\"batch-check\">", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Should_promote_a_worse_challenger_when_forced()
    {
        // Given the same flipped batch
        var registry = fixture.CopyRegistry(temp.Path);

        // When retrained with --force
        var result = Retrainer.Run(Options(registry, FlippedBatch(), force: true));

        // Then the worse challenger becomes champion and the reason says it was forced
        Assert.True(result.Challenger!.MacroF1 < result.Champion!.MacroF1 - 0.3);
        Assert.True(result.Promoted);
        Assert.Contains("--force", result.Reason, StringComparison.Ordinal);
        Assert.Equal(2, new ModelRegistry(registry).ChampionVersion(RetrainFixture.Name));
    }

    [Fact]
    public void Should_promote_a_challenger_trained_on_more_correct_data()
    {
        // Given a correctly labeled batch
        var registry = fixture.CopyRegistry(temp.Path);
        var batch = temp.Combine("good");
        RetrainTestData.Write(batch, "large", large: true, count: 8, seed: 40_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 8, seed: 50_000, prefix: "new");

        // When retrained
        var result = Retrainer.Run(Options(registry, batch));

        // Then the challenger is not worse and becomes champion, trained on the old and the new images
        Assert.True(result.Challenger!.MacroF1 >= result.Champion!.MacroF1 - 0.01, result.Reason);
        Assert.True(result.Promoted, result.Reason);
        Assert.Equal(2, new ModelRegistry(registry).ChampionVersion(RetrainFixture.Name));
        Assert.Equal(result.OldImagesFound + 16, result.TrainingCounts.Sum());
        Assert.Equal(2, result.ChallengerManifest.Provenance.DataRoots.Count);
    }

    [Fact]
    public void Should_retrain_from_the_old_images_still_on_disk_and_warn_about_the_missing_ones()
    {
        // Given a champion whose data folder then loses four of its training images
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 10, seed: 60_000);
        var registry = temp.Combine("models");
        RetrainTestData.TrainFirstVersion(new ModelRegistry(registry), "m", RetrainTestData.SvmOptions(data));
        var champion = ModelPackage.ReadManifest(new ModelRegistry(registry).ResolveChampion("m"));
        var deleted = champion.Provenance.TrainingFiles.Take(4).Select(f => Path.Combine(data, f.Path)).ToList();
        deleted.ForEach(File.Delete);
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 4, seed: 70_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 4, seed: 80_000, prefix: "new");

        // When retrained
        var result = Retrainer.Run(Options(registry, batch, name: "m"));

        // Then the missing files are named in a warning and the challenger trained on the rest plus the batch
        Assert.Equal(champion.Provenance.TrainingFiles.Count - 4, result.OldImagesFound);
        var warning = Assert.Single(result.DataWarnings, w => w.Contains("no longer on disk", StringComparison.Ordinal));
        Assert.Contains(deleted[0], warning, StringComparison.Ordinal);
        Assert.Equal(result.OldImagesFound + 8, result.TrainingCounts.Sum());
    }

    [Fact]
    public void Should_train_on_the_batch_alone_with_a_warning_when_no_old_image_is_left()
    {
        // Given a champion whose whole data folder is gone
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 8, seed: 90_000);
        var registry = temp.Combine("models");
        RetrainTestData.TrainFirstVersion(new ModelRegistry(registry), "m", RetrainTestData.SvmOptions(data, referenceShare: 0));
        Directory.Delete(data, recursive: true);
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 8, seed: 91_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 8, seed: 92_000, prefix: "new");

        // When retrained
        var result = Retrainer.Run(Options(registry, batch, name: "m"));

        // Then it says so and trains on the batch alone; without a reference set it drew one from the batch
        Assert.Equal(0, result.OldImagesFound);
        Assert.Contains(result.DataWarnings, w => w.Contains("new batch alone", StringComparison.Ordinal));
        Assert.Contains(result.DataWarnings, w => w.Contains("no reference set", StringComparison.Ordinal));
        var reference = ReferenceSet.TryRead(new ModelRegistry(registry), "m")!;
        Assert.Equal(reference.Items.Count, result.Challenger!.Images);
        Assert.Equal(16 - reference.Items.Count, result.TrainingCounts.Sum());
        Assert.DoesNotContain(reference.Items, item => TrainingShas(result.ChallengerManifest).Contains(item.Sha256));
    }

    [Fact]
    public void Should_add_a_new_class_only_when_allowed_and_hold_some_of_it_out_as_reference()
    {
        // Given a batch with a third class
        var registry = fixture.CopyRegistry(temp.Path);
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 4, seed: 93_000, prefix: "new");
        RetrainTestData.Write(batch, "medium", large: false, count: 8, seed: 94_000, prefix: "mid");

        // When retrained without and with --allow-new-classes
        var refused = Assert.Throws<BatchCheckException>(() => Retrainer.Run(Options(registry, batch)));
        var result = Retrainer.Run(Options(registry, batch, force: true, allowNewClasses: true));

        // Then the first stops before training, naming the class; the second learns it and extends the reference set
        var error = Assert.Single(refused.Report.Errors);
        Assert.Equal(BatchFindingKind.UnknownClass, error.Kind);
        Assert.Equal("medium/", error.Location);
        Assert.Contains("--allow-new-classes", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["large", "medium", "small"], result.ClassNames);
        Assert.Contains(result.Check.Findings, f => f.Kind == BatchFindingKind.NewClass);
        Assert.NotNull(result.NewClassAccuracy);
        var reference = ReferenceSet.TryRead(new ModelRegistry(registry), RetrainFixture.Name)!;
        Assert.Contains(reference.Items, i => i.ClassName == "medium");
        Assert.DoesNotContain(reference.Items, item => TrainingShas(result.ChallengerManifest).Contains(item.Sha256));
    }
}
