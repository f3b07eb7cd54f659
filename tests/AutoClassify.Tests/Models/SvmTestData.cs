using AutoClassify.Features;
using AutoClassify.Models;

namespace AutoClassify.Tests.Models;

/// <summary>Seeded Gaussian blobs: one unit-variance cloud per class, centres a fixed distance apart.</summary>
internal static class SvmTestData
{
    /// <summary>
    /// <paramref name="count"/> items in <paramref name="dimension"/>-D; class k gets round(shares[k] * count)
    /// items (at least 1, the remainder goes to class 0) around a centre <paramref name="separation"/>
    /// standard deviations out along axis k.
    /// </summary>
    public static TrainingData Blobs(int count, int dimension, double[] shares, int seed, double separation = 3)
    {
        var random = new Random(seed);
        var sizes = shares.Select(s => Math.Max(1, (int)Math.Round(s * count))).ToArray();
        sizes[0] += count - sizes.Sum();
        var labels = new List<int>();
        var rows = new List<double[]>();
        for (var k = 0; k < sizes.Length; k++)
        {
            for (var i = 0; i < sizes[k]; i++)
            {
                var row = new double[dimension];
                for (var j = 0; j < dimension; j++)
                    row[j] = Normal(random) + (j == k ? separation : 0);
                // A shifted, stretched and a constant column: the standardizer has work to do.
                row[dimension - 1] = 7;
                row[dimension - 2] = 1000 + 50 * row[dimension - 2];
                rows.Add(row);
                labels.Add(k);
            }
        }

        // Interleave classes so no code can rely on sorted labels.
        var order = Enumerable.Range(0, rows.Count).ToArray();
        random.Shuffle(order);
        var names = Enumerable.Range(0, dimension).Select(j => $"f{j}").ToArray();
        return new TrainingData
        {
            ClassNames = Enumerable.Range(0, shares.Length).Select(k => $"class{k}").ToArray(),
            Labels = order.Select(i => labels[i]).ToArray(),
            Features = new FeatureMatrix(names, order.Select(i => rows[i]).ToArray()),
        };
    }

    public static int[] All(TrainingData data) => Enumerable.Range(0, data.Labels.Length).ToArray();

    static double Normal(Random random)
    {
        var u = 1 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
