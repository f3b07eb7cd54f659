using AutoClassify.Models.Segmenters;

namespace AutoClassify.Tests.Models.Segmenters;

public class UNetTilePlanTests
{
    [Fact]
    public void Should_run_a_1024_by_768_field_in_one_pass_with_the_default_settings()
    {
        var plan = UNetTilePlan.Create(1024, 768, UNetOptions.Defaults.TileSize, UNetOptions.Defaults.TileOverlap, 8, UNetOptions.Defaults.PredictionPixels, UNetOptions.Defaults.PredictionBatchSize);

        // The field plus 32 mirrored pixels at every border: 1088 x 832, 0.91 MP for 0.79 MP of image
        Assert.Equal((1, 1088, 832), (plan.TileCount, plan.TileWidth, plan.TileHeight));
        Assert.Equal((-32, -32), (plan.Xs[0], plan.Ys[0]));
    }

    [Theory]
    [InlineData(1024, 768, 512, 64, 8, 524_288)]
    [InlineData(1024, 768, 4096, 64, 8, 1 << 20)]
    [InlineData(5, 3, 4096, 64, 8, 1 << 20)]
    [InlineData(1, 1, 64, 16, 4, 4096)]
    [InlineData(150, 131, 32, 12, 4, 2048)]
    [InlineData(301, 203, 4096, 16, 4, 9216)]
    [InlineData(3000, 2000, 4096, 64, 8, 1 << 20)]
    [InlineData(4096, 300, 2048, 64, 8, 1 << 20)]
    [InlineData(777, 555, 4096, 0, 16, 40_000)]
    public void Should_cover_every_pixel_and_its_margin_with_equal_tiles_within_the_budget(int width, int height, int maxSide, int overlap, int multiple, int budget)
    {
        var plan = UNetTilePlan.Create(width, height, maxSide, overlap, multiple, budget, maxBatch: 4);

        // Equal tiles, sides multiples of 2^depth within the limit, and no forward pass above the budget
        Assert.Equal(0, plan.TileWidth % multiple);
        Assert.Equal(0, plan.TileHeight % multiple);
        Assert.InRange(plan.TileWidth, multiple, maxSide);
        Assert.InRange(plan.TileHeight, multiple, maxSide);
        Assert.InRange(plan.BatchSize, 1, Math.Min(4, plan.TileCount));
        Assert.True((long)plan.BatchSize * plan.TileWidth * plan.TileHeight <= budget, plan.ToString());
        // Every pixel, and half the overlap beyond every border, lies in a tile; neighbours share the overlap exactly
        AssertCovers(plan.Xs, plan.TileWidth, width, overlap);
        AssertCovers(plan.Ys, plan.TileHeight, height, overlap);
    }

    [Theory]
    [InlineData(1024, 768, 512, 64, 8, 524_288)]
    [InlineData(301, 203, 4096, 16, 4, 9216)]
    [InlineData(150, 131, 64, 12, 4, 2048)]
    [InlineData(3000, 2000, 4096, 64, 8, 1 << 20)]
    [InlineData(900, 250, 4096, 32, 8, 65_536)]
    public void Should_compute_no_more_pixels_than_any_other_grid_of_equal_tiles(int width, int height, int maxSide, int overlap, int multiple, int budget)
    {
        var plan = UNetTilePlan.Create(width, height, maxSide, overlap, multiple, budget);

        // Every grid of up to 60 x 60 tiles sized to just cover the field, checked by brute force
        for (var nx = 1; nx <= 60; nx++)
        {
            for (var ny = 1; ny <= 60; ny++)
            {
                int sx = UNetTilePlan.Side(width, nx, overlap, multiple), sy = UNetTilePlan.Side(height, ny, overlap, multiple);
                if (sx <= maxSide && sy <= maxSide && (long)sx * sy <= budget)
                    Assert.True(plan.ComputedPixels <= (long)nx * ny * sx * sy, $"{plan} against {nx} x {ny} tiles of {sx} x {sy}");
            }
        }
    }

    [Fact]
    public void Should_compute_less_than_the_512_pixel_tiling_did_on_a_1024_by_768_field()
    {
        var old = UNetTilePlan.Create(1024, 768, 512, 64, 8, 2 * 512 * 512, maxBatch: 2);
        var planned = UNetTilePlan.Create(1024, 768, UNetOptions.Defaults.TileSize, 64, 8, UNetOptions.Defaults.PredictionPixels, UNetOptions.Defaults.PredictionBatchSize);

        // Six tiles of 408 x 448 (1.10 MP) against one pass over 1088 x 832 (0.91 MP)
        Assert.Equal((6, 408, 448), (old.TileCount, old.TileWidth, old.TileHeight));
        Assert.True(planned.ComputedPixels < 0.83 * old.ComputedPixels, $"{planned} against {old}");
    }

    [Fact]
    public void Should_refuse_a_budget_that_cannot_hold_a_tile_of_the_overlap()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => UNetTilePlan.Create(500, 500, 512, 64, 8, 4000));

        Assert.Contains("at least 5184", error.Message, StringComparison.Ordinal);
        Assert.Contains(new UNetOptions { PredictionPixels = 4000 }.Problems(), p => p.Contains("PredictionPixels", StringComparison.Ordinal));
    }

    static void AssertCovers(IReadOnlyList<int> starts, int side, int length, int overlap)
    {
        var margin = overlap / 2;
        Assert.True(starts[0] <= -margin, $"first tile starts at {starts[0]}");
        Assert.True(starts[^1] + side >= length + margin, $"last tile ends at {starts[^1] + side} of {length}");
        Assert.All(starts.Zip(starts.Skip(1)), p => Assert.Equal(side - overlap, p.Second - p.First));
    }
}
