using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Tests.Models.Cnn;

public class CnnInputTests
{
    // A 60x40 image: background 0.2 with a gradient, a bright 10x10 square object at (35..44, 10..19).
    static (GrayImage Image, BinaryMask Mask) SquareScene()
    {
        var image = new GrayImage(60, 40);
        var mask = new BinaryMask(60, 40);
        for (var y = 0; y < 40; y++)
        {
            for (var x = 0; x < 60; x++)
            {
                var inside = x is >= 35 and < 45 && y is >= 10 and < 20;
                image[x, y] = inside ? 0.9f : 0.2f + 0.005f * x;
                mask[x, y] = inside;
            }
        }
        return (image, mask);
    }

    static (double Mean, double Sd) Moments(ReadOnlySpan<float> pixels)
    {
        double mean = 0;
        foreach (var v in pixels)
            mean += v;
        mean /= pixels.Length;
        double variance = 0;
        foreach (var v in pixels)
            variance += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(variance / pixels.Length));
    }

    [Theory]
    [InlineData(InputMode.Surround)]
    [InlineData(InputMode.Crop)]
    [InlineData(InputMode.CropMask)]
    public void Should_give_a_standardised_square_of_the_input_size(InputMode mode)
    {
        var (image, mask) = SquareScene();
        var preparer = new CnnInputPreparer(mode, 16);
        var output = new float[16 * 16];

        var usedMask = preparer.Prepare(image, mask, output);

        Assert.True(usedMask);
        var (mean, sd) = Moments(output);
        Assert.Equal(0, mean, 4);
        Assert.Equal(1, sd, 3);
    }

    [Fact]
    public void Should_let_the_object_fill_most_of_the_input_when_cropping()
    {
        var (image, mask) = SquareScene();
        var surround = new float[16 * 16];
        var crop = new float[16 * 16];

        new CnnInputPreparer(InputMode.Surround, 16).Prepare(image, mask, surround);
        new CnnInputPreparer(InputMode.Crop, 16).Prepare(image, mask, crop);

        // The object is the maximum; count the pixels at (nearly) that level.
        static int Bright(float[] p) => p.Count(v => v > p.Max() - 0.1f);
        Assert.True(Bright(crop) > 4 * Bright(surround), $"crop {Bright(crop)} vs surround {Bright(surround)} bright pixels");
        Assert.True(Bright(crop) > 16 * 16 / 2);
    }

    [Fact]
    public void Should_flatten_the_surroundings_to_one_level_in_crop_mask_mode()
    {
        var (image, mask) = SquareScene();
        var crop = new float[20 * 20];
        var cropMask = new float[20 * 20];

        new CnnInputPreparer(InputMode.Crop, 20, marginFraction: 0.3).Prepare(image, mask, crop);
        new CnnInputPreparer(InputMode.CropMask, 20, marginFraction: 0.3).Prepare(image, mask, cropMask);

        // The border row lies outside the object: a gradient in crop mode, a single level in crop-mask mode.
        var cropBorder = crop.AsSpan(0, 20).ToArray();
        var maskedBorder = cropMask.AsSpan(0, 20).ToArray();
        Assert.True(cropBorder.Max() - cropBorder.Min() > 0.01f);
        Assert.True(maskedBorder.Max() - maskedBorder.Min() < 1e-5f);
    }

    [Fact]
    public void Should_fall_back_to_the_whole_image_and_count_items_without_a_mask()
    {
        var (image, mask) = SquareScene();
        var data = new TrainingData
        {
            ClassNames = ["a"],
            Labels = [0, 0, 0],
            Images = [image, image, image],
            Masks = [mask, null, new BinaryMask(60, 40)],
        };
        var crop = new CnnInputPreparer(InputMode.Crop, 12);
        var surround = new CnnInputPreparer(InputMode.Surround, 12);

        var (pixels, fallbacks) = crop.PrepareBatch(data, [0, 1, 2]);
        var (whole, _) = surround.PrepareBatch(data, [1]);

        Assert.Equal(2, fallbacks);
        Assert.Equal(3 * 12 * 12, pixels.Length);
        Assert.Equal(whole, pixels.AsSpan(12 * 12, 12 * 12).ToArray());
        Assert.Equal(0, surround.PrepareBatch(data, [0, 1, 2]).MaskFallbacks);
    }

    [Fact]
    public void Should_name_the_item_whose_mask_does_not_match_its_image()
    {
        var (image, _) = SquareScene();
        var data = new TrainingData { ClassNames = ["a"], Labels = [0], Images = [image], Masks = [new BinaryMask(10, 10)] };

        var ex = Assert.Throws<ArgumentException>(() => new CnnInputPreparer(InputMode.Crop, 12).PrepareBatch(data, [0]));

        Assert.Contains("Item 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("60x40", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_average_blocks_when_shrinking_and_keep_constants_when_enlarging()
    {
        // A 4x4 image of 2x2 blocks with values 0, 0.25, 0.5, 0.75.
        float[] source = [0, 0, 0.25f, 0.25f, 0, 0, 0.25f, 0.25f, 0.5f, 0.5f, 0.75f, 0.75f, 0.5f, 0.5f, 0.75f, 0.75f];

        var small = CnnInputPreparer.Resize(new GrayImage(4, 4, source), 2);
        var large = CnnInputPreparer.Resize(new GrayImage(3, 3, Enumerable.Repeat(0.7f, 9).ToArray()), 7);

        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f }, small.Pixels);
        Assert.All(large.Pixels, v => Assert.Equal(0.7f, v, 5));
    }

    [Theory]
    [InlineData(64, 28)]
    [InlineData(45, 28)]
    [InlineData(29, 28)]
    public void Should_keep_the_mean_when_shrinking_by_any_factor(int from, int to)
    {
        var random = new Random(from);
        var source = Enumerable.Range(0, from * from).Select(_ => (float)random.NextDouble()).ToArray();

        var result = CnnInputPreparer.Resize(new GrayImage(from, from, source), to);

        Assert.Equal(to, result.Width);
        Assert.Equal(source.Average(), result.Pixels.Average(), 3);
    }

    [Fact]
    public void Should_prepare_large_batches_in_parallel_exactly_as_one_by_one()
    {
        var data = ShapeImages.Create(perClass: 30, size: 40, seed: 12);
        var preparer = new CnnInputPreparer(InputMode.CropMask, 28);
        int[] all = [.. Enumerable.Range(0, 90)];

        var (batch, _) = preparer.PrepareBatch(data, all);

        for (var i = 0; i < all.Length; i += 17)
            Assert.Equal(preparer.PrepareBatch(data, [i]).Pixels, batch.AsSpan(i * 28 * 28, 28 * 28).ToArray());
    }

    [Fact]
    public void Should_parse_input_mode_names_both_ways()
    {
        foreach (var mode in Enum.GetValues<InputMode>())
            Assert.Equal(mode, InputModes.Parse(mode.ToName()));
        Assert.Throws<FormatException>(() => InputModes.Parse("masked"));
    }
}
