using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Svm;

namespace AutoClassify.Tests.Models.AutoMl;

public sealed class StackingCombinerTests
{
    /// <summary>
    /// Rows of 3 classes from two members: the first puts 0.5 on the true class in 60 % of rows (elsewhere on a random
    /// one), the second always puts 0.9 on the class after the true one: informative, but not as its argmax says.
    /// </summary>
    static (List<double[][]> PerMember, int[] Labels) Rows(int count, int seed)
    {
        var random = new Random(seed);
        var labels = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        double[] Peak(int k, double p) => [.. Enumerable.Range(0, 3).Select(c => c == k ? p : (1 - p) / 2)];
        var first = labels.Select(y => Peak(random.NextDouble() < 0.6 ? y : random.Next(3), 0.5)).ToArray();
        var second = labels.Select(y => Peak((y + 1) % 3, 0.9)).ToArray();
        return ([first, second], labels);
    }

    static double Accuracy(double[][] probabilities, int[] labels) =>
        labels.Select((y, r) => SvmModel.ArgMax(probabilities[r]) == y ? 1.0 : 0).Average();

    [Fact]
    public void Should_learn_how_members_are_informative_where_averaging_them_fails()
    {
        // Given members whose mean probability mostly points at the wrong class
        var (fit, fitLabels) = Rows(150, seed: 1);
        var (test, testLabels) = Rows(150, seed: 2);

        // When a combiner is fitted on one set of rows and predicts another
        var combiner = StackingCombiner.Fit(fit, fitLabels, classCount: 3);
        var stacked = combiner.Predict(test, testLabels.Length);
        var averaged = EnsembleModel.Average(test, testLabels.Length, 3);

        // Then the stack is right almost always, the average is not, and every row is a distribution
        Assert.True(Accuracy(stacked, testLabels) > 0.95, $"stacked accuracy {Accuracy(stacked, testLabels):F3}");
        Assert.True(Accuracy(averaged, testLabels) < 0.3, $"averaged accuracy {Accuracy(averaged, testLabels):F3}");
        Assert.All(stacked, row => Assert.Equal(1, row.Sum(), 9));
    }

    [Fact]
    public void Should_repeat_exactly_and_refuse_weights_of_the_wrong_shape()
    {
        var (rows, labels) = Rows(60, seed: 3);
        var a = StackingCombiner.Fit(rows, labels, 3);
        var b = StackingCombiner.Fit(rows, labels, 3);
        Assert.Equal(a.Weights.SelectMany(w => w), b.Weights.SelectMany(w => w));
        Assert.Equal(3, a.Weights.Count);
        Assert.All(a.Weights, w => Assert.Equal((2 * 3) + 1, w.Count));

        var error = Assert.Throws<ArgumentException>(() => new StackingCombiner(2, [[1.0, 2.0], [3.0, 4.0]]));
        Assert.Contains("2 members of 2 classes need 5", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new StackingCombiner(2, [[1, 2, 3, 4, double.NaN], [1, 2, 3, 4, 5]]));
    }
}
