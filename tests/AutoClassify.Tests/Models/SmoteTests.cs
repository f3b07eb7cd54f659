using AutoClassify.Features;
using AutoClassify.Models;

namespace AutoClassify.Tests.Models;

public class SmoteTests
{
    // Imbalanced blobs (60 / 25 / 15 %), training on the items with even index only.
    static (TrainingData Data, int[] Train, int[] Others) Imbalanced()
    {
        var data = SvmTestData.Blobs(count: 120, dimension: 5, shares: [0.6, 0.25, 0.15], seed: 8);
        var train = SvmTestData.All(data).Where(i => i % 2 == 0).ToArray();
        var others = SvmTestData.All(data).Where(i => i % 2 == 1).ToArray();
        return (data, train, others);
    }

    [Fact]
    public void Should_raise_every_class_to_the_majority_count_from_training_items_only()
    {
        // Given imbalanced data where every item outside the training indices sits far away from the rest
        var (clean, train, others) = Imbalanced();
        var rows = clean.Features!.Rows.Select(r => (double[])r.Clone()).ToArray();
        foreach (var item in others)
            Array.Fill(rows[item], 1e6);
        var features = new FeatureMatrix(clean.Features.Names, rows);
        var counts = Enumerable.Range(0, 3).Select(k => train.Count(i => clean.Labels[i] == k)).ToArray();

        // When
        var samples = Smote.Generate(features, clean.Labels, train, classCount: 3, seed: 5);

        // Then each minority class gets exactly what it lacks, and every new row lies between two training items of its class
        for (var k = 0; k < 3; k++)
            Assert.Equal(counts.Max() - counts[k], samples.Labels.Count(l => l == k));
        Assert.True(samples.Count > 0);
        var trainSet = train.ToHashSet();
        for (var s = 0; s < samples.Count; s++)
        {
            var (source, neighbour, gap) = (samples.Sources[s], samples.Neighbours[s], samples.Gaps[s]);
            Assert.Contains(source, trainSet);
            Assert.Contains(neighbour, trainSet);
            Assert.NotEqual(source, neighbour);
            Assert.Equal(samples.Labels[s], clean.Labels[source]);
            Assert.Equal(samples.Labels[s], clean.Labels[neighbour]);
            Assert.InRange(gap, 0, 1);
            for (var j = 0; j < features.Dimension; j++)
            {
                var expected = rows[source][j] + gap * (rows[neighbour][j] - rows[source][j]);
                Assert.Equal(expected, samples.Rows[s][j], 9);
                Assert.True(Math.Abs(samples.Rows[s][j]) < 1e5, $"row {s} feature {j} = {samples.Rows[s][j]} came from a non-training item");
            }
        }
    }

    [Fact]
    public void Should_pick_neighbours_among_the_nearest_of_the_same_class()
    {
        // Given one class on a line: 0, 1, 2, ..., 9, and a larger class elsewhere
        var rows = Enumerable.Range(0, 10).Select(i => new double[] { i, 0 })
            .Concat(Enumerable.Range(0, 30).Select(i => new double[] { 100 + i, 50 })).ToArray();
        var labels = Enumerable.Repeat(0, 10).Concat(Enumerable.Repeat(1, 30)).ToArray();
        var features = new FeatureMatrix(["x", "y"], rows);

        // When SMOTE uses 2 neighbours
        var samples = Smote.Generate(features, labels, [.. Enumerable.Range(0, 40)], classCount: 2, seed: 1, neighbours: 2);

        // Then every source's neighbour is within two steps along the line
        Assert.Equal(20, samples.Count);
        for (var s = 0; s < samples.Count; s++)
            Assert.InRange(Math.Abs(samples.Sources[s] - samples.Neighbours[s]), 1, 2);
        // and the 20 new rows are spread evenly: two per source
        Assert.All(samples.Sources.GroupBy(x => x), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public void Should_make_the_same_rows_from_the_same_seed_and_other_rows_from_another()
    {
        var (data, train, _) = Imbalanced();

        var a = Smote.Generate(data.Features!, data.Labels, train, 3, seed: 5);
        var b = Smote.Generate(data.Features!, data.Labels, train, 3, seed: 5);
        var c = Smote.Generate(data.Features!, data.Labels, train, 3, seed: 6);

        Assert.Equal(a.Rows.SelectMany(r => r), b.Rows.SelectMany(r => r));
        Assert.NotEqual(a.Rows.SelectMany(r => r), c.Rows.SelectMany(r => r));
        Assert.Equal(a.Count, c.Count);
    }

    [Fact]
    public void Should_copy_the_only_item_of_a_single_item_class()
    {
        var features = new FeatureMatrix(["x"], [[1.0], [2.0], [3.0], [10.0]]);

        var samples = Smote.Generate(features, [0, 0, 0, 1], [0, 1, 2, 3], classCount: 2, seed: 3);

        Assert.Equal(2, samples.Count);
        Assert.All(samples.Rows, r => Assert.Equal(10.0, r[0]));
    }

    [Fact]
    public void Should_append_synthetic_rows_after_the_real_ones_and_list_them_for_the_fit()
    {
        var (data, train, _) = Imbalanced();

        var (augmented, indices, samples) = Smote.Augment(data, train, seed: 2);

        var n = data.Labels.Length;
        Assert.Equal(n + samples.Count, augmented.Labels.Length);
        Assert.Equal(n + samples.Count, augmented.Features!.Count);
        Assert.Equal(data.Features!.Rows[7], augmented.Features.Rows[7]);
        Assert.Equal([.. train, .. Enumerable.Range(n, samples.Count)], indices);
        var perClass = Enumerable.Range(0, 3).Select(k => indices.Count(i => augmented.Labels[i] == k)).ToArray();
        Assert.All(perClass, c => Assert.Equal(perClass[0], c));
        Assert.Null(augmented.Images);
    }
}
