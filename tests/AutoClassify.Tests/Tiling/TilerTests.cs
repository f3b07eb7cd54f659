using AutoClassify.Imaging;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Tiling;

public class TilerTests
{
    [Fact]
    public void Should_cover_every_pixel_with_tiles_inside_the_image()
    {
        // Given a 100x70 image and 32-pixel tiles every 24 pixels
        var tiles = Tiler.Layout(100, 70, new TileSpec(32, 24));

        // Then every pixel is covered and no tile leaves the image
        var covered = new bool[100 * 70];
        foreach (var t in tiles)
        {
            Assert.InRange(t.X, 0, 100 - 32);
            Assert.InRange(t.Y, 0, 70 - 32);
            for (var y = t.Y; y < t.Y + t.Size; y++)
            {
                for (var x = t.X; x < t.X + t.Size; x++)
                    covered[y * 100 + x] = true;
            }
        }
        Assert.All(covered, Assert.True);
        // x starts 0,24,48,68 (flush with the edge); y starts 0,24,38
        Assert.Equal(4 * 3, tiles.Count);
        Assert.Contains(new TileRect(68, 38, 32), tiles);
    }

    [Fact]
    public void Should_cut_the_pixels_under_the_tile()
    {
        var image = new GrayImage(40, 30);
        for (var i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = i / 1200f;

        var tile = Tiler.Cut(image, new TileRect(5, 7, 10));

        Assert.Equal(10, tile.Width);
        Assert.Equal(image[5, 7], tile[0, 0]);
        Assert.Equal(image[14, 16], tile[9, 9]);
    }

    [Theory]
    [InlineData("64", 64, 64)]
    [InlineData("128,64", 128, 64)]
    [InlineData(" 32 , 16 ", 32, 16)]
    public void Should_parse_size_and_stride(string text, int size, int stride)
    {
        var spec = TileSpec.Parse(text);
        Assert.Equal((size, stride), (spec.Size, spec.Stride));
        Assert.Equal(spec, TileSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("64,0", "stride")]
    [InlineData("64,80", "stride")]
    [InlineData("4", "at least 8")]
    [InlineData("64,32,1", "SIZE,STRIDE")]
    [InlineData("big", "not a whole number")]
    public void Should_reject_bad_specs_naming_the_problem(string text, string expected)
    {
        var error = Record.Exception(() => TileSpec.Parse(text));
        Assert.NotNull(error);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_image_smaller_than_a_tile()
    {
        var error = Assert.Throws<ArgumentException>(() => Tiler.Layout(30, 100, new TileSpec(32, 32)));
        Assert.Contains("30x100", error.Message, StringComparison.Ordinal);
    }
}

public class PredictionMapTests
{
    static PredictionMap TwoByOne() => new(64, 32, [new TileRect(0, 0, 32), new TileRect(32, 0, 32), new TileRect(16, 0, 32)],
        [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]);

    [Fact]
    public void Should_average_tile_probabilities()
    {
        var p = TwoByOne().Aggregate(TileAggregation.Mean);
        Assert.Equal(0.5, p[0], 12);
        Assert.Equal(0.5, p[1], 12);
    }

    [Fact]
    public void Should_count_votes_of_the_top_class()
    {
        var p = TwoByOne().Aggregate(TileAggregation.MajorityVote);
        Assert.Equal(1.0 / 3, p[0], 12);
        Assert.Equal(2.0 / 3, p[1], 12);
    }

    [Fact]
    public void Should_blend_overlapping_tiles_in_the_class_field()
    {
        // Cells of 16 px: centres at x = 8, 24, 40, 56
        var field = TwoByOne().ClassField(1, 16, out var columns, out var rows);
        Assert.Equal((4, 2), (columns, rows));
        Assert.Equal(0.1, field[0], 12);              // only tile 0
        Assert.Equal((0.1 + 0.6) / 2, field[1], 12);  // tiles 0 and 2
        Assert.Equal((0.8 + 0.6) / 2, field[2], 12);  // tiles 1 and 2
        Assert.Equal(0.8, field[3], 12);              // only tile 1
    }
}
