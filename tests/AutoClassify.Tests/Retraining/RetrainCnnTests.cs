using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Retraining;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Retraining;

[Collection(TorchTests.Name)]
public sealed class RetrainCnnTests : IDisposable
{
    readonly TempDirectory temp = new("retrain-cnn");

    public void Dispose() => temp.Dispose();

    static double[][] ReferenceProbabilities(ModelRegistry registry, string name, int version)
    {
        var reference = ReferenceSet.TryRead(registry, name)!;
        using var package = ModelPackage.Open(registry.PackagePath(name, version));
        return [.. PackagePredictor.Predict(package, reference.Items.Select(i => i.FullPath).ToList(), new PredictionOptions { Threads = 2 }).Select(p => p.Probabilities)];
    }

    static double MaxDifference(double[][] a, double[][] b) => a.Zip(b, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).Max()).Max();

    [Fact]
    public void Should_warm_start_a_cnn_challenger_from_the_champions_weights_unless_told_to_start_from_scratch()
    {
        // Given a small LipNet-4c champion
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 12, seed: 300_000);
        var cnn = new CnnOptions { Model = "lipnet4c", InputSize = 16, MaxEpochs = 3, Patience = 3, BatchSize = 16, Threads = 2, Augmentation = AugmentationOptions.None };
        var warmRegistry = new ModelRegistry(temp.Combine("warm"));
        RetrainTestData.TrainFirstVersion(warmRegistry, "cnn", new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = "lipnet4c",
            Seed = 3,
            Threads = 2,
            ValidationShare = 0,
            ReferenceShare = ReferenceSet.DefaultShare,
            ModelSettings = new ModelSettings { Cnn = cnn },
        });
        var coldRegistry = new ModelRegistry(RetrainTestData.CopyDirectory(warmRegistry.Root, temp.Combine("cold")));
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 6, seed: 310_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 6, seed: 320_000, prefix: "new");

        // When it is retrained for one epoch at a learning rate too small to move the weights, once warm and once from scratch
        RetrainOptions Retrain(ModelRegistry registry, bool fromScratch) => new()
        {
            Registry = registry.Root,
            Name = "cnn",
            BatchPath = batch,
            FromScratch = fromScratch,
            Force = true,
            Epochs = 1,
            LearningRate = 1e-7,
            Threads = 2,
        };
        var warm = Retrainer.Run(Retrain(warmRegistry, fromScratch: false));
        var cold = Retrainer.Run(Retrain(coldRegistry, fromScratch: true));

        // Then the warm challenger predicts what the champion predicts, and the cold one does not
        Assert.StartsWith("yes", warm.WarmStart, StringComparison.Ordinal);
        Assert.Equal("true", warm.ChallengerManifest.Provenance.Facts["warm_start"]);
        Assert.False(cold.ChallengerManifest.Provenance.Facts.ContainsKey("warm_start"));
        Assert.StartsWith("no, --from-scratch", cold.WarmStart, StringComparison.Ordinal);
        Assert.Equal("1", warm.ChallengerManifest.Provenance.Facts["max_epochs"]);
        var champion = ReferenceProbabilities(warmRegistry, "cnn", 1);
        var warmDifference = MaxDifference(champion, ReferenceProbabilities(warmRegistry, "cnn", 2));
        var coldDifference = MaxDifference(champion, ReferenceProbabilities(coldRegistry, "cnn", 2));
        Assert.True(warmDifference < 1e-3, $"warm-started challenger differs from the champion by {warmDifference}");
        Assert.True(coldDifference > 0.05, $"from-scratch challenger differs from the champion by only {coldDifference}");
        Assert.Equal(warm.Champion!.MacroF1, warm.Challenger!.MacroF1, 6);
    }
}
