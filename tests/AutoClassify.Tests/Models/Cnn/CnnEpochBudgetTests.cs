using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Cnn;

public class EpochBudgetTests
{
    // 870 / 120 / 10 items: the thesis's skew.
    static readonly int[] Labels = [.. Enumerable.Repeat(0, 870), .. Enumerable.Repeat(1, 120), .. Enumerable.Repeat(2, 10)];

    static int[] All => [.. Enumerable.Range(0, Labels.Length)];

    [Fact]
    public void Should_cap_the_natural_epoch_at_the_fitting_set_or_128_batches_by_default()
    {
        // Given a skewed fitting set of 1,000 items (natural oversampled epoch: 3 x 870), under the default epoch size
        // with batches of 4 (the cap: the larger of 1,000 items and 128 x 4 = 512) and of 32 (128 x 32 = 4,096, above
        // the natural size), and with 0 (the natural size always)
        var capped = EpochSampler.Create(All, Labels, 3, new CnnOptions { BatchSize = 4 }, seed: 1);
        var smallSet = EpochSampler.Create(All, Labels, 3, new CnnOptions(), seed: 1);
        var natural = EpochSampler.Create(All, Labels, 3, new CnnOptions { EpochSize = 0, BatchSize = 4 }, seed: 1);
        var bounded = EpochSampler.Create(All, Labels, 3, new CnnOptions { EpochSize = 600 }, seed: 1);

        // When an epoch is drawn
        var epoch = capped.Epoch(0);

        // Then the cap draws as many items as the fitting set holds, at the oversampler's equal shares; a set whose
        // natural epoch is under 128 batches keeps it, as 0 always does; a fixed size draws as many as asked
        Assert.Equal(Labels.Length, epoch.Length);
        var perClass = epoch.GroupBy(i => Labels[i]).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(perClass.Values, count => Assert.InRange(count, 333, 334));
        Assert.Equal(3 * 870, smallSet.Epoch(0).Length);
        Assert.Equal(3 * 870, natural.Epoch(0).Length);
        Assert.Equal(600, bounded.Epoch(0).Length);
        Assert.Equal(4_096, new CnnOptions().EffectiveEpochSize(naturalSize: 10_698, fitCount: 4_080));
        Assert.Equal(9_520, new CnnOptions().EffectiveEpochSize(naturalSize: 25_000, fitCount: 9_520));

        // And the packages' facts say which: "capped" for the default, the number otherwise
        var facts = new Dictionary<string, string>();
        new CnnOptions().AddRegimeFacts(facts);
        Assert.Equal(CnnOptions.CappedEpochFact, facts["epoch_size"]);
        new CnnOptions { EpochSize = 0 }.AddRegimeFacts(facts);
        Assert.Equal("0", facts["epoch_size"]);
    }

    [Fact]
    public void Should_keep_the_natural_size_when_asked_with_zero_and_when_undersampling_draws_fewer()
    {
        var natural = EpochSampler.Create(All, Labels, 3, new CnnOptions { EpochSize = 0 }, seed: 3);
        var undersample = EpochSampler.Create(All, Labels, 3, new CnnOptions { Sampler = SamplerKind.Undersample }, seed: 3);
        var fixedSize = EpochSampler.Create(All, Labels, 3, new CnnOptions { EpochSize = 500 }, seed: 3);

        Assert.Equal(3 * 870, natural.Epoch(0).Length);
        Assert.Equal(1000 - 174, undersample.Epoch(0).Length);
        Assert.Equal(500, fixedSize.Epoch(0).Length);
        Assert.Empty(new CnnOptions { EpochSize = 0 }.Problems());
        Assert.Single(new CnnOptions { EpochSize = -1 }.Problems());
    }
}

public class LearningRatePlanTests
{
    [Fact]
    public void Should_rise_linearly_during_the_warm_up_then_hold_the_peak()
    {
        var plan = new LearningRatePlan(1e-3, LearningRateSchedule.Constant, warmupSteps: 4, totalSteps: 100);

        Assert.Equal([0.25e-3, 0.5e-3, 0.75e-3, 1e-3, 1e-3], Enumerable.Range(0, 5).Select(plan.At), (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.Equal(1e-3, plan.At(99));
        Assert.Equal(1e-3, new LearningRatePlan(1e-3, LearningRateSchedule.Constant, 0, 10).At(0));
    }

    [Fact]
    public void Should_fall_along_a_cosine_to_a_hundredth_of_the_peak_at_the_last_step()
    {
        var plan = new LearningRatePlan(2e-3, LearningRateSchedule.Cosine, warmupSteps: 10, totalSteps: 111);

        var rates = Enumerable.Range(10, 101).Select(plan.At).ToArray();

        Assert.Equal(2e-3, rates[0], 12);
        Assert.Equal(2e-3 * LearningRatePlan.FloorShare, rates[^1], 12);
        Assert.Equal(2e-3 * (LearningRatePlan.FloorShare + (1 - LearningRatePlan.FloorShare) / 2), plan.At(60), 12);
        Assert.All(rates.Zip(rates.Skip(1)), pair => Assert.True(pair.Second <= pair.First));
        Assert.Equal(2e-3 * LearningRatePlan.FloorShare, plan.At(500), 12);
    }
}

public class ChanceGuardTests
{
    [Fact]
    public void Should_prefer_the_first_epoch_that_beats_chance_over_a_lower_loss_at_chance()
    {
        // Given a first epoch near the uniform prediction (low loss, chance accuracy), then epochs that classify
        // but are over-confident (higher loss)
        var stopping = new EarlyStopping(patience: 2);

        Assert.True(stopping.Update(0, 2.40, beatsChance: false));
        Assert.True(stopping.Update(1, 2.60, beatsChance: true));
        Assert.True(stopping.Update(2, 2.50, beatsChance: true));
        Assert.False(stopping.Update(3, 2.30, beatsChance: false));

        // Then the best epoch is the learned one with the lowest loss among learned epochs
        Assert.Equal(2, stopping.BestEpoch);
        Assert.True(stopping.BestBeatsChance);
    }

    [Fact]
    public void Should_keep_training_while_no_epoch_beats_chance()
    {
        var stopping = new EarlyStopping(patience: 2);

        for (var epoch = 0; epoch < 6; epoch++)
            stopping.Update(epoch, 2.4 + epoch * 0.01, beatsChance: false);

        Assert.False(stopping.ShouldStop);
        Assert.Equal(0, stopping.BestEpoch);
        stopping.Update(6, 2.9, beatsChance: true);
        stopping.Update(7, 3.0, beatsChance: true);
        stopping.Update(8, 3.1, beatsChance: true);
        Assert.True(stopping.ShouldStop);
        Assert.Equal(6, stopping.BestEpoch);
    }

    [Fact]
    public void Should_set_the_bar_two_standard_errors_above_chance_and_at_most_halfway_to_perfect()
    {
        // 12 classes, 183 validation images: 1/12 + 2 sqrt((1/12)(11/12)/183)
        Assert.Equal(0.12418, EarlyStopping.ChanceBar(12, 183), 4);
        Assert.Equal(2.0 / 3, EarlyStopping.ChanceBar(3, 4), 12);
        Assert.True(EarlyStopping.ChanceBar(3, 10_000) < 0.35);
    }
}

[Collection(TorchTests.Name)]
public class CnnEpochBudgetTrainingTests
{
    [Fact]
    public void Should_learn_on_a_skewed_set_with_the_bounded_epoch_and_the_warm_up()
    {
        // Given 60 / 14 / 6 shapes (skewed), a bounded epoch of 48 items and the default learning-rate warm-up
        var data = ShapeImages.Create(perClass: 0, size: 20, seed: 13, counts: [60, 14, 6]);
        var (train, test) = StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, 4, 2), 0);
        var options = new CnnOptions { EpochSize = 48, InputSize = 16, MaxEpochs = 8, Patience = 8, BatchSize = 16, Threads = 2, LearningRate = 3e-3, Augmentation = AugmentationOptions.Parse("hflip,vflip") };

        // When LipNet-4 trains
        using var model = new CnnTrainer(options).Train(data, train, new TrainingContext { Seed = 5, Threads = 2 });

        // Then each epoch drew the 48 items asked for (not 3 x its majority class), the learning rate
        // rose over the first epoch, the loss fell and held-out balanced accuracy beats chance (1/3) clearly
        var facts = model.Summary.Facts;
        Assert.Equal(48, int.Parse(facts["epoch_items"], CultureInfo.InvariantCulture));
        var rates = model.Summary.Curves["learning_rate"];
        Assert.True(rates[0] < rates[1] && rates[1] == 3e-3, string.Join(", ", rates));
        var loss = model.Summary.Curves["train_loss"];
        Assert.True(loss.Min() < 0.8 * loss[0], $"train loss {string.Join(", ", loss.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)))}");
        var probabilities = model.PredictProbabilities(data, test);
        var recall = Enumerable.Range(0, 3).Select(k =>
        {
            var rows = test.Select((item, row) => (item, row)).Where(p => data.Labels[p.item] == k).ToList();
            return rows.Count(p => Array.IndexOf(probabilities[p.row], probabilities[p.row].Max()) == k) / (double)rows.Count;
        }).Average();
        Assert.True(recall > 0.6, $"held-out balanced accuracy {recall:F3}");
        Assert.Equal("true", facts["best_epoch_beats_chance"]);
    }
}
