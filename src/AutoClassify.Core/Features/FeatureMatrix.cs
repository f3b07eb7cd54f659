namespace AutoClassify.Features;

/// <summary>One row of named features per image, in dataset order.</summary>
public sealed class FeatureMatrix
{
    public FeatureMatrix(IReadOnlyList<string> names, double[][] rows)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(rows);
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != names.Count)
                throw new ArgumentException($"Row {i} has {rows[i].Length} values for {names.Count} feature names.", nameof(rows));
        }
        Names = names;
        Rows = rows;
    }

    public IReadOnlyList<string> Names { get; }
    public double[][] Rows { get; }
    public int Count => Rows.Length;
    public int Dimension => Names.Count;
}
