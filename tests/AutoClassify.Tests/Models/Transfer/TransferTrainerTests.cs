using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Models.Transfer.TransferTestData;

namespace AutoClassify.Tests.Models.Transfer;

[Collection(TorchTests.Name)]
public sealed class TransferTrainerTests : IDisposable
{
    readonly TempDirectory temp = new("transfer");

    public TransferTrainerTests() => TinyImageNetBackbone.Register();

    public void Dispose() => temp.Dispose();

    static BackboneSource Tiny => BackboneSource.Named(TinyImageNetBackbone.ArchitectureName);

    TransferOptions Options(int inputSize = 96) => new() { InputSize = inputSize, FeatureCacheDirectory = temp.Combine("cache") };

    // Every parameter and buffer, copied out, by name.
    static Dictionary<string, float[]> State(IFeatureBackbone backbone) =>
        backbone.Network.StateDict().ToDictionary(p => p.Key, p => p.Value.ToFloatArray());

    static Dictionary<string, float[]> FreshTinyState()
    {
        using var fresh = BackboneArchitectures.Require(TinyImageNetBackbone.ArchitectureName).Create(new BackboneRequest());
        return State(fresh);
    }

    [Fact]
    public void Should_extract_every_image_once_then_answer_a_second_run_from_the_disk_cache()
    {
        // Given a frozen model whose first run filled an empty cache folder
        var data = ShapeImages.Create(perClass: 6, size: 24, seed: 2);
        var (train, test) = Fold(data);
        var first = new FrozenTrainer("tiny-frozen", Tiny, FrozenHead.Softmax, Options(), Fast(epochs: 3));
        using (var model = first.Train(data, train, Context()))
            model.PredictProbabilities(data, test);

        // When a new trainer (empty memory) runs the same fold on the same folder
        var second = new FrozenTrainer("tiny-frozen", Tiny, FrozenHead.Softmax, Options(), Fast(epochs: 3));
        double[][] probabilities;
        string extractedFact;
        using (var model = second.Train(data, train, Context()))
        {
            probabilities = model.PredictProbabilities(data, test);
            extractedFact = model.Summary.Facts["features_extracted"];
        }

        // Then the first run extracted each image once and the second none
        Assert.Equal(data.Labels.Length, first.Cache.Misses);
        Assert.Equal(data.Labels.Length, first.Cache.Writes);
        Assert.Equal(0, second.Cache.Misses);
        Assert.Equal(data.Labels.Length, second.Cache.DiskHits);
        Assert.Equal("0", extractedFact);
        Assert.All(probabilities, row => Assert.Equal(1.0, row.Sum(), 9));
    }

    [Fact]
    public void Should_miss_the_cache_when_the_input_size_or_the_weights_change()
    {
        // Given a cache filled at 96 px
        var data = ShapeImages.Create(perClass: 4, size: 24, seed: 3);
        var (train, _) = Fold(data);
        using (new FrozenTrainer("tiny-frozen", Tiny, FrozenHead.Softmax, Options(96), Fast(epochs: 1)).Train(data, train, Context())) { }

        // When the same images go through at 112 px, and through the same architecture with other weights
        var resized = new FrozenTrainer("tiny-frozen", Tiny, FrozenHead.Softmax, Options(112), Fast(epochs: 1));
        using (resized.Train(data, train, Context())) { }
        BackboneArchitectures.Register(new BackboneArchitecture("tiny-other-weights", "tiny test network, other seed", _ =>
            BackboneArchitectures.Require(TinyImageNetBackbone.ArchitectureName).Create(new BackboneRequest { Pretrained = false })));
        var reweighted = new FrozenTrainer("tiny-frozen", BackboneSource.Named("tiny-other-weights"), FrozenHead.Softmax, Options(96), Fast(epochs: 1));
        using (reweighted.Train(data, train, Context())) { }

        // Then neither finds a single entry of the first run
        Assert.Equal(train.Length, resized.Cache.Misses);
        Assert.Equal(0, resized.Cache.DiskHits);
        Assert.Equal(train.Length, reweighted.Cache.Misses);
        Assert.Equal(0, reweighted.Cache.DiskHits);
    }

    [Fact]
    public void Should_cache_augmented_draws_separately_and_reuse_them_in_the_next_fold()
    {
        // Given a frozen model with two augmented draws per image
        var data = ShapeImages.Create(perClass: 4, size: 24, seed: 4);
        var options = Options() with { FrozenAugmentDraws = 2 };
        var trainer = new FrozenTrainer("tiny-frozen", Tiny, FrozenHead.Softmax, options, Fast(epochs: 1));
        var (trainA, _) = Fold(data, seed: 1);

        // When it trains on one fold and then on all items
        using (trainer.Train(data, trainA, Context())) { }
        var afterFirst = trainer.Cache.Misses;
        using (trainer.Train(data, [.. Enumerable.Range(0, data.Labels.Length)], Context())) { }

        // Then the first fold extracted three variants of each image, and the second only those of the new images
        Assert.Equal(3 * trainA.Length, afterFirst);
        Assert.Equal(3 * data.Labels.Length, trainer.Cache.Misses);
    }

    [Fact]
    public void Should_leave_the_backbone_untouched_while_the_frozen_head_learns()
    {
        var data = ShapeImages.Create(perClass: 8, size: 24, seed: 5);
        var (train, _) = Fold(data);
        var before = FreshTinyState();

        using var model = (TransferModel)new FrozenTrainer("tiny-frozen", Tiny, FrozenHead.Softmax, Options(), Fast(epochs: 15, learningRate: 1e-2) with { ValidationFraction = 0 })
            .Train(data, train, Context());

        var loss = model.Summary.Curves["train_loss"];
        Assert.True(loss[^1] < 0.8 * loss[0], $"head loss went from {loss[0]:F3} to {loss[^1]:F3}");
        Assert.Equal(before, State(model.Backbone));
    }

    [Fact]
    public void Should_train_only_the_head_when_fine_tuning_unfreezes_no_stage()
    {
        var data = ShapeImages.Create(perClass: 8, size: 24, seed: 6);
        var (train, _) = Fold(data);
        var before = FreshTinyState();
        var options = Options() with { UnfreezeStages = 0, WarmupEpochs = 1 };

        using var model = new FineTuneTrainer("tiny-finetune", Tiny, options, Fast(epochs: 8, learningRate: 1e-2) with { ValidationFraction = 0 })
            .Train(data, train, Context());

        var loss = model.Summary.Curves["train_loss"];
        Assert.True(loss[^1] < loss[0], $"head loss went from {loss[0]:F3} to {loss[^1]:F3}");
        Assert.Equal(before, State(model.Backbone));
        Assert.Equal("none", model.Summary.Facts["unfrozen_stages"]);
    }

    [Fact]
    public void Should_change_exactly_the_last_stage_when_fine_tuning_unfreezes_one()
    {
        // Given the tiny network (stages stem, layer1, layer2) fine-tuned with its last stage unfrozen after one warm-up epoch
        var data = ShapeImages.Create(perClass: 6, size: 24, seed: 7);
        var (train, _) = Fold(data);
        var before = FreshTinyState();
        var options = Options() with { UnfreezeStages = 1, WarmupEpochs = 1, BackboneLearningRateFactor = 0.5 };

        using var model = new FineTuneTrainer("tiny-finetune", Tiny, options, Fast(epochs: 3) with { ValidationFraction = 0 })
            .Train(data, train, Context());
        var after = State(model.Backbone);

        // Then every layer2 parameter and batch-norm statistic moved, and nothing else did
        foreach (var (name, values) in before)
        {
            var trainable = name.StartsWith("layer2.", StringComparison.Ordinal) && !name.EndsWith("num_batches_tracked", StringComparison.Ordinal);
            if (trainable)
                Assert.False(values.SequenceEqual(after[name]), $"{name} did not change");
            else if (!name.StartsWith("layer2.", StringComparison.Ordinal))
                Assert.True(values.SequenceEqual(after[name]), $"{name} changed although frozen");
        }
        Assert.Equal("layer2", model.Summary.Facts["unfrozen_stages"]);
    }

    [Fact]
    public void Should_feed_imagenet_networks_replicated_grey_with_imagenet_statistics()
    {
        // Given a flat grey image of value 0.5 and the ImageNet input rule at 96 px
        var image = new AutoClassify.Imaging.GrayImage(20, 20);
        Array.Fill(image.Pixels, 0.5f);
        var data = new TrainingData { ClassNames = ["a", "b"], Labels = [0], Images = [image] };
        var preparer = new BackboneInputPreparer(new BackboneInputSpec(3, 96, PixelNormalisation.ImageNet, InputMode.Surround, 0.1));

        // When it is prepared
        var (grey, _) = preparer.PrepareGrey(data, [0]);
        using var greyTensor = Tensor.FromArray(grey, [1, 1, 96, 96]);
        using var input = preparer.ToNetworkInput(greyTensor);
        var values = input.ToFloatArray();

        // Then it has three channels, each (0.5 - mean_c) / sd_c
        Assert.Equal([1L, 3, 96, 96], input.Shape);
        for (var c = 0; c < 3; c++)
        {
            var expected = (0.5f - ImageNetInput.Mean[c]) / ImageNetInput.Std[c];
            Assert.Equal(expected, values[c * 96 * 96 + 1234], 4);
        }
    }

    [Fact]
    public void Should_refuse_an_imagenet_input_size_other_than_224_112_or_96_before_any_work()
    {
        var ex = Assert.Throws<ArgumentException>(() => new FrozenTrainer("tiny-frozen", Tiny, FrozenHead.Softmax, Options(64)));

        Assert.Contains("--input-size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_missing_option_and_the_available_backbones()
    {
        var noBackbone = Assert.Throws<ArgumentException>(() => ModelCatalog.Create("lipnet-backbone-frozen", new ModelSettings()));
        var unknown = Assert.Throws<ArgumentException>(() => BackboneArchitectures.Require("no-such-net"));

        Assert.Contains("--backbone", noBackbone.Message, StringComparison.Ordinal);
        Assert.Contains(TinyImageNetBackbone.ArchitectureName, unknown.Message, StringComparison.Ordinal);
    }
}
