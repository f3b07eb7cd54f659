using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Tiling;

public class TiledDataTests
{
    static (LabeledDataset Dataset, PreparedImage[] Prepared) TwoImages(int width, int height)
    {
        var random = new Random(3);
        var images = new[] { new GrayImage(width, height), new GrayImage(width, height) };
        foreach (var image in images)
        {
            for (var i = 0; i < image.Pixels.Length; i++)
                image.Pixels[i] = (float)random.NextDouble();
        }
        var dataset = new LabeledDataset
        {
            Root = "/fields",
            ClassNames = ["a", "b"],
            Items =
            [
                new DatasetItem("a/one.png", "/fields/a/one.png", 0, null, width, height),
                new DatasetItem("b/two.png", "/fields/b/two.png", 1, null, width, height),
            ],
            Skipped = [],
            Warnings = [],
        };
        return (dataset, images.Select(i => new PreparedImage(i, null)).ToArray());
    }

    [Fact]
    public void Should_cut_every_image_into_tiles_that_carry_its_label_and_put_it_back_together()
    {
        // Given two 96x80 images and 32-pixel tiles (rows start at 0, 32 and flush at 48)
        var (dataset, prepared) = TwoImages(96, 80);

        // When
        var tiled = TiledData.Expand(dataset, prepared, new TileSpec(32, 32));

        // Then each image gives 3 x 3 tiles, labelled like it, with ids naming the image and corner
        Assert.Equal(18, tiled.TileCount);
        Assert.Equal((0, 9), tiled.TilesOf(0));
        Assert.Equal((9, 9), tiled.TilesOf(1));
        Assert.Equal([.. Enumerable.Repeat(0, 9), .. Enumerable.Repeat(1, 9)], tiled.Tiles.Labels);
        Assert.Equal([.. Enumerable.Repeat(0, 9), .. Enumerable.Repeat(1, 9)], tiled.SourceImage);
        Assert.Equal("b/two.png#x64y48", tiled.Tiles.Items[17].RelativePath);
        Assert.All(tiled.Prepared, p => Assert.Equal((32, 32, null), (p.Image.Width, p.Image.Height, p.Mask)));
        Assert.Equal(prepared[0].Image.Pixels, tiled.Reassemble(0).Pixels);
        Assert.Equal(prepared[1].Image.Pixels, tiled.Reassemble(1).Pixels);
    }

    [Fact]
    public void Should_give_every_tile_its_images_fold()
    {
        var (dataset, prepared) = TwoImages(64, 64);
        var tiled = TiledData.Expand(dataset, prepared, new TileSpec(32, 16));

        var folds = tiled.TileFolds([1, 0]);

        // 3 x 3 overlapping tiles per image
        Assert.Equal([.. Enumerable.Repeat(1, 9), .. Enumerable.Repeat(0, 9)], folds);
        Assert.Throws<ArgumentException>(() => tiled.TileFolds([0]));
    }

    [Fact]
    public void Should_name_every_image_smaller_than_one_tile()
    {
        var (dataset, prepared) = TwoImages(40, 30);

        var error = Assert.Throws<ArgumentException>(() => TiledData.Expand(dataset, prepared, new TileSpec(32, 32)));

        Assert.Contains("2 prepared image(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'a/one.png' is 40x30", error.Message, StringComparison.Ordinal);
        Assert.Contains("'b/two.png' is 40x30", error.Message, StringComparison.Ordinal);
    }
}
