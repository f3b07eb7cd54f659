using AutoClassify.Cli;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Hostile;

public sealed class ImageLimitTests(HostileFixture fixture) : IClassFixture<HostileFixture>, IDisposable
{
    readonly TempDirectory temp = new("hostile-pixels");

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(ImageFileFormat.Png)]
    [InlineData(ImageFileFormat.Jpeg)]
    [InlineData(ImageFileFormat.Tiff)]
    [InlineData(ImageFileFormat.Bmp)]
    public void Should_read_the_declared_size_of_every_format_from_its_header(ImageFileFormat format)
    {
        var bytes = ImageCodec.Encode(TestImages.Disk(37, 10), format);
        var wide = new GrayImage(53, 21);

        Assert.Equal((37L, 37L), ImageHeader.ReadSize(bytes));
        Assert.Equal((53L, 21L), ImageHeader.ReadSize(ImageCodec.Encode(wide, format)));
        Assert.Null(ImageHeader.ReadSize(bytes.AsSpan(0, 10)));
    }

    [Theory]
    [InlineData("png", 20_000, 20_000)]
    [InlineData("jpg", 65_000, 65_000)]
    [InlineData("tif", 100_000, 30_000)]
    [InlineData("bmp", 40_000, 40_000)]
    public void Should_refuse_a_decompression_bomb_by_its_header_naming_file_size_and_limit(string extension, int width, int height)
    {
        // Given a small file that declares billions of pixels
        var path = temp.File("bomb." + extension);
        WriteBomb(path, width, height);
        Assert.True(new FileInfo(path).Length < 2_000_000);

        // When it is decoded under the default limit
        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        // Then it is refused before decoding, with the size and the limit, and never called corrupt
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{width}x{height}", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("268,435,456", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("corrupt", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_when_an_image_is_beyond_what_the_decoder_reads_at_all()
    {
        // Given a PNG header of 60,000 x 60,000: above OpenCV's own 2^30 cap
        var path = temp.File("beyond.png");
        WriteBomb(path, 60_000, 60_000);

        // When decoded even with the limit raised to its maximum
        using var limit = ImageLimits.Use(ImageLimits.DecoderMaxPixels);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        // Then the message says how large it is and that it must be cut, not that it is corrupt
        Assert.Contains("60000x60000 = 3,600,000,000 pixels", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("most the image decoder reads", ex.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("corrupt", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_a_lowered_limit_to_the_flow_that_set_it()
    {
        var path = temp.File("small.png");
        PngWriter.Write(path, TestImages.Disk(40, 10));

        using (ImageLimits.Use(1000))
        {
            var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));
            Assert.Contains("40x40 = 1,600 pixels, above the limit of 1,000 pixels; raise the limit with --max-image-pixels", ex.Reason, StringComparison.Ordinal);
            // Work started inside the scope (parallel loops) sees the same limit.
            var failures = 0;
            Parallel.For(0, 4, _ =>
            {
                try
                {
                    ImageCodec.Decode(path);
                }
                catch (ImageDecodeException)
                {
                    Interlocked.Increment(ref failures);
                }
            });
            Assert.Equal(4, failures);
        }

        Assert.Equal(40, ImageCodec.Decode(path).Width);
    }

    [Fact]
    public void Should_skip_a_bomb_in_a_class_folder_and_go_on()
    {
        // Given a data set with a bomb of each format among the images
        var data = temp.Combine("data");
        TestImages.WriteClass(data, "a", 5);
        TestImages.WriteClass(data, "b", 5);
        WriteBomb(Path.Combine(data, "a", "bomb.png"), 20_000, 20_000);
        WriteBomb(Path.Combine(data, "b", "bomb.jpg"), 65_000, 65_000);

        // When loaded
        var dataset = DatasetLoader.Load(data, new DatasetOptions { Folds = 5 });

        // Then the bombs are skipped with their size and the limit, and the rest is used
        Assert.Equal([5, 5], dataset.ClassCounts());
        var reasons = dataset.Skipped.ToDictionary(s => s.RelativePath, s => s.Reason);
        Assert.Contains("20000x20000", reasons["a/bomb.png"], StringComparison.Ordinal);
        Assert.Contains("above the limit", reasons["b/bomb.jpg"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_predict_a_folder_with_a_bomb_in_it_and_give_the_bomb_an_error_row()
    {
        // Given a folder of three images and a 20,000 x 20,000 PNG
        var inputs = temp.Combine("inputs");
        Directory.CreateDirectory(inputs);
        foreach (var file in Directory.GetFiles(Path.Combine(fixture.Data, "large")).Take(3))
            File.Copy(file, Path.Combine(inputs, Path.GetFileName(file)));
        WriteBomb(Path.Combine(inputs, "huge.png"), 20_000, 20_000);
        var csv = temp.File("p.csv");

        // When predicted
        var (code, stdout, stderr) = Run("predict", fixture.Package, inputs, "--out", csv);

        // Then the batch completes: three predictions and one row naming the size and the limit (exit code 1: one image failed)
        Assert.True(code == ExitCodes.Failure, stderr);
        Assert.Contains("4 images, 1 failed", stdout, StringComparison.Ordinal);
        var huge = Assert.Single(File.ReadAllLines(csv), l => l.Contains("huge.png", StringComparison.Ordinal));
        Assert.Contains("20000x20000", huge, StringComparison.Ordinal);
        Assert.Contains("--max-image-pixels", huge, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_apply_max_image_pixels_on_the_command_line_and_check_its_range()
    {
        // A limit below the 32 x 32 images leaves no usable image: every file is skipped by name, and the run stops with 2.
        var (code, _, stderr) = Run("features", fixture.Data, "--out", temp.File("f.csv"), "--max-image-pixels", "1000");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("large/large_000.png", stderr, StringComparison.Ordinal);
        Assert.Contains("32x32 = 1,024 pixels, above the limit of 1,000 pixels", stderr, StringComparison.Ordinal);

        var (okCode, _, okErr) = Run("features", fixture.Data, "--out", temp.File("g.csv"), "--max-image-pixels", "1024");
        Assert.True(okCode == ExitCodes.Success, okErr);

        var (zeroCode, _, zeroErr) = Run("features", fixture.Data, "--out", temp.File("h.csv"), "--max-image-pixels", "0");
        Assert.Equal(ExitCodes.BadInput, zeroCode);
        Assert.Contains("--max-image-pixels must lie between 1 and", zeroErr, StringComparison.Ordinal);
    }

    static void WriteBomb(string path, int width, int height)
    {
        switch (Path.GetExtension(path))
        {
            case ".png" when (long)width * height <= 1L << 30:
                ImageBombs.Png(path, width, height);
                break;
            case ".png":
                // Beyond 2^30 pixels a real PNG would take long to write; its header is what is read first.
                ImageBombs.Png(path, 1, 1);
                var bytes = File.ReadAllBytes(path);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
                File.WriteAllBytes(path, bytes);
                break;
            case ".jpg":
                ImageBombs.Jpeg(path, (ushort)width, (ushort)height);
                break;
            case ".tif":
                ImageBombs.Tiff(path, (uint)width, (uint)height);
                break;
            default:
                ImageBombs.Bmp(path, width, height);
                break;
        }
    }
}
