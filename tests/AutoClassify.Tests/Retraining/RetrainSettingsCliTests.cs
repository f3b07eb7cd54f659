using AutoClassify.Packaging;
using AutoClassify.Retraining;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Retraining;

[Collection(PackagingTests.Name)]
public sealed class RetrainSettingsCliTests(RetrainFixture fixture) : IClassFixture<RetrainFixture>, IDisposable
{
    readonly TempDirectory temp = new("retrain-settings-cli");

    public void Dispose() => temp.Dispose();

    string Batch()
    {
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 4, seed: 530_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 4, seed: 540_000, prefix: "new");
        return batch;
    }

    [Fact]
    public void Should_exit_2_naming_a_network_setting_given_for_an_svm_champion_before_any_training()
    {
        // Given an SVM champion
        var registry = fixture.CopyRegistry(temp.Path);

        // When it is retrained with a LipNet learning-rate warm-up
        var (code, _, err) = Run("retrain", RetrainFixture.Name, "--add", Batch(), "--registry", registry, "--threads", "2", "--lr-warmup", "0");

        // Then it stops with exit code 2, naming the option and the model, and adds no version
        Assert.Equal(2, code);
        Assert.Contains("--lr-warmup sets how a network trains, but the champion is a svm model", err, StringComparison.Ordinal);
        Assert.Single(new ModelRegistry(registry).Show(RetrainFixture.Name).Versions);
    }

    [Fact]
    public void Should_carry_the_svm_grid_and_record_an_overridden_search()
    {
        // Given an SVM champion trained on the coarse grid
        var registry = fixture.CopyRegistry(temp.Path);

        // When it is retrained with an exhaustive search
        var (code, output, err) = Run("retrain", RetrainFixture.Name, "--add", Batch(), "--registry", registry, "--threads", "2", "--force", "--svm-search", "exhaustive");

        // Then the challenger searched every cell of the champion's coarse grid, and its manifest and log say what was carried and what overridden
        Assert.True(code == 0, output + err);
        var manifest = ModelPackage.ReadManifest(new ModelRegistry(registry).PackagePath(RetrainFixture.Name, 2));
        var facts = manifest.Provenance.Facts;
        Assert.Equal(("coarse", "exhaustive"), (facts["grid"], facts["grid_search"]));
        Assert.StartsWith("grid_search exhaustive (--svm-search; champion ", facts[CarriedSetting.OverriddenFact], StringComparison.Ordinal);
        Assert.Equal("grid, inner_folds, svm_tune_max", facts[CarriedSetting.CarriedFact]);
        Assert.Contains("training settings: 3 carried from the champion; overridden: grid_search = exhaustive (--svm-search)", output, StringComparison.Ordinal);
    }
}
