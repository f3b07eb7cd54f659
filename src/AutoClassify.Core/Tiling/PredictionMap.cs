namespace AutoClassify.Tiling;

/// <summary>How tile probabilities become one image's probabilities.</summary>
public enum TileAggregation
{
    /// <summary>Average the tiles' class probabilities.</summary>
    Mean,

    /// <summary>Each tile votes for its top class; the shares of the votes are the image's probabilities.</summary>
    MajorityVote,
}

/// <summary>
/// A model's class probabilities for every tile of one image: the spatial prediction map behind image-level
/// decisions, heat maps and overlays.
/// </summary>
public sealed class PredictionMap
{
    public PredictionMap(int width, int height, IReadOnlyList<TileRect> tiles, double[][] probabilities)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (tiles.Count == 0)
            throw new ArgumentException("A prediction map needs at least one tile.", nameof(tiles));
        if (tiles.Count != probabilities.Length)
            throw new ArgumentException($"{tiles.Count} tiles but {probabilities.Length} probability rows.", nameof(probabilities));
        var classes = probabilities[0].Length;
        if (probabilities.Any(p => p.Length != classes))
            throw new ArgumentException("Every tile needs the same number of class probabilities.", nameof(probabilities));
        Width = width;
        Height = height;
        Tiles = tiles;
        Probabilities = probabilities;
        ClassCount = classes;
    }

    /// <summary>Size of the (prepared) image the tiles were cut from.</summary>
    public int Width { get; }

    public int Height { get; }

    public IReadOnlyList<TileRect> Tiles { get; }

    /// <summary><c>Probabilities[t][k]</c>: tile t's probability of class k.</summary>
    public double[][] Probabilities { get; }

    public int ClassCount { get; }

    /// <summary>The image's class probabilities (they sum to 1).</summary>
    public double[] Aggregate(TileAggregation mode)
    {
        var result = new double[ClassCount];
        switch (mode)
        {
            case TileAggregation.Mean:
                foreach (var row in Probabilities)
                {
                    for (var k = 0; k < ClassCount; k++)
                        result[k] += row[k];
                }
                break;
            case TileAggregation.MajorityVote:
                foreach (var row in Probabilities)
                    result[ArgMax(row)] += 1;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown tile aggregation.");
        }
        var total = result.Sum();
        for (var k = 0; k < ClassCount; k++)
            result[k] /= total;
        return result;
    }

    /// <summary>
    /// Class <paramref name="classIndex"/>'s probability on a grid of <paramref name="cell"/>-pixel cells
    /// (row-major, <c>ceil(Height/cell)</c> rows by <c>ceil(Width/cell)</c> columns): each cell averages the
    /// tiles that cover its centre, so overlapping tiles blend.
    /// </summary>
    public double[] ClassField(int classIndex, int cell, out int columns, out int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, ClassCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(cell, 1);
        columns = (Width + cell - 1) / cell;
        rows = (Height + cell - 1) / cell;
        var sum = new double[columns * rows];
        var count = new int[columns * rows];
        for (var t = 0; t < Tiles.Count; t++)
        {
            var tile = Tiles[t];
            for (var r = 0; r < rows; r++)
            {
                var cy = Math.Min(r * cell + cell / 2, Height - 1);
                if (cy < tile.Y || cy >= tile.Y + tile.Size)
                    continue;
                for (var c = 0; c < columns; c++)
                {
                    var cx = Math.Min(c * cell + cell / 2, Width - 1);
                    if (cx < tile.X || cx >= tile.X + tile.Size)
                        continue;
                    sum[r * columns + c] += Probabilities[t][classIndex];
                    count[r * columns + c]++;
                }
            }
        }
        for (var i = 0; i < sum.Length; i++)
            sum[i] = count[i] > 0 ? sum[i] / count[i] : double.NaN;
        return sum;
    }

    static int ArgMax(double[] row)
    {
        var best = 0;
        for (var k = 1; k < row.Length; k++)
        {
            if (row[k] > row[best])
                best = k;
        }
        return best;
    }
}
