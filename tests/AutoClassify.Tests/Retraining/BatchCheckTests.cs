using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Retraining;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Retraining;

[Collection(PackagingTests.Name)]
public sealed class BatchCheckTests(RetrainFixture fixture) : IClassFixture<RetrainFixture>, IDisposable
{
    readonly TempDirectory temp = new("batchcheck");

    public void Dispose() => temp.Dispose();

    string TrainingImage(string className)
    {
        var champion = ModelPackage.ReadManifest(new ModelRegistry(fixture.Registry).ResolveChampion(RetrainFixture.Name));
        var file = champion.Provenance.TrainingFiles.First(f => f.Path.StartsWith(className + "/", StringComparison.Ordinal));
        return Path.Combine(fixture.Dataset, file.Path);
    }

    [Fact]
    public void Should_list_every_planted_duplicate_and_conflict_at_once_and_train_nothing()
    {
        // Given a batch of fresh images plus planted problems: an exact copy of a training image under its own class,
        // a noisy re-encoded copy of another, an exact copy filed under the other class, a noisy copy under the
        // other class, and a copy of a batch image under both classes
        var registry = fixture.CopyRegistry(temp.Path);
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 6, seed: 200_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 6, seed: 210_000, prefix: "new");
        var large = TrainingImage("large");
        var small = TrainingImage("small");
        File.Copy(large, Path.Combine(batch, "large", "exact.png"));
        RetrainTestData.WriteNoisyCopy(small, Path.Combine(batch, "small", "near.jpg"), seed: 1);
        File.Copy(large, Path.Combine(batch, "small", "conflict.png"));
        RetrainTestData.WriteNoisyCopy(small, Path.Combine(batch, "large", "near-conflict.jpg"), seed: 2);
        File.Copy(Path.Combine(batch, "large", "new_000.png"), Path.Combine(batch, "small", "twin.png"));

        // When the model is retrained on it
        var thrown = Assert.Throws<BatchCheckException>(() => Retrainer.Run(new RetrainOptions
        {
            Registry = registry,
            Name = RetrainFixture.Name,
            BatchPath = batch,
            Threads = 2,
        }));

        // Then every planted case is reported, the conflicts as errors naming both files, and nothing was stored
        var findings = thrown.Report.Findings;
        var exact = Assert.Single(findings, f => f.Location == "large/exact.png");
        Assert.Equal(BatchFindingKind.ExactDuplicate, exact.Kind);
        Assert.Contains(large, exact.Message, StringComparison.Ordinal);
        var near = Assert.Single(findings, f => f.Location == "small/near.jpg");
        Assert.Equal(BatchFindingKind.NearDuplicate, near.Kind);
        Assert.Equal(ProblemSeverity.Warning, near.Severity);
        foreach (var location in new[] { "small/conflict.png", "large/near-conflict.jpg", "small/twin.png" })
        {
            var conflict = Assert.Single(findings, f => f.Location == location);
            Assert.Equal(BatchFindingKind.LabelConflict, conflict.Kind);
            Assert.Equal(ProblemSeverity.Error, conflict.Severity);
        }
        Assert.Equal(3, thrown.Report.Errors.Count());
        Assert.Contains("large/new_000.png", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("small/conflict.png", thrown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(findings, f => f.Location.StartsWith("large/new_", StringComparison.Ordinal) || f.Location.StartsWith("small/new_", StringComparison.Ordinal));
        Assert.False(File.Exists(new ModelRegistry(registry).PackagePath(RetrainFixture.Name, 2)));
    }

    [Fact]
    public void Should_leave_exact_copies_and_near_copies_of_reference_images_out_of_training()
    {
        // Given a clean batch plus an exact copy of a training image and a noisy copy of a reference image, each under its own class
        var registry = fixture.CopyRegistry(temp.Path);
        var reference = ReferenceSet.TryRead(new ModelRegistry(registry), RetrainFixture.Name)!;
        var referenceImage = reference.Items.First(i => i.ClassName == "small");
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 5, seed: 220_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 5, seed: 230_000, prefix: "new");
        File.Copy(TrainingImage("large"), Path.Combine(batch, "large", "exact.png"));
        RetrainTestData.WriteNoisyCopy(referenceImage.FullPath, Path.Combine(batch, "small", "near-reference.jpg"), seed: 3);

        // When retrained
        var result = Retrainer.Run(new RetrainOptions { Registry = registry, Name = RetrainFixture.Name, BatchPath = batch, Threads = 2, Force = true });

        // Then both copies are warned about and left out; the ten fresh images are trained on
        Assert.Equal(BatchFindingKind.ExactDuplicate, Assert.Single(result.Check.Findings, f => f.Location == "large/exact.png").Kind);
        var near = Assert.Single(result.Check.Findings, f => f.Location == "small/near-reference.jpg");
        Assert.Equal(BatchFindingKind.NearDuplicate, near.Kind);
        Assert.Contains("reference", near.Message, StringComparison.Ordinal);
        Assert.Equal(12, result.BatchImages);
        Assert.Equal(10, result.BatchImagesTrained);
        Assert.Equal(2, result.Check.LeftOut.Count);
    }

    static CheckedImage Image(string name, string className, ulong hash, double mean, double std, ImageOrigin origin) =>
        new(name, className, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), hash, mean, std, origin);

    [Fact]
    public void Should_warn_about_class_balance_and_intensity_drift()
    {
        // Given old data balanced between two classes with steady brightness, and a batch of only one class that is much brighter
        var random = new Random(5);
        ulong Hash() => (ulong)random.NextInt64();
        var existing = Enumerable.Range(0, 20).Select(i => Image($"old{i}", i % 2 == 0 ? "a" : "b", Hash(), 0.4 + 0.01 * (i % 5), 0.1, ImageOrigin.Training)).ToList();
        var batch = Enumerable.Range(0, 6).Select(i => Image($"new{i}", "a", Hash(), 0.7, 0.1, ImageOrigin.Batch)).ToList();

        // When checked
        var report = BatchCheck.Run(existing, batch, ["a", "b"]);

        // Then both drifts are warnings, with the figures
        Assert.False(report.HasErrors);
        var balance = Assert.Single(report.Findings, f => f.Kind == BatchFindingKind.BalanceDrift);
        Assert.Contains("a 50% → 100%", balance.Message, StringComparison.Ordinal);
        var intensity = Assert.Single(report.Findings, f => f.Kind == BatchFindingKind.IntensityDrift);
        Assert.Equal("a/", intensity.Location);
        Assert.Contains("0.700", intensity.Message, StringComparison.Ordinal);
        Assert.Equal(ProblemSeverity.Warning, intensity.Severity);
    }

    [Fact]
    public void Should_report_no_drift_for_a_batch_like_the_old_data()
    {
        // Given old data and a batch drawn the same way
        var random = new Random(6);
        var existing = Enumerable.Range(0, 20).Select(i => Image($"old{i}", i % 2 == 0 ? "a" : "b", (ulong)random.NextInt64(), 0.4 + 0.02 * random.NextDouble(), 0.1, ImageOrigin.Training)).ToList();
        var batch = Enumerable.Range(0, 6).Select(i => Image($"new{i}", i % 2 == 0 ? "a" : "b", (ulong)random.NextInt64(), 0.4 + 0.02 * random.NextDouble(), 0.1, ImageOrigin.Batch)).ToList();

        // When checked
        var report = BatchCheck.Run(existing, batch, ["a", "b"]);

        // Then there is nothing to report
        Assert.Empty(report.Findings);
    }

    [Fact]
    public void Should_give_a_noisy_re_encoded_copy_a_close_perceptual_hash_and_other_images_a_far_one()
    {
        // Given an image, a noisy JPEG copy of it and twenty other images of the same class
        var original = temp.File("original.png");
        PngWriter.Write(original, RetrainTestData.Image(large: true, seed: 1));
        var copy = temp.File("copy.jpg");
        RetrainTestData.WriteNoisyCopy(original, copy, seed: 9);
        var hash = PerceptualHash.Compute(ImageCodec.Decode(original));

        // When hashed
        var copyDistance = PerceptualHash.Distance(hash, PerceptualHash.Compute(ImageCodec.Decode(copy)));
        var others = Enumerable.Range(2, 20).Select(s => PerceptualHash.Distance(hash, PerceptualHash.Compute(RetrainTestData.Image(large: true, seed: s)))).ToList();

        // Then the copy is within the default near-duplicate distance and every other image well beyond it
        Assert.InRange(copyDistance, 0, BatchCheckOptions.Defaults.NearDuplicateDistance);
        Assert.All(others, d => Assert.True(d > BatchCheckOptions.Defaults.NearDuplicateDistance, $"distance {d}"));
    }
}
