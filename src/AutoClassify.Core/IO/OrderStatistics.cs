namespace AutoClassify.IO;

/// <summary>
/// Medians and quantiles of ascending values, and the position of the largest value, computed one way for every stage. MathNet's R7 quantile has the same
/// definition but rounds its position differently in the last bit and needs an array, so reported numbers would move.
/// </summary>
public static class OrderStatistics
{
    /// <summary>The middle value, or the mean of the two middle values; NaN when there is none.</summary>
    /// <param name="sorted">Values in ascending order.</param>
    public static double Median(ReadOnlySpan<double> sorted)
    {
        if (sorted.IsEmpty)
            return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>
    /// The <paramref name="q"/>-quantile, interpolating linearly between order statistics (Hyndman–Fan type 7,
    /// NumPy's default); <paramref name="q"/> is clamped to [0, 1]; NaN when there are no values.
    /// </summary>
    /// <param name="sorted">Values in ascending order.</param>
    /// <param name="q">The probability of the quantile.</param>
    public static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty)
            return double.NaN;
        var position = (sorted.Length - 1) * Math.Clamp(q, 0, 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    /// <summary>The index of the largest value, the lowest index on ties: the class a probability row decides for.</summary>
    /// <param name="values">The values, e.g. one probability per class.</param>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
            throw new ArgumentException("Cannot decide on an empty probability row.", nameof(values));
        var best = 0;
        for (var k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
                best = k;
        }
        return best;
    }
}
