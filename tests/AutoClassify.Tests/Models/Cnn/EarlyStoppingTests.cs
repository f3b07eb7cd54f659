using AutoClassify.Dataset;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Tests.Models.Cnn;

public class EarlyStoppingTests
{
    [Fact]
    public void Should_stop_after_patience_epochs_without_improvement_and_remember_the_best()
    {
        var stopping = new EarlyStopping(patience: 3);
        double[] losses = [1.0, 0.8, 0.7, 0.75, 0.71, 0.9];

        var improved = losses.Select((loss, epoch) => stopping.Update(epoch, loss)).ToList();

        Assert.Equal([true, true, true, false, false, false], improved);
        Assert.True(stopping.ShouldStop);
        Assert.Equal(2, stopping.BestEpoch);
        Assert.Equal(0.7, stopping.BestLoss);
    }

    [Fact]
    public void Should_restart_the_count_when_the_loss_improves_again()
    {
        var stopping = new EarlyStopping(patience: 2);

        stopping.Update(0, 1.0);
        stopping.Update(1, 1.1);
        stopping.Update(2, 0.9);
        stopping.Update(3, 0.95);

        Assert.False(stopping.ShouldStop);
        Assert.Equal(2, stopping.BestEpoch);
        Assert.False(stopping.Update(4, double.NaN));
        Assert.True(stopping.ShouldStop);
    }

    [Fact]
    public void Should_carve_a_stratified_disjoint_validation_set_of_the_requested_size()
    {
        int[] labels = [.. Enumerable.Repeat(0, 100), .. Enumerable.Repeat(1, 40), .. Enumerable.Repeat(2, 20)];
        int[] train = [.. Enumerable.Range(0, labels.Length).Where(i => i % 5 != 0)];

        var (fit, validation) = ValidationSplit.Carve(labels, train, 0.15, seed: 11);

        Assert.Equal(train, fit.Concat(validation).Order());
        Assert.Empty(fit.Intersect(validation));
        Assert.Equal((int)Math.Round(0.15 * train.Length), validation.Length);
        Assert.Equal(12, validation.Count(i => labels[i] == 0));
        Assert.InRange(validation.Count(i => labels[i] == 1), 4, 5);
        Assert.InRange(validation.Count(i => labels[i] == 2), 2, 3);
    }

    [Fact]
    public void Should_carve_the_same_split_from_the_same_seed_and_keep_each_class_in_fitting()
    {
        int[] labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2];
        int[] train = [.. Enumerable.Range(0, labels.Length)];

        var a = ValidationSplit.Carve(labels, train, 0.5, seed: 3);
        var b = ValidationSplit.Carve(labels, train, 0.5, seed: 3);
        var c = ValidationSplit.Carve(labels, train, 0.5, seed: 4);

        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
        foreach (var k in new[] { 0, 1, 2 })
            Assert.Contains(a.Fit, i => labels[i] == k);
        Assert.Empty(ValidationSplit.Carve(labels, train, 0, 3).Validation);
    }
}
