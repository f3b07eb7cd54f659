using System.Globalization;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// Where a U-Net's forward passes lie on an image: a grid of equal tiles, each side a multiple of 2^depth, that covers
/// the image plus a mirrored margin of half the overlap at every border, with neighbours sharing the overlap. Of all
/// grids whose tiles fit the side and pixel limits, <see cref="Create"/> takes the one that makes the network compute
/// the fewest pixels (then the fewest tiles): an image whose mirrored field fits the pixel budget runs in one pass.
/// Tiles are batched up to the budget, so one forward pass never holds more than <see cref="PixelBudget"/> pixels.
/// </summary>
public sealed record UNetTilePlan
{
    UNetTilePlan(int width, int height, int tileWidth, int tileHeight, int[] xs, int[] ys, int batchSize, int pixelBudget)
    {
        (Width, Height, TileWidth, TileHeight, Xs, Ys, BatchSize, PixelBudget) = (width, height, tileWidth, tileHeight, xs, ys, batchSize, pixelBudget);
    }

    public int Width { get; }

    public int Height { get; }

    public int TileWidth { get; }

    public int TileHeight { get; }

    /// <summary>Left edges of the tile columns (negative or past the image where a tile reaches into the mirrored margin).</summary>
    public IReadOnlyList<int> Xs { get; }

    /// <summary>Top edges of the tile rows.</summary>
    public IReadOnlyList<int> Ys { get; }

    /// <summary>Tiles per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>The most pixels one forward pass may hold.</summary>
    public int PixelBudget { get; }

    public int TileCount => Xs.Count * Ys.Count;

    /// <summary>Pixels the network computes for the whole image.</summary>
    public long ComputedPixels => (long)TileCount * TileWidth * TileHeight;

    /// <summary>Tile origins, row by row.</summary>
    public IEnumerable<(int X, int Y)> Origins => Ys.SelectMany(y => Xs.Select(x => (x, y)));

    /// <summary>A one-line description for logs and benches.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Xs.Count} x {Ys.Count} tiles of {TileWidth} x {TileHeight}, batches of {BatchSize}, {ComputedPixels / 1e6:F3} MP computed for {(long)Width * Height / 1e6:F3} MP");

    /// <summary>
    /// The cheapest grid for a <paramref name="width"/> × <paramref name="height"/> image: tile sides at most
    /// <paramref name="maxSide"/> (rounded down to a multiple of <paramref name="multiple"/>), tile areas and batches at
    /// most <paramref name="pixelBudget"/> pixels, at most <paramref name="maxBatch"/> tiles a batch, neighbours
    /// overlapping by <paramref name="overlap"/> (at most half the largest side).
    /// </summary>
    public static UNetTilePlan Create(int width, int height, int maxSide, int overlap, int multiple, int pixelBudget, int maxBatch = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiple, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, multiple);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var side = maxSide / multiple * multiple;
        overlap = Math.Min(overlap, side / 2);
        var smallest = MinimumBudget(overlap, multiple);
        if (pixelBudget < smallest)
            throw new ArgumentOutOfRangeException(nameof(pixelBudget), pixelBudget, string.Create(CultureInfo.InvariantCulture,
                $"A pixel budget of {pixelBudget} cannot hold a tile that overlaps its neighbours by {overlap} px; it needs at least {smallest}."));

        (int Columns, int Rows, long Cost)? best = null;
        // Rounding to the multiple can make one more row or column cheaper, so every grid is tried (a few million at most).
        for (var nx = 1; ; nx++)
        {
            var sx = Side(width, nx, overlap, multiple);
            for (var ny = 1; sx <= side; ny++)
            {
                var sy = Side(height, ny, overlap, multiple);
                if (sy <= side && (long)sx * sy <= pixelBudget)
                {
                    var cost = (long)nx * ny * sx * sy;
                    if (best is not { } b || cost < b.Cost || (cost == b.Cost && nx * ny < b.Columns * b.Rows))
                        best = (nx, ny, cost);
                }
                if (sy <= overlap + multiple)
                    break;
            }
            if (sx <= overlap + multiple)
                break;
        }
        if (best is not { } chosen)
            throw new ArgumentOutOfRangeException(nameof(pixelBudget), pixelBudget, "No tile fits the pixel budget.");
        int tileWidth = Side(width, chosen.Columns, overlap, multiple), tileHeight = Side(height, chosen.Rows, overlap, multiple);
        var batch = (int)Math.Clamp(pixelBudget / ((long)tileWidth * tileHeight), 1, Math.Min(maxBatch, chosen.Columns * chosen.Rows));
        return new UNetTilePlan(width, height, tileWidth, tileHeight, Starts(width, chosen.Columns, tileWidth, overlap),
            Starts(height, chosen.Rows, tileHeight, overlap), batch, pixelBudget);
    }

    /// <summary>The smallest budget under which some plan exists: one tile of the overlap plus a multiple, squared.</summary>
    public static int MinimumBudget(int overlap, int multiple)
    {
        var side = (overlap + multiple) / multiple * multiple;
        return checked(side * side);
    }

    /// <summary>
    /// The tile side that lets <paramref name="count"/> tiles overlapping by <paramref name="overlap"/> cover
    /// <paramref name="length"/> plus half the overlap at both ends, rounded up to a multiple of <paramref name="multiple"/>.
    /// </summary>
    internal static int Side(int length, int count, int overlap, int multiple)
    {
        var needed = length + (2 * (overlap / 2));
        var core = count == 1 ? needed : (int)Math.Ceiling((needed - overlap) / (double)count) + overlap;
        return Math.Max(multiple, (core + multiple - 1) / multiple * multiple);
    }

    /// <summary>Origins of <paramref name="count"/> tiles a stride of side − overlap apart, the run centred on the axis.</summary>
    internal static int[] Starts(int length, int count, int side, int overlap)
    {
        var stride = side - overlap;
        var covered = side + ((count - 1) * stride);
        var first = -((covered - length) / 2);
        var starts = new int[count];
        for (var i = 0; i < count; i++)
            starts[i] = first + (i * stride);
        return starts;
    }
}
