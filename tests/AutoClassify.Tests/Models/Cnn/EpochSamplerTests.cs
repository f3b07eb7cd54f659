using AutoClassify.Models;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Tests.Models.Cnn;

public class EpochSamplerTests
{
    // 40 items of class 0, 12 of class 1, 5 of class 2 in the dataset; the training fold holds every other item
    // of each class, so the sampler must never hand out the odd ones.
    static readonly int[] Labels = [.. Enumerable.Repeat(0, 40), .. Enumerable.Repeat(1, 12), .. Enumerable.Repeat(2, 5)];
    static readonly int[] TrainIndices = [.. Enumerable.Range(0, Labels.Length).Where(i => i % 2 == 0)];

    static int[] CountPerClass(IEnumerable<int> indices) =>
        [.. Enumerable.Range(0, 3).Select(k => indices.Count(i => Labels[i] == k))];

    [Fact]
    public void Should_balance_every_class_to_the_largest_when_oversampling()
    {
        var sampler = new EpochSampler(TrainIndices, Labels, 3, SamplerKind.Oversample, 0.2, seed: 1);
        var largest = sampler.ClassCounts.Max();

        for (var epoch = 0; epoch < 5; epoch++)
        {
            var order = sampler.Epoch(epoch);

            Assert.All(CountPerClass(order), c => Assert.Equal(largest, c));
            // Each minority item is repeated as evenly as the counts allow (whole copies plus a remainder).
            foreach (var group in order.GroupBy(i => Labels[i]))
            {
                var distinct = group.Distinct().Count();
                var repeats = group.GroupBy(i => i).Select(g => g.Count()).ToList();
                Assert.Equal(sampler.ClassCounts[group.Key], distinct);
                Assert.True(repeats.Max() - repeats.Min() <= 1);
            }
        }
    }

    [Fact]
    public void Should_drop_the_promised_fraction_of_the_majority_class_only_when_undersampling()
    {
        var sampler = new EpochSampler(TrainIndices, Labels, 3, SamplerKind.Undersample, 0.25, seed: 2);

        var first = sampler.Epoch(0);
        var second = sampler.Epoch(1);

        var counts = CountPerClass(first);
        Assert.Equal(20 - 5, counts[0]);
        Assert.Equal(6, counts[1]);
        Assert.Equal(3, counts[2]);
        Assert.Equal(first.Length, first.Distinct().Count());
        // A fresh random subset of the majority is dropped each epoch.
        Assert.NotEqual(first.Where(i => Labels[i] == 0).Order(), second.Where(i => Labels[i] == 0).Order());
    }

    [Theory]
    [InlineData(SamplerKind.None)]
    [InlineData(SamplerKind.Oversample)]
    [InlineData(SamplerKind.Undersample)]
    public void Should_only_ever_yield_training_indices(SamplerKind kind)
    {
        var sampler = new EpochSampler(TrainIndices, Labels, 3, kind, 0.2, seed: 3);
        var allowed = TrainIndices.ToHashSet();

        for (var epoch = 0; epoch < 20; epoch++)
            Assert.All(sampler.Epoch(epoch), i => Assert.Contains(i, allowed));
    }

    [Fact]
    public void Should_give_every_item_once_in_a_fresh_order_each_epoch_without_resampling()
    {
        var sampler = new EpochSampler(TrainIndices, Labels, 3, SamplerKind.None, 0.2, seed: 4);

        var first = sampler.Epoch(0);
        var second = sampler.Epoch(1);

        Assert.Equal(TrainIndices, first.Order());
        Assert.Equal(TrainIndices, second.Order());
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Should_replay_the_same_epochs_from_the_same_seed()
    {
        var a = new EpochSampler(TrainIndices, Labels, 3, SamplerKind.Oversample, 0.2, seed: 5);
        var b = new EpochSampler(TrainIndices, Labels, 3, SamplerKind.Oversample, 0.2, seed: 5);
        var c = new EpochSampler(TrainIndices, Labels, 3, SamplerKind.Oversample, 0.2, seed: 6);

        Assert.Equal(a.Epoch(3), b.Epoch(3));
        Assert.NotEqual(a.Epoch(3), c.Epoch(3));
    }

    [Fact]
    public void Should_reject_a_fraction_outside_the_unit_interval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochSampler(TrainIndices, Labels, 3, SamplerKind.Undersample, double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochSampler(TrainIndices, Labels, 3, SamplerKind.Undersample, 1.0, 1));
    }

    [Fact]
    public void Should_weight_classes_inversely_to_their_frequency()
    {
        var weights = ClassWeights.InverseFrequency(Labels, TrainIndices, 3);

        // n / (K n_k) with n = 29, counts 20, 6, 3.
        Assert.Equal(29.0 / (3 * 20), weights[0], 12);
        Assert.Equal(29.0 / (3 * 6), weights[1], 12);
        Assert.Equal(29.0 / (3 * 3), weights[2], 12);
        // Weighted counts are equal across classes.
        Assert.Equal(weights[0] * 20, weights[2] * 3, 12);
    }

    [Theory]
    [InlineData(SamplerKind.Oversample, 31, new[] { 11, 10, 10 })]
    [InlineData(SamplerKind.None, 14, new[] { 10, 3, 1 })]
    public void Should_keep_the_rule_s_class_shares_at_a_fixed_epoch_size(SamplerKind kind, int size, int[] expected)
    {
        // Given 20/6/3 training items per class and a fixed epoch size
        var sampler = new EpochSampler(TrainIndices, Labels, 3, kind, 0.2, seed: 3, epochSize: size);

        for (var epoch = 0; epoch < 3; epoch++)
        {
            var order = sampler.Epoch(epoch);

            // Then the epoch has that size, split by the rule's shares, and never leaves the training fold
            Assert.Equal(size, order.Length);
            Assert.Equal(expected, CountPerClass(order));
            Assert.All(order, i => Assert.Contains(i, TrainIndices));
        }
    }

    [Fact]
    public void Should_draw_a_smaller_epoch_without_repeating_items()
    {
        var sampler = new EpochSampler(TrainIndices, Labels, 3, SamplerKind.None, 0.2, seed: 5, epochSize: 10);
        var order = sampler.Epoch(0);
        Assert.Equal(order.Length, order.Distinct().Count());
        Assert.NotEqual(order.Order(), sampler.Epoch(1).Order());
    }
}
