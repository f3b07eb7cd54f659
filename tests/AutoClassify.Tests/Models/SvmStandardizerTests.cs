using System.Text.Json;
using AutoClassify.Features;

namespace AutoClassify.Tests.Models;

public class SvmStandardizerTests
{
    [Fact]
    public void Should_give_training_rows_zero_mean_and_unit_variance()
    {
        // Given skewed, shifted training rows
        var random = new Random(2);
        var rows = Enumerable.Range(0, 200).Select(_ => new[] { random.NextDouble() * 10 - 3, Math.Exp(random.NextDouble() * 4), 1e6 + random.NextDouble() }).ToArray();
        var all = Enumerable.Range(0, rows.Length).ToArray();

        // When fitted and applied to them
        var scaled = Standardizer.Fit(rows, all).Transform(rows, all);

        // Then every column has mean 0 and population variance 1
        for (var j = 0; j < 3; j++)
        {
            var column = scaled.Select(r => r[j]).ToArray();
            Assert.Equal(0, column.Average(), 7);
            Assert.Equal(1, column.Select(v => v * v).Average(), 7);
        }
    }

    [Fact]
    public void Should_map_a_constant_feature_to_zero_even_when_its_mean_does_not_round_exactly()
    {
        // Given a column of 0.1s (their float mean is not exactly 0.1) and a column of zeros
        double[][] rows = [[0.1, 0, 1], [0.1, 0, 2], [0.1, 0, 4]];
        var all = new[] { 0, 1, 2 };

        // When fitted
        var standardizer = Standardizer.Fit(rows, all);

        // Then both have zero spread and map any value to 0
        Assert.Equal(0, standardizer.StandardDeviations[0]);
        Assert.Equal(0, standardizer.StandardDeviations[1]);
        Assert.Equal([0, 0], standardizer.Transform([123.0, -5.0, 1.0]).Take(2));
    }

    [Fact]
    public void Should_learn_nothing_from_rows_outside_the_training_indices()
    {
        // Given a training fold and test rows
        var random = new Random(3);
        var rows = Enumerable.Range(0, 50).Select(_ => new[] { random.NextDouble(), random.NextDouble() * 5 }).ToArray();
        var train = Enumerable.Range(0, 50).Where(i => i % 5 != 0).ToArray();
        var before = Standardizer.Fit(rows, train);

        // When the test rows change wildly (and even become NaN)
        foreach (var i in Enumerable.Range(0, 50).Where(i => i % 5 == 0))
            rows[i] = [double.NaN, 1e12 * (i + 1)];
        var after = Standardizer.Fit(rows, train);

        // Then the fit is bit-identical
        Assert.Equal(before.Means, after.Means);
        Assert.Equal(before.StandardDeviations, after.StandardDeviations);
    }

    [Fact]
    public void Should_round_trip_through_json_exactly()
    {
        // Given a fitted standardizer
        var random = new Random(4);
        var rows = Enumerable.Range(0, 30).Select(_ => new[] { random.NextDouble() / 3, random.NextDouble() * 1e-7, 5 }).ToArray();
        var original = Standardizer.Fit(rows, Enumerable.Range(0, 30).ToArray());

        // When serialised and read back
        var copy = JsonSerializer.Deserialize<Standardizer>(JsonSerializer.Serialize(original))!;

        // Then it scales every row to the same bits
        Assert.Equal(original.Means, copy.Means);
        Assert.Equal(original.StandardDeviations, copy.StandardDeviations);
        Assert.All(rows, r => Assert.Equal(original.Transform(r), copy.Transform(r)));
    }

    [Fact]
    public void Should_reject_a_non_finite_training_value_naming_row_and_feature()
    {
        double[][] rows = [[1, 2], [3, double.NaN]];

        var ex = Assert.Throws<ArgumentException>(() => Standardizer.Fit(rows, [0, 1]));

        Assert.Contains("Row 1, feature 1", ex.Message, StringComparison.Ordinal);
    }
}
