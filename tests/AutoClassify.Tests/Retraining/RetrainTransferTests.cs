using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Packaging;
using AutoClassify.Retraining;
using AutoClassify.Tensors;
using AutoClassify.Tests.Models.Transfer;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Retraining;

/// <summary>
/// Retraining transfer models: the challenger's backbone comes from the champion's package (never from --backbone or
/// a fresh weights lookup), keeps the champion's input size and settings, and a fine-tuned challenger warm-starts.
/// </summary>
[Collection(TorchTests.Name)]
public sealed class RetrainTransferTests : IDisposable
{
    readonly TempDirectory temp = new("retrain-transfer");

    public void Dispose() => temp.Dispose();

    static CnnOptions Quick(int epochs) => new()
    {
        MaxEpochs = epochs,
        Patience = epochs,
        BatchSize = 16,
        Threads = 2,
        LearningRate = 3e-3,
        Augmentation = AugmentationOptions.Parse("hflip"),
    };

    (ModelRegistry Registry, string Batch) Champion(string name, string model, TransferOptions transfer, CnnOptions cnn, int perClass = 8)
    {
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass, seed: 500_000);
        var registry = new ModelRegistry(temp.Combine("models"));
        RetrainTestData.TrainFirstVersion(registry, name, new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = model,
            Seed = 5,
            Threads = 2,
            ValidationShare = 0,
            ReferenceShare = ReferenceSet.DefaultShare,
            ModelSettings = new ModelSettings { Cnn = cnn, Transfer = transfer },
        });
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 3, seed: 510_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 3, seed: 520_000, prefix: "new");
        return (registry, batch);
    }

    static RetrainOptions Retrain(ModelRegistry registry, string name, string batch, int epochs, bool fromScratch = false) => new()
    {
        Registry = registry.Root,
        Name = name,
        BatchPath = batch,
        FromScratch = fromScratch,
        Force = true,
        Epochs = epochs,
        Seed = 9,
        Threads = 2,
    };

    // Every parameter and buffer of a packaged transfer model's backbone and head, copied out by name.
    static (Dictionary<string, float[]> Backbone, Dictionary<string, float[]> Head, TransferModelInfo Info) Weights(ModelRegistry registry, string name, int version)
    {
        using var package = ModelPackage.Open(registry.PackagePath(name, version));
        var model = ((TransferPackagedModel)package.Model).Model;
        return (State(model.Backbone.Network.StateDict()), State(model.Head.StateDict()), model.Info);
    }

    static Dictionary<string, float[]> State(IEnumerable<KeyValuePair<string, Tensor>> state) =>
        state.ToDictionary(p => p.Key, p => p.Value.ToFloatArray(), StringComparer.Ordinal);

    // The network --weights none gives: the architecture built while libtorch is seeded as every transfer fit seeds it.
    static Dictionary<string, float[]> RandomInit(string architecture)
    {
        Torch.ManualSeed(TransferFit.BackboneInitSeed);
        using var backbone = BackboneArchitectures.Require(architecture).Create(new BackboneRequest { WeightsPath = BackboneArchitectures.NoWeights });
        return State(backbone.Network.StateDict());
    }

    [Fact]
    public void Should_retrain_a_domain_transfer_champion_on_its_own_frozen_backbone_without_backbone_option_or_source_package()
    {
        // Given a lipnet-backbone-frozen champion whose LipNet source package is deleted after training
        var source = TransferTestData.PretrainShapesPackage(temp.Combine("source-models"), epochs: 2);
        var transfer = new TransferOptions { Backbone = source, DisableDiskCache = true };
        var (registry, batch) = Champion("domain", "lipnet-backbone-frozen", transfer, Quick(epochs: 3));
        var championFacts = ModelPackage.ReadManifest(registry.PackagePath("domain", 1)).Provenance.Facts;
        Directory.Delete(temp.Combine("source-models"), recursive: true);

        // When it is retrained (settings come from the champion alone: no --backbone)
        var result = Retrainer.Run(Retrain(registry, "domain", batch, epochs: 2));

        // Then the challenger's backbone is the champion's, tensor for tensor, and so are its features' cache identity,
        // input and recorded origin (the deleted package, by path and hash)
        var champion = Weights(registry, "domain", 1);
        var challenger = Weights(registry, "domain", 2);
        Assert.Equal(champion.Backbone, challenger.Backbone);
        Assert.Equal("lipnet4", challenger.Info.Backbone);
        Assert.Equal(16, challenger.Info.InputSize);
        var facts = result.ChallengerManifest.Provenance.Facts;
        Assert.Equal(championFacts["backbone_identity"], facts["backbone_identity"]);
        Assert.Equal(championFacts[BackboneOrigin.PackageFact], facts[BackboneOrigin.PackageFact]);
        Assert.Equal(championFacts[BackboneOrigin.Sha256Fact], facts[BackboneOrigin.Sha256Fact]);
        Assert.Equal(Path.GetFullPath(Path.Combine(source, ModelRegistry.PackageFileName)), facts[BackboneOrigin.PackageFact]);
        Assert.Contains(registry.PackagePath("domain", 1), facts["backbone"], StringComparison.Ordinal);
        Assert.StartsWith("frozen backbone: champion v1's own", result.WarmStart, StringComparison.Ordinal);
        Assert.Equal(result.WarmStart, facts["retrain_warm_start"]);
        Assert.Equal("memory only", facts["feature_cache"]);
        // The head was refitted on the old and the new data, so it is not the champion's
        Assert.NotEqual(champion.Head["linear.weight"], challenger.Head["linear.weight"]);
    }

    [Fact]
    public void Should_retrain_an_imagenet_architecture_champion_from_its_own_random_weights_at_its_input_size()
    {
        // Given a mobilenet_v2-frozen champion trained from random weights (--weights none) at 96 px, with two augmented draws
        var transfer = new TransferOptions { WeightsPath = BackboneArchitectures.NoWeights, InputSize = 96, FrozenAugmentDraws = 2, DisableDiskCache = true };
        var (registry, batch) = Champion("random", "mobilenet_v2-frozen", transfer, Quick(epochs: 3));

        // When it is retrained
        var result = Retrainer.Run(Retrain(registry, "random", batch, epochs: 2));

        // Then the challenger's backbone holds exactly the champion's weights (the random ones: no ImageNet lookup),
        // at the champion's input size and with its augmented draws
        var champion = Weights(registry, "random", 1);
        var challenger = Weights(registry, "random", 2);
        Assert.Equal(champion.Backbone, challenger.Backbone);
        Assert.Equal(RandomInit("mobilenet_v2"), challenger.Backbone);
        Assert.Equal(96, challenger.Info.InputSize);
        Assert.Equal(96, result.ChallengerManifest.Preprocessing.InputSize);
        var facts = result.ChallengerManifest.Provenance.Facts;
        Assert.Equal("96", facts["input_size"]);
        Assert.Equal("2", facts["frozen_augment_draws"]);
        Assert.Equal("hflip", facts["augmentation"]);
        Assert.Equal(BackboneArchitectures.NoWeights, facts[BackboneOrigin.WeightsFact]);
        Assert.Equal(ModelPackage.ReadManifest(registry.PackagePath("random", 1)).Provenance.Facts["backbone_identity"], facts["backbone_identity"]);
    }

    [Fact]
    public void Should_warm_start_a_fine_tuned_challenger_from_the_champion_or_restart_it_from_the_recorded_source_with_from_scratch()
    {
        // Given a mobilenet_v2-finetune champion from random weights at 96 px whose last stage trained in its second
        // epoch (without a validation split, so early stopping cannot fall back to the first epoch's weights)
        var transfer = new TransferOptions
        {
            WeightsPath = BackboneArchitectures.NoWeights,
            InputSize = 96,
            UnfreezeStages = 1,
            WarmupEpochs = 1,
            BackboneLearningRateFactor = 0.5,
            DisableDiskCache = true,
        };
        var (warmRegistry, batch) = Champion("tuned", "mobilenet_v2-finetune", transfer, Quick(epochs: 2) with { ValidationFraction = 0 });
        var coldRegistry = new ModelRegistry(RetrainTestData.CopyDirectory(warmRegistry.Root, temp.Combine("cold")));
        var champion = Weights(warmRegistry, "tuned", 1);
        var random = RandomInit("mobilenet_v2");
        Assert.NotEqual(random, champion.Backbone);

        // When it is retrained for one epoch, which the champion's recorded warm-up (1) keeps to the head alone, so the
        // challenger's backbone is exactly the one it started from; once warm and once from scratch
        var warm = Retrainer.Run(Retrain(warmRegistry, "tuned", batch, epochs: 1));
        var cold = Retrainer.Run(Retrain(coldRegistry, "tuned", batch, epochs: 1, fromScratch: true));

        // Then the warm challenger started from the champion's fine-tuned backbone and from its head (whose feature
        // scaling, not a trained parameter, is still the champion's), with the champion's fine-tuning settings
        var warmWeights = Weights(warmRegistry, "tuned", 2);
        Assert.StartsWith("yes, backbone and head from the weights of champion v1", warm.WarmStart, StringComparison.Ordinal);
        var warmFacts = warm.ChallengerManifest.Provenance.Facts;
        Assert.Equal("head", warmFacts["warm_start"]);
        Assert.Equal(champion.Backbone, warmWeights.Backbone);
        Assert.Equal(champion.Head["mean"], warmWeights.Head["mean"]);
        Assert.Equal(champion.Head["scale"], warmWeights.Head["scale"]);
        Assert.Equal("1", warmFacts["unfreeze"]);
        Assert.Equal("1", warmFacts["warmup_epochs"]);
        Assert.Equal("0.5", warmFacts["backbone_lr_factor"]);
        Assert.Equal("0", warmFacts["validation_fraction"]);
        Assert.Equal("96", warmFacts["input_size"]);
        Assert.Equal(BackboneArchitectures.NoWeights, warmFacts[BackboneOrigin.WeightsFact]);

        // And the cold one restarted from the recorded source, the random weights, under a new head
        var coldWeights = Weights(coldRegistry, "tuned", 2);
        Assert.StartsWith("no, --from-scratch: the backbone restarts from mobilenet_v2 with random weights (--weights none)", cold.WarmStart, StringComparison.Ordinal);
        var coldFacts = cold.ChallengerManifest.Provenance.Facts;
        Assert.False(coldFacts.ContainsKey("warm_start"));
        Assert.Equal(random, coldWeights.Backbone);
        Assert.NotEqual(champion.Head["mean"], coldWeights.Head["mean"]);
        Assert.Equal("mobilenet_v2", coldFacts["backbone"]);
        Assert.Equal(96, coldWeights.Info.InputSize);
    }

    [Fact]
    public void Should_stop_before_training_naming_the_file_when_from_scratch_needs_a_source_package_that_is_gone()
    {
        // Given a lipnet-backbone-finetune champion whose LipNet source package is deleted after training
        var source = TransferTestData.PretrainShapesPackage(temp.Combine("source-models"), epochs: 2);
        var transfer = new TransferOptions { Backbone = source, WarmupEpochs = 1, DisableDiskCache = true };
        var (registry, batch) = Champion("domain", "lipnet-backbone-finetune", transfer, Quick(epochs: 2));
        var sourceFile = Path.GetFullPath(Path.Combine(source, ModelRegistry.PackageFileName));
        Directory.Delete(temp.Combine("source-models"), recursive: true);

        // When it is retrained from scratch, then warm
        var error = Assert.Throws<ArgumentException>(() => Retrainer.Run(Retrain(registry, "domain", batch, epochs: 1, fromScratch: true)));
        var versionsAfterError = registry.Show("domain").Versions.Count;
        var warm = Retrainer.Run(Retrain(registry, "domain", batch, epochs: 1));

        // Then the first stops naming the missing package and the way out, and stores nothing; the second warm-starts
        // from the champion, which needs no source package at all, and passes the recorded origin on
        Assert.Contains(sourceFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("no longer exists", error.Message, StringComparison.Ordinal);
        Assert.Contains("without --from-scratch", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, versionsAfterError);
        Assert.StartsWith("yes", warm.WarmStart, StringComparison.Ordinal);
        Assert.Equal(sourceFile, warm.ChallengerManifest.Provenance.Facts[BackboneOrigin.PackageFact]);
        Assert.Equal(Weights(registry, "domain", 1).Backbone, Weights(registry, "domain", 2).Backbone);
    }
}
