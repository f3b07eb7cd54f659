using System.Text.Json.Serialization;

namespace AutoClassify.Features;

/// <summary>
/// Z-score scaling, <c>(x - mean) / sd</c> per feature, with means and population standard deviations
/// taken from the training rows only, so nothing about held-out rows leaks into a model. A feature that
/// is constant on the training rows (up to rounding) has <see cref="StandardDeviations"/> 0 and maps to 0.
/// Serialises to JSON as its two arrays.
/// </summary>
public sealed class Standardizer
{
    // Below this fraction of |mean| a spread is rounding noise of a constant feature, not signal.
    const double RelativeNoise = 1e-12;

    /// <summary>Rebuilds a fitted standardizer, e.g. from JSON.</summary>
    [JsonConstructor]
    public Standardizer(IReadOnlyList<double> means, IReadOnlyList<double> standardDeviations)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(standardDeviations);
        if (means.Count != standardDeviations.Count)
            throw new ArgumentException($"{means.Count} means but {standardDeviations.Count} standard deviations.", nameof(standardDeviations));
        for (var j = 0; j < means.Count; j++)
        {
            if (!double.IsFinite(means[j]))
                throw new ArgumentException($"Mean of feature {j} is {means[j]}.", nameof(means));
            if (!double.IsFinite(standardDeviations[j]) || standardDeviations[j] < 0)
                throw new ArgumentException($"Standard deviation of feature {j} is {standardDeviations[j]}.", nameof(standardDeviations));
        }
        this.means = means.ToArray();
        deviations = standardDeviations.ToArray();
    }

    readonly double[] means;
    readonly double[] deviations;

    /// <summary>Training means per feature.</summary>
    public IReadOnlyList<double> Means => means;

    /// <summary>Training population standard deviations per feature; 0 marks a constant feature.</summary>
    public IReadOnlyList<double> StandardDeviations => deviations;

    [JsonIgnore]
    public int Dimension => means.Length;

    /// <summary>Fits on the rows listed in <paramref name="indices"/> (the training fold); other rows are never read.</summary>
    public static Standardizer Fit(IReadOnlyList<double[]> rows, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0)
            throw new ArgumentException("A standardizer needs at least one training row.", nameof(indices));

        var dimension = rows[indices[0]].Length;
        var average = new double[dimension];
        foreach (var i in indices)
        {
            var row = rows[i];
            if (row.Length != dimension)
                throw new ArgumentException($"Row {i} has {row.Length} features, expected {dimension}.", nameof(rows));
            for (var j = 0; j < dimension; j++)
            {
                if (!double.IsFinite(row[j]))
                    throw new ArgumentException($"Row {i}, feature {j} is {row[j]}; features must be finite.", nameof(rows));
                average[j] += row[j];
            }
        }
        for (var j = 0; j < dimension; j++)
            average[j] /= indices.Count;

        // Two passes: the sum of squared deviations does not cancel catastrophically like E[x^2] - E[x]^2.
        var spread = new double[dimension];
        foreach (var i in indices)
        {
            var row = rows[i];
            for (var j = 0; j < dimension; j++)
            {
                var d = row[j] - average[j];
                spread[j] += d * d;
            }
        }
        for (var j = 0; j < dimension; j++)
        {
            var sd = Math.Sqrt(spread[j] / indices.Count);
            spread[j] = sd <= RelativeNoise * Math.Abs(average[j]) ? 0 : sd;
        }
        return new Standardizer(average, spread);
    }

    /// <summary>Scales one row into <paramref name="destination"/>.</summary>
    public void Transform(ReadOnlySpan<double> row, Span<double> destination)
    {
        if (row.Length != Dimension)
            throw new ArgumentException($"Row has {row.Length} features, the standardizer was fitted on {Dimension}.", nameof(row));
        if (destination.Length != Dimension)
            throw new ArgumentException($"Destination has room for {destination.Length} features, need {Dimension}.", nameof(destination));
        for (var j = 0; j < row.Length; j++)
        {
            var sd = deviations[j];
            destination[j] = sd == 0 ? 0 : (row[j] - means[j]) / sd;
        }
    }

    /// <summary>Scales one row into a new array.</summary>
    public double[] Transform(ReadOnlySpan<double> row)
    {
        var result = new double[Dimension];
        Transform(row, result);
        return result;
    }

    /// <summary>Scales the rows listed in <paramref name="indices"/>, in that order.</summary>
    public double[][] Transform(IReadOnlyList<double[]> rows, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(indices);
        var result = new double[indices.Count][];
        for (var i = 0; i < indices.Count; i++)
            result[i] = Transform(rows[indices[i]]);
        return result;
    }
}
