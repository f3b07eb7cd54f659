using AutoClassify.Evaluation;
using AutoClassify.Models;

namespace AutoClassify.Tests.Evaluation;

public class ModelResultBuilderTests
{
    static readonly int[] Labels = [0, 1, 2, 0, 1, 2];

    [Fact]
    public void Should_predict_the_argmax_and_break_ties_towards_the_lowest_class()
    {
        Assert.Equal(1, ModelResultBuilder.Decide([0.2, 0.5, 0.3]));
        Assert.Equal(0, ModelResultBuilder.Decide([0.4, 0.4, 0.2]));
        Assert.Equal(1, ModelResultBuilder.Decide([0.2, 0.4, 0.4]));
    }

    [Fact]
    public void Should_build_folds_aggregate_and_item_ordered_predictions()
    {
        // Given two folds whose test items arrive out of order
        var summary = new TrainingSummary { TrainingTime = TimeSpan.FromSeconds(2) };
        summary.Facts["C"] = "4";
        var builder = new ModelResultBuilder("svm", Labels, 3)
            .AddFold(1, [4, 1, 3], [[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.5, 0.25, 0.25]], new TrainingSummary())
            .AddFold(0, [2, 0, 5], [[0.1, 0.1, 0.8], [0.9, 0.05, 0.05], [0.3, 0.3, 0.4]], summary);

        // When
        var model = builder.Build();

        // Then
        Assert.Equal("svm", model.Name);
        Assert.Equal(ModelResultBuilder.DecisionRuleDescription, model.DecisionRule);
        Assert.Equal([0, 1], model.Folds.Select(f => f.Fold));
        Assert.Same(summary, model.Folds[0].Training);
        Assert.Equal([0, 1, 2, 3, 4, 5], model.Predictions.Select(p => p.Item));
        Assert.Equal([0, 0, 2, 0, 1, 2], model.Predictions.Select(p => p.PredictedLabel));
        Assert.Equal(Labels, model.Predictions.Select(p => p.TrueLabel));
        Assert.Equal([0, 1, 0, 1, 1, 0], model.Predictions.Select(p => p.Fold));
        Assert.Equal(1.0, model.Folds[0].Metrics.Accuracy);
        Assert.Equal(2.0 / 3, model.Folds[1].Metrics.Accuracy, 12);
        Assert.Equal(5.0 / 6, model.Aggregate.Accuracy.Mean, 12);
        Assert.Equal([[2L, 0, 0], [1L, 1, 0], [0L, 0, 2]], model.Aggregate.ConfusionSum);
    }

    [Fact]
    public void Should_reject_an_item_tested_twice()
    {
        var builder = new ModelResultBuilder("svm", Labels, 3)
            .AddFold(0, [0, 1], [[1, 0, 0], [0, 1, 0]], new TrainingSummary());

        var ex = Assert.Throws<ArgumentException>(() => builder.AddFold(1, [1, 2], [[0, 1, 0], [0, 0, 1]], new TrainingSummary()));
        Assert.Contains("item 1 was already tested in fold 0", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => builder.AddFold(2, [3, 3], [[1, 0, 0], [1, 0, 0]], new TrainingSummary()));
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.5 }, "expected 3 probabilities")]
    [InlineData(new[] { 0.5, double.NaN, 0.5 }, "not a finite non-negative number")]
    [InlineData(new[] { 0.5, 0.5, 0.5 }, "sum to 1.5")]
    public void Should_reject_a_malformed_probability_row_naming_model_fold_and_item(double[] row, string problem)
    {
        var builder = new ModelResultBuilder("lipnet4", Labels, 3);

        var ex = Assert.Throws<ArgumentException>(() => builder.AddFold(2, [5], [row], new TrainingSummary()));

        Assert.Contains("Model 'lipnet4', fold 2, item 5", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_to_build_without_folds()
    {
        Assert.Throws<InvalidOperationException>(() => new ModelResultBuilder("svm", Labels, 3).Build());
    }
}
