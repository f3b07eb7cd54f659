using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Cnn;

[Collection(TorchTests.Name)]
public class CnnTrainerTests
{
    // Small and fast: 16 px LipNet-4 inputs from 20 px images, two threads.
    static CnnOptions Fast(int epochs) => new()
    {
        Model = "lipnet4",
        InputSize = 16,
        MaxEpochs = epochs,
        Patience = epochs,
        BatchSize = 16,
        Threads = 2,
        Augmentation = AugmentationOptions.Parse("hflip,vflip"),
    };

    static TrainingContext Context(int seed = 42, IProgress<double>? progress = null, Action<string>? log = null) =>
        new() { Seed = seed, Threads = 2, Progress = progress, Log = log };

    static (int[] Train, int[] Test) Fold(TrainingData data, int seed = 1) =>
        StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, 4, seed), 0);

    static double Accuracy(double[][] probabilities, int[] labels, int[] indices) =>
        indices.Select((item, row) => Array.IndexOf(probabilities[row], probabilities[row].Max()) == labels[item] ? 1.0 : 0.0).Average();

    [Fact]
    public void Should_lower_the_loss_and_beat_chance_by_a_clear_margin_on_held_out_shapes()
    {
        var data = ShapeImages.Create(perClass: 28, size: 20, seed: 3);
        var (train, test) = Fold(data);
        var trainer = new CnnTrainer(Fast(epochs: 10) with { LearningRate = 3e-3 });

        using var model = trainer.Train(data, train, Context());
        var probabilities = model.PredictProbabilities(data, test);

        var loss = model.Summary.Curves["train_loss"];
        Assert.True(loss[^1] < 0.7 * loss[0], $"train loss went from {loss[0]:F3} to {loss[^1]:F3}");
        var accuracy = Accuracy(probabilities, data.Labels, test);
        Assert.True(accuracy >= 0.8, $"held-out accuracy {accuracy:F3}, chance is 0.33");
        Assert.All(probabilities, row => Assert.Equal(1.0, row.Sum(), 9));
    }

    [Fact]
    public void Should_give_identical_logits_after_a_save_and_load_round_trip()
    {
        var data = ShapeImages.Create(perClass: 10, size: 20, seed: 4);
        var (train, test) = Fold(data);
        var directory = Path.Combine(Path.GetTempPath(), "ac-cnn-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var model = CnnTrainer.Create("lipnet4c", Fast(epochs: 2) with { InputMode = InputMode.Crop }).Train(data, train, Context());

            model.Save(directory);
            using var loaded = CnnModel.Load(directory, new CnnOptions { Threads = 2 });

            Assert.True(File.Exists(Path.Combine(directory, CnnModel.WeightsFile)));
            Assert.Equal("lipnet4c", loaded.Info.Model);
            Assert.Equal("crop", loaded.Info.InputMode);
            Assert.Equal(ShapeImages.ClassNames, loaded.Info.ClassNames);
            var before = model.Logits(data, test);
            var after = loaded.Logits(data, test);
            for (var i = 0; i < test.Length; i++)
                Assert.Equal(before[i], after[i]);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Should_name_the_missing_file_when_loading_an_incomplete_model()
    {
        var directory = Directory.CreateTempSubdirectory("ac-cnn-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, CnnModel.InfoFile), "{}");

            var ex = Assert.Throws<FileNotFoundException>(() => CnnModel.Load(directory));

            Assert.Contains(CnnModel.WeightsFile, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Should_leave_no_tensor_handles_behind_after_training_and_predicting()
    {
        var data = ShapeImages.Create(perClass: 8, size: 20, seed: 5);
        var (train, test) = Fold(data);
        var trainer = new CnnTrainer(Fast(epochs: 2) with { Augmentation = AugmentationOptions.Default, ClassWeightedLoss = true });
        var before = Tensor.LiveCount;

        using (var model = trainer.Train(data, train, Context()))
            model.PredictProbabilities(data, test);

        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void Should_stop_when_cancelled_and_free_what_it_allocated()
    {
        var data = ShapeImages.Create(perClass: 6, size: 20, seed: 11);
        var (train, _) = Fold(data);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var before = Tensor.LiveCount;

        Assert.ThrowsAny<OperationCanceledException>(() =>
            new CnnTrainer(Fast(epochs: 3)).Train(data, train, new TrainingContext { Seed = 1, Threads = 2, CancellationToken = cancellation.Token }));

        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void Should_give_the_same_probabilities_from_the_same_seed()
    {
        var data = ShapeImages.Create(perClass: 10, size: 20, seed: 6);
        var (train, test) = Fold(data);
        var trainer = new CnnTrainer(Fast(epochs: 3) with { Augmentation = AugmentationOptions.Default });

        double[][] Run(int seed)
        {
            using var model = trainer.Train(data, train, Context(seed));
            return model.PredictProbabilities(data, test);
        }
        var first = Run(7);
        var second = Run(7);
        var other = Run(8);

        // On the CPU with a fixed thread count libtorch's kernels are deterministic; allow float rounding only.
        var sameSeed = first.Zip(second, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
        var otherSeed = first.Zip(other, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
        Assert.True(sameSeed <= 1e-6, $"same seed differs by {sameSeed}");
        Assert.True(otherSeed > 1e-4, $"another seed differs by only {otherSeed}");
    }

    [Theory]
    [InlineData(SamplerKind.Oversample, false)]
    [InlineData(SamplerKind.Undersample, true)]
    [InlineData(SamplerKind.None, false)]
    public void Should_never_read_the_test_items_while_training(SamplerKind sampler, bool classWeights)
    {
        // Test items are poisoned: NaN pixels and an invalid label. Any use in training would make the loss NaN or throw.
        var data = ShapeImages.Create(perClass: 0, size: 20, seed: 7, counts: [20, 8, 6]);
        var (train, test) = Fold(data);
        var images = data.Images!.ToArray();
        var labels = (int[])data.Labels.Clone();
        foreach (var i in test)
        {
            images[i] = new GrayImage(20, 20, Enumerable.Repeat(float.NaN, 400).ToArray());
            labels[i] = -1;
        }
        var poisoned = new TrainingData { ClassNames = data.ClassNames, Labels = labels, Images = images, Masks = data.Masks };
        var options = Fast(epochs: 2) with { Sampler = sampler, ClassWeightedLoss = classWeights, Augmentation = AugmentationOptions.Default };

        using var model = new CnnTrainer(options).Train(poisoned, train, Context());

        Assert.All(model.Summary.Curves["train_loss"], v => Assert.True(double.IsFinite(v)));
        Assert.All(model.Summary.Curves["val_loss"], v => Assert.True(double.IsFinite(v)));
        Assert.Equal(sampler.ToString().ToLowerInvariant(), model.Summary.Facts["sampler"]);
    }

    [Fact]
    public void Should_predict_an_item_the_same_alone_or_in_a_batch_without_augmenting_it()
    {
        var data = ShapeImages.Create(perClass: 8, size: 20, seed: 8);
        var (train, test) = Fold(data);
        using var model = new CnnTrainer(Fast(epochs: 1) with { Augmentation = AugmentationOptions.Default, PredictionBatchSize = 4 }).Train(data, train, Context());

        var together = model.PredictProbabilities(data, test);
        var again = model.PredictProbabilities(data, test);
        var alone = model.PredictProbabilities(data, [test[^1]]);

        Assert.Equal(together, again);
        Assert.Equal(together[^1], alone[0], (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Should_record_curves_facts_progress_and_the_best_epoch()
    {
        var data = ShapeImages.Create(perClass: 10, size: 20, seed: 9);
        var (train, _) = Fold(data);
        var progress = new List<double>();
        var log = new List<string>();
        var options = Fast(epochs: 6) with { Patience = 2, InputMode = InputMode.CropMask };

        using var model = new CnnTrainer(options).Train(data, train, Context(progress: new SyncProgress(progress), log: log.Add));

        var facts = model.Summary.Facts;
        var epochs = int.Parse(facts["epochs_run"], System.Globalization.CultureInfo.InvariantCulture);
        var best = int.Parse(facts["best_epoch"], System.Globalization.CultureInfo.InvariantCulture);
        foreach (var curve in new[] { "train_loss", "val_loss", "train_acc", "val_acc", "epoch_seconds" })
            Assert.Equal(epochs, model.Summary.Curves[curve].Length);
        var validation = model.Summary.Curves["val_loss"];
        Assert.Equal(validation.Min(), validation[best - 1]);
        Assert.True(epochs == 6 || epochs - best == 2, $"stopped after {epochs} epochs with best {best}");
        Assert.Equal("crop-mask", facts["input_mode"]);
        Assert.Equal("0", facts["mask_fallbacks"]);
        Assert.Equal(model.Network.ParameterCount().ToString(System.Globalization.CultureInfo.InvariantCulture), facts["parameters"]);
        Assert.Equal("lipnet4", new CnnTrainer(options).Name);
        Assert.Equal(epochs, log.Count(l => l.Contains(" epoch ", StringComparison.Ordinal)));
        Assert.Equal(1.0, progress[^1]);
        Assert.True(model.Summary.TrainingTime > TimeSpan.Zero);
    }

    [Fact]
    public void Should_train_every_epoch_and_keep_the_last_weights_without_a_validation_split()
    {
        var data = ShapeImages.Create(perClass: 6, size: 20, seed: 10);
        var (train, test) = Fold(data);

        using var model = new CnnTrainer(Fast(epochs: 3) with { ValidationFraction = 0, Patience = 1 }).Train(data, train, Context());

        Assert.Equal("3", model.Summary.Facts["epochs_run"]);
        Assert.Equal("3", model.Summary.Facts["best_epoch"]);
        Assert.Equal("0", model.Summary.Facts["validation_items"]);
        Assert.False(model.Summary.Curves.ContainsKey("val_loss"));
        Assert.Equal(test.Length, model.PredictProbabilities(data, test).Length);
    }

    [Fact]
    public void Should_list_every_bad_option_at_once()
    {
        var options = new CnnOptions { Model = "lenet", LabelSmoothing = double.NaN, BatchSize = 0, ValidationFraction = 0.9, Device = "tpu" };

        var ex = Assert.Throws<ArgumentException>(() => new CnnTrainer(options));

        foreach (var name in new[] { "Model", "LabelSmoothing", "BatchSize", "ValidationFraction", "Device" })
            Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_data_without_images_naming_the_model()
    {
        var data = new TrainingData { ClassNames = ["a", "b"], Labels = [0, 1] };

        var ex = Assert.Throws<ArgumentException>(() => CnnTrainer.Create("lipnet2").Train(data, [0, 1], Context()));

        Assert.Contains("lipnet2", ex.Message, StringComparison.Ordinal);
    }

    // Progress<T> posts to the thread pool; this one records synchronously.
    sealed class SyncProgress(List<double> values) : IProgress<double>
    {
        public void Report(double value) => values.Add(value);
    }
}
