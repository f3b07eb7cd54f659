using AutoClassify.Evaluation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace AutoClassify.Tests.MLNet;

/// <summary>Our <see cref="ClassificationMetrics"/> against ML.NET's own multiclass evaluator, on the same predictions.</summary>
public sealed class MetricsAgreementTests
{
    sealed class Prediction
    {
        public uint Truth { get; set; }

        public uint Predicted { get; set; }

        [VectorType(4)]
        public float[] Score { get; set; } = [];
    }

    sealed class ClassValue
    {
        public uint Value { get; set; }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Should_agree_with_mlnet_on_accuracy_macro_accuracy_and_log_loss(int seed)
    {
        // Given imbalanced four-class predictions: noisy probability rows biased towards the truth, one row that
        // gives the true class probability 0 (both clamp it), rounded to float as ML.NET holds them
        const int classes = 4;
        var random = new Random(seed);
        var truth = new List<int>();
        var probabilities = new List<double[]>();
        for (var i = 0; i < 240; i++)
        {
            var k = i % 10 < 6 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3;
            var row = Enumerable.Range(0, classes).Select(_ => -Math.Log(1 - random.NextDouble())).ToArray();
            row[k] += random.NextDouble() < 0.7 ? 1.5 : 0;
            if (i == 17)
                row[k] = 0;
            var sum = row.Sum();
            probabilities.Add([.. row.Select(v => (double)(float)(v / sum))]);
            truth.Add(k);
        }
        var predicted = probabilities.Select(p => Array.IndexOf(p, p.Max())).ToArray();

        // When both compute their metrics
        var ours = ClassificationMetrics.Compute(truth, predicted, probabilities, classes);
        var context = new MLContext(seed: 0);
        var rows = truth.Select((t, i) => new Prediction
        {
            Truth = (uint)t,
            Predicted = (uint)predicted[i],
            Score = [.. probabilities[i].Select(v => (float)v)],
        });
        var keys = context.Data.LoadFromEnumerable(Enumerable.Range(0, classes).Select(k => new ClassValue { Value = (uint)k }));
        var view = context.Data.LoadFromEnumerable(rows);
        var keyed = context.Transforms.Conversion.MapValueToKey("Label", nameof(Prediction.Truth), keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue, keyData: keys)
            .Append(context.Transforms.Conversion.MapValueToKey("PredictedLabel", nameof(Prediction.Predicted), keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue, keyData: keys))
            .Fit(view)
            .Transform(view);
        var theirs = context.MulticlassClassification.Evaluate(keyed, "Label", nameof(Prediction.Score), "PredictedLabel");

        // Then accuracy, macro accuracy (our balanced accuracy) and log loss agree
        Assert.InRange(ours.Accuracy, 0.3, 0.95);
        Assert.Equal(theirs.MicroAccuracy, ours.Accuracy, 12);
        Assert.Equal(theirs.MacroAccuracy, ours.BalancedAccuracy, 12);
        Assert.Equal(theirs.LogLoss, ours.LogLoss, 5);
        Assert.True(ours.LogLoss > 0.5);
    }
}
