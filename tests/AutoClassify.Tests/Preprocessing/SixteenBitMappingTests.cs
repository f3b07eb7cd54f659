using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing;

public sealed class SixteenBitMappingTests : IDisposable
{
    readonly TempDirectory folder = new("sixteen-bit");

    public void Dispose() => folder.Dispose();

    // A bright disk with texture on a dark noisy background; a few black and saturated pixels, as micrographs have.
    static int[] Picture(int size, int seed)
    {
        var random = new Random(seed);
        var values = new int[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var r = Math.Sqrt(((x - 40.0) * (x - 40.0)) + ((y - 50.0) * (y - 50.0)));
                var level = r < 22 ? 150 + (40 * Math.Sin(x / 3.0)) : 30;
                values[(y * size) + x] = (int)Math.Clamp(level + random.Next(-12, 13), 0, 255);
            }
        }
        for (var i = 0; i < values.Length / 50; i++)
        {
            values[random.Next(values.Length)] = 0;
            values[random.Next(values.Length)] = 255;
        }
        return values;
    }

    string Save(string name, int[] values, int size, int factor, int bitDepth)
    {
        var full = bitDepth == 8 ? 255f : 65535f;
        var path = folder.File(name);
        ImageCodec.Save(new GrayImage(size, size, [.. values.Select(v => v * factor / full)]), path, bitDepth);
        return path;
    }

    [Theory]
    [InlineData("png", 4)]    // 10-bit camera data: 0-1,020
    [InlineData("tif", 16)]   // 12-bit: 0-4,080
    [InlineData("png", 257)]  // the full 16-bit range
    public void Should_give_the_same_pixels_and_features_for_one_picture_in_8_and_16_bits(string extension, int factor)
    {
        // Given one picture saved as 8-bit and as 16-bit using only part of the 16-bit range
        const int size = 96;
        var values = Picture(size, seed: 5);
        var eight = Save("eight." + extension, values, size, 1, 8);
        var sixteen = Save("sixteen." + extension, values, size, factor, 16);

        // When both are read as the pipeline reads them
        var a = ImageCodec.Decode(eight);
        var b = ImageCodec.Decode(sixteen);

        // Then the pixels and the handcrafted features agree
        var worst = a.Pixels.Zip(b.Pixels, (p, q) => Math.Abs(p - q)).Max();
        Assert.InRange(worst, 0, 1e-4);
        var fa = HandcraftedFeatures.Extract(a);
        var fb = HandcraftedFeatures.Extract(b);
        for (var k = 0; k < fa.Length; k++)
            Assert.True(Math.Abs(fa[k] - fb[k]) <= 1e-3 * Math.Max(1, Math.Abs(fa[k])), $"{HandcraftedFeatures.Names[k]}: {fa[k]} vs {fb[k]}");
    }

    [Fact]
    public void Should_not_leave_low_range_16_bit_data_almost_black()
    {
        // Given 10-bit data stored in 16 bits, which the fixed ÷65535 scaling leaves almost black
        const int size = 96;
        var path = Save("low.png", Picture(size, seed: 6), size, 4, 16);
        var fixedScale = ImageCodec.Decode(File.ReadAllBytes(path), path, out var depth);
        Assert.Equal(16, depth);
        Assert.True(fixedScale.Pixels.Max() < 0.02f);

        // When it is read as the pipeline reads it
        var mapped = ImageCodec.Decode(path);

        // Then it spans the grey range, and the mapping in force is the one the packages record
        Assert.Equal(0f, mapped.Pixels.Min());
        Assert.Equal(1f, mapped.Pixels.Max());
        Assert.InRange(mapped.Pixels.Average(), 0.1, 0.5);
        Assert.Contains("16-bit PNG/TIFF", IntensityMapping.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_a_16_bit_mask_whose_object_fills_the_image()
    {
        // Given a 16-bit mask that is 1 everywhere (a stretch would find no range in it)
        var path = folder.File("full.mask.png");
        ImageCodec.Save(new GrayImage(8, 8, Enumerable.Repeat(1 / 65535f, 64).ToArray()), path, 16);

        // When it is read as a mask
        var mask = ImageCodec.DecodeMask(path);

        // Then every pixel is inside the object
        Assert.Equal(64, mask.Data.Count(v => v != 0));
    }
}
