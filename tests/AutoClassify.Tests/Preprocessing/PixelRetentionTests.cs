using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Support;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Preprocessing;

public class PixelRetentionTests
{
    [Fact]
    public void Should_pack_8_bit_pixels_in_one_byte_and_give_back_the_same_floats()
    {
        // Given an 8-bit PNG as the pipeline decodes it
        using var dir = new TempDirectory("compact8");
        var path = dir.Combine("disk.png");
        PngWriter.Write(path, TestImages.Disk(200, 50, seed: 4));
        var image = ImageCodec.Decode(path);

        // When it is packed and expanded
        var packed = CompactPixels.Pack(image);

        // Then it takes one byte per pixel and every float comes back bit for bit
        Assert.Equal(1, packed.BytesPerPixel);
        AssertSameBits(image, packed.Expand());
    }

    [Fact]
    public void Should_pack_a_stretched_16_bit_image_in_two_bytes_and_keep_other_floats_whole()
    {
        // Given a 16-bit PNG using only 0..4,080 (stretched by its own percentiles on decoding), and a resized image
        using var dir = new TempDirectory("compact16");
        var path = dir.Combine("wide.png");
        var source = TestImages.Disk(512, 120, seed: 5);
        for (var i = 0; i < source.Pixels.Length; i++)
            source.Pixels[i] *= 4080f / 65535f;
        File.WriteAllBytes(path, ImageCodec.Encode(source, ImageFileFormat.Png, bitDepth: 16));
        var wide = ImageCodec.Decode(path);
        var resized = ImageOps.Resize(wide, 301, 299);

        // When both are packed
        var packedWide = CompactPixels.Pack(wide);
        var packedResized = CompactPixels.Pack(resized);

        // Then the 16-bit one takes two bytes, the resized one stays float, and both come back bit for bit
        Assert.Equal(2, packedWide.BytesPerPixel);
        Assert.Equal(4, packedResized.BytesPerPixel);
        AssertSameBits(wide, packedWide.Expand());
        AssertSameBits(resized, packedResized.Expand());
    }

    [Fact]
    public void Should_give_the_same_benchmark_whether_fields_are_kept_as_float_measured_as_prepared_or_packed()
    {
        // Given fields in two classes (8-bit PNG and JPEG, and one 16-bit PNG)
        using var dir = new TempDirectory("retention");
        var data = dir.Combine("fields");
        WriteFields(data);

        // When the feature SVMs run with every image held as float (the old path) and with none held
        var eager = Run(data, ["svm", "svm-field"], PixelRetention.Eager);
        var streamed = Run(data, ["svm", "svm-field"], pixels: null);

        // Then every out-of-fold probability, chosen setting and banner count is identical
        AssertSameResults(eager, streamed);
        Assert.Equal(eager.Dataset.Banners!.BannersFound, streamed.Dataset.Banners!.BannersFound);
        Assert.Equal(["prepare images", "features"], streamed.Timing!.Where(t => t.Model is null).Select(t => t.Stage));
    }

    [Fact]
    public void Should_cut_the_same_tiles_from_packed_fields_in_a_third_of_the_memory()
    {
        // Given prepared fields held as float and held packed
        using var dir = new TempDirectory("tiles");
        var data = dir.Combine("fields");
        WriteFields(data);
        var dataset = DatasetLoader.Load(data, new DatasetOptions { Folds = 2 });
        var eager = PreparedImageStore.Prepare(dataset, default, BannerMode.Crop, PixelRetention.Eager, threads: 2);
        var packed = PreparedImageStore.Prepare(dataset, default, BannerMode.Crop, PixelRetention.Compact, threads: 2);
        var none = PreparedImageStore.Prepare(dataset, default, BannerMode.Crop, PixelRetention.None, threads: 2);

        // When both are cut into tiles
        var spec = new TileSpec(64, 48);
        var eagerTiles = TiledData.Expand(dataset, eager, spec, PixelRetention.Eager);
        var packedTiles = TiledData.Expand(dataset, packed, spec, PixelRetention.Compact);

        // Then every tile and every image is the same, bit for bit
        Assert.Equal(eagerTiles.TileCount, packedTiles.TileCount);
        for (var t = 0; t < eagerTiles.TileCount; t++)
            AssertSameBits(eagerTiles.Prepared[t].Image, packedTiles.Prepared[t].Image);
        for (var i = 0; i < dataset.Items.Count; i++)
        {
            AssertSameBits(eager[i].Image, packed[i].Image);
            AssertSameBits(eager[i].Image, none[i].Image);
        }

        // And the 8-bit fields and tiles hold a byte per pixel (plus a 1 KiB table each; the small 16-bit field stays
        // float), a third of the float bytes at most; the streamed store holds nothing
        double floatBytes = eager.HeldPixelBytes;
        Assert.InRange(packed.HeldPixelBytes, floatBytes / 4, floatBytes / 3);
        Assert.Equal(0, none.HeldPixelBytes);
        double tileFloats = ((PreparedImageStore)eagerTiles.Prepared).HeldPixelBytes;
        Assert.InRange(((PreparedImageStore)packedTiles.Prepared).HeldPixelBytes, tileFloats / 4, tileFloats * 0.4);
    }

    static BenchmarkResult Run(string data, string[] models, PixelRetention? pixels) => BenchmarkRunner.Run(new BenchmarkOptions
    {
        DatasetPath = data,
        Folds = 2,
        Seed = 5,
        Models = models,
        Threads = 2,
        Pixels = pixels,
        ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
    });

    internal static void AssertSameResults(BenchmarkResult expected, BenchmarkResult actual)
    {
        Assert.Equal(expected.Models.Count, actual.Models.Count);
        for (var m = 0; m < expected.Models.Count; m++)
        {
            var (a, b) = (expected.Models[m], actual.Models[m]);
            Assert.Equal(a.Predictions.Count, b.Predictions.Count);
            for (var i = 0; i < a.Predictions.Count; i++)
            {
                Assert.Equal(a.Predictions[i].Item, b.Predictions[i].Item);
                Assert.Equal(a.Predictions[i].Probabilities, b.Predictions[i].Probabilities);
            }
            for (var f = 0; f < a.Folds.Count; f++)
                Assert.Equal(a.Folds[f].Training.Facts, b.Folds[f].Training.Facts);
        }
    }

    // Class "large" has bigger disks than "small"; one field of each class is JPEG and one "large" field 16-bit.
    static void WriteFields(string root)
    {
        foreach (var (name, radius) in new[] { ("small", 6), ("large", 11) })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (var n = 0; n < 6; n++)
            {
                var field = new GrayImage(240, 180);
                var random = new Random((radius * 100) + n);
                for (var i = 0; i < field.Pixels.Length; i++)
                    field.Pixels[i] = 0.7f + (0.05f * random.NextSingle());
                for (var d = 0; d < 12; d++)
                {
                    int cx = random.Next(20, 220), cy = random.Next(20, 160), r = radius + random.Next(3);
                    for (var y = Math.Max(0, cy - r); y < Math.Min(180, cy + r + 1); y++)
                    {
                        for (var x = Math.Max(0, cx - r); x < Math.Min(240, cx + r + 1); x++)
                        {
                            if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= r * r)
                                field[x, y] = 0.25f + (0.05f * random.NextSingle());
                        }
                    }
                }
                var (format, depth, extension) = n switch
                {
                    0 => (ImageFileFormat.Jpeg, 8, ".jpg"),
                    1 when name == "large" => (ImageFileFormat.Png, 16, ".png"),
                    _ => (ImageFileFormat.Png, 8, ".png"),
                };
                File.WriteAllBytes(Path.Combine(root, name, $"{name}_{n}{extension}"), ImageCodec.Encode(field, format, depth));
            }
        }
    }

    static void AssertSameBits(GrayImage expected, GrayImage actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (var i = 0; i < expected.Pixels.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected.Pixels[i]) != BitConverter.SingleToInt32Bits(actual.Pixels[i]))
                Assert.Fail($"pixel {i}: {expected.Pixels[i]} != {actual.Pixels[i]}");
        }
    }
}
