using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Cnn;

public class EpochPartsTests
{
    [Fact]
    public void Should_cut_one_shuffled_epoch_into_runs_of_whole_batches_that_concatenate_to_it()
    {
        // Given an oversampled epoch of a skewed fitting set (870 / 120 / 10), drawn once
        int[] labels = [.. Enumerable.Repeat(0, 870), .. Enumerable.Repeat(1, 120), .. Enumerable.Repeat(2, 10)];
        var sampler = EpochSampler.Create([.. Enumerable.Range(0, labels.Length)], labels, 3, new CnnOptions { EpochSize = 1000 }, seed: 7);
        var order = sampler.Epoch(3);

        // When it is cut for 4 validation checks at batches of 32
        var bounds = EpochParts.Bounds(order.Length, batchSize: 32, parts: 4);

        // Then the runs follow each other without gap or overlap and rejoin into the very same sequence, every cut
        // falls between two batches (so the optimiser's steps are those of the whole epoch) and the 32 batches
        // (the last one short) are shared out 8 / 8 / 8 / 8
        var runs = bounds.Zip(bounds.Skip(1), (start, end) => order[start..end]).ToList();
        Assert.Equal(order, runs.SelectMany(r => r));
        Assert.Equal([0, 256, 512, 768, 1000], bounds);
        Assert.All(bounds[..^1], b => Assert.Equal(0, b % 32));
        // And one check per epoch keeps the epoch whole; an epoch of fewer batches than checks gets one run per batch
        Assert.Equal([0, 1000], EpochParts.Bounds(1000, 32, 1));
        Assert.Equal([0, 32, 64, 70], EpochParts.Bounds(70, 32, 5));
        Assert.Equal([0, 96, 192, 320], EpochParts.Bounds(320, 32, 3));
    }

    [Fact]
    public void Should_name_a_validation_count_outside_1_to_100()
    {
        Assert.Empty(new CnnOptions { ValidationsPerEpoch = 4 }.Problems());
        Assert.Contains("ValidationsPerEpoch must lie in [1, 100], got 0.", new CnnOptions { ValidationsPerEpoch = 0 }.Problems());
        Assert.Contains("ValidationsPerEpoch must lie in [1, 100], got 101.", new CnnOptions { ValidationsPerEpoch = 101 }.Problems());
    }
}

[Collection(TorchTests.Name)]
public class CnnValidationsPerEpochTrainingTests
{
    // 60 / 14 / 6 shapes (skewed) at 16 px: LipNet-4 learns them in a few epochs, then only the patience is spent.
    static readonly TrainingData Data = ShapeImages.Create(perClass: 0, size: 20, seed: 13, counts: [60, 14, 6]);

    static (int[] Train, int[] Test) Fold => StratifiedKFold.Split(StratifiedKFold.Assign(Data.Labels, 4, 2), 0);

    static CnnOptions Options(int checks, int maxEpochs, int patience) => new()
    {
        EpochSize = 128,
        InputSize = 16,
        MaxEpochs = maxEpochs,
        Patience = patience,
        ValidationsPerEpoch = checks,
        BatchSize = 16,
        Threads = 2,
        LearningRate = 3e-3,
        Augmentation = AugmentationOptions.Parse("hflip,vflip"),
    };

    static CnnModel Train(CnnOptions options) => new CnnTrainer(options).Train(Data, Fold.Train, new TrainingContext { Seed = 5, Threads = 2 });

    static long Fact(CnnModel model, string name) => long.Parse(model.Summary.Facts[name], CultureInfo.InvariantCulture);

    [Fact]
    public void Should_train_the_same_steps_as_whole_epochs_and_check_the_validation_loss_between_them()
    {
        // Given the same seed, fold and epochs, validated once and three times per epoch, never stopping early
        using var whole = Train(Options(checks: 1, maxEpochs: 4, patience: 100));
        using var parts = Train(Options(checks: 3, maxEpochs: 4, patience: 100));

        // Then the fits trained on the same items in the same batches: after every third check the weights (and so
        // the validation loss) are exactly those of the whole epoch's, and both end on the same held-out probabilities
        var wholeLoss = whole.Summary.Curves["val_loss"];
        var partLoss = parts.Summary.Curves["val_loss"];
        Assert.Equal(4, wholeLoss.Length);
        Assert.Equal(12, partLoss.Length);
        Assert.Equal(wholeLoss, partLoss.Where((_, i) => i % 3 == 2));
        Assert.Equal((4 * 128L, 4 * 128L), (Fact(whole, "items_trained"), Fact(parts, "items_trained")));
        var validationItems = Fact(whole, "validation_items");
        Assert.Equal((4 * validationItems, 12 * validationItems), (Fact(whole, "items_validated"), Fact(parts, "items_validated")));
        Assert.Equal((4L, 12L), (Fact(whole, "validations_run"), Fact(parts, "validations_run")));
        Assert.Equal(("4", "4", "3"), (whole.Summary.Facts["epochs_run"], parts.Summary.Facts["epochs_run"], parts.Summary.Facts[CnnTrainer.ValidationsPerEpochFact]));
        // And each fit kept its best check's weights: the parts' best is at least as low as the whole epochs' best
        Assert.True(partLoss.Min() <= wholeLoss.Min());
        Assert.Equal(Array.IndexOf(partLoss, partLoss.Min()) + 1, Fact(parts, "best_validation"));
        // And it learnt: the loss fell and held-out balanced accuracy beats chance (1/3) clearly
        var loss = parts.Summary.Curves["train_loss"];
        Assert.True(loss[^1] < 0.8 * loss[0], $"train loss {string.Join(", ", loss.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)))}");
        Assert.True(BalancedAccuracy(parts) > 0.6, $"held-out balanced accuracy {BalancedAccuracy(parts):F3}");
    }

    [Fact]
    public void Should_count_patience_in_checks_and_stop_sooner_than_whole_epochs_after_an_early_best()
    {
        // Given an easy set whose best validation loss comes within a few epochs, patience 3, at most 16 epochs
        using var whole = Train(Options(checks: 1, maxEpochs: 16, patience: 3));
        using var parts = Train(Options(checks: 4, maxEpochs: 16, patience: 3));

        // Then each stopped 3 checks after its best: 3 epochs after it validating once per epoch, 3 quarter epochs after it at 4 checks
        foreach (var model in new[] { whole, parts })
        {
            var facts = model.Summary.Facts;
            Assert.Equal("true", facts["stopped_early"]);
            Assert.Equal(3, Fact(model, "validations_run") - Fact(model, "best_validation"));
            Assert.Equal("true", facts["best_epoch_beats_chance"]);
        }
        var bestWhole = double.Parse(whole.Summary.Facts["best_epoch"], CultureInfo.InvariantCulture);
        var bestParts = double.Parse(parts.Summary.Facts["best_epoch"], CultureInfo.InvariantCulture);
        Assert.Equal(bestWhole + 3, double.Parse(whole.Summary.Facts["epochs_run"], CultureInfo.InvariantCulture));
        Assert.Equal(bestParts + 0.75, double.Parse(parts.Summary.Facts["epochs_run"], CultureInfo.InvariantCulture), 3);
        // And so it trained on fewer items, validated more often, and still beats chance clearly on the held-out items
        Assert.True(Fact(parts, "items_trained") < Fact(whole, "items_trained"), $"{Fact(parts, "items_trained")} vs {Fact(whole, "items_trained")} items trained");
        Assert.True(BalancedAccuracy(parts) > 0.6, $"held-out balanced accuracy {BalancedAccuracy(parts):F3}");
    }

    static double BalancedAccuracy(CnnModel model)
    {
        var test = Fold.Test;
        var probabilities = model.PredictProbabilities(Data, test);
        return Enumerable.Range(0, 3).Select(k =>
        {
            var rows = test.Select((item, row) => (item, row)).Where(p => Data.Labels[p.item] == k).ToList();
            return rows.Count(p => Array.IndexOf(probabilities[p.row], probabilities[p.row].Max()) == k) / (double)rows.Count;
        }).Average();
    }
}
