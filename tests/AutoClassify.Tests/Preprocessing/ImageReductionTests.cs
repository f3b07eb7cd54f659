using System.Buffers.Binary;
using System.IO.Compression;
using AutoClassify.Imaging;
using AutoClassify.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing;

public class ImageReductionTests
{
    const byte Ground = 180, Dark = 40;

    [Fact]
    public void Should_pick_the_smallest_whole_factor_that_fits_the_bound()
    {
        Assert.Equal(1, ImageReduction.Factor(4096, 4096, 1L << 24));
        Assert.Equal(2, ImageReduction.Factor(4097, 4096, 1L << 24));
        Assert.Equal(3, ImageReduction.Factor(12_000, 9_000, 1L << 24));
        Assert.Equal(5, ImageReduction.Factor(20_000, 20_000, 1L << 24));
    }

    [Fact]
    public void Should_reduce_a_12000_by_9000_png_row_by_row_without_the_full_image_in_memory()
    {
        // Given a sparse 12,000 x 9,000 8-bit PNG (108 Mpx; 432 MB as float) with a dark square from (3001, 3001) to (5999, 5999)
        using var dir = new TempDirectory("reduce-huge");
        var path = dir.Combine("huge.png");
        WriteSparsePng(path, 12_000, 9_000);
        var factor = ImageReduction.Factor(12_000, 9_000, ImageReduction.DefaultReduceAbovePixels);

        // When it is decoded reduced
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageReduction.DecodeReduced(path, factor);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        // Then it is 4,000 x 3,000 block means: the ground, the square, its edge blocks a third ground, its corner five ninths
        Assert.Equal((4_000, 3_000), (image.Width, image.Height));
        Assert.Equal(Ground / 255f, image[10, 10], 1e-6f);
        Assert.Equal(Dark / 255f, image[1500, 1500], 1e-6f);
        Assert.Equal((Ground + (2 * Dark)) / 3f / 255f, image[1000, 1500], 1e-6f);
        Assert.Equal((Ground + (2 * Dark)) / 3f / 255f, image[1500, 1000], 1e-6f);
        Assert.Equal(((5 * Ground) + (4 * Dark)) / 9f / 255f, image[1000, 1000], 1e-6f);

        // And no more than the reduced image and a few rows were allocated: far below the 432 MB of float pixels
        Assert.True(allocated < 80_000_000, $"{allocated / 1e6:F0} MB allocated");
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(8, 3)]
    [InlineData(16, 1)]
    public void Should_reduce_a_streamed_png_as_the_whole_decode_would(int depth, int channels)
    {
        // Given a noisy PNG of 257 x 131 whose rows use every PNG filter
        using var dir = new TempDirectory("reduce-same");
        var path = dir.Combine("noisy.png");
        var random = new Random(depth + channels);
        var samples = new int[257 * 131 * channels];
        for (var i = 0; i < samples.Length; i++)
            samples[i] = depth == 8 ? random.Next(256) : random.Next(1_000, 5_000);
        WritePng(path, 257, 131, depth, channels, samples);

        // When it is reduced by 4 while it is inflated, and decoded whole by OpenCV and then reduced
        var streamed = ImageReduction.DecodeReduced(path, 4);
        var whole = ImageReduction.Reduce(ImageCodec.Decode(File.ReadAllBytes(path), path, out _), 4);
        if (depth > 8)
            AutoClassify.Imaging.Formats.IntensityMapping.Stretch(whole.Pixels);

        // Then both have the same size and the same block means (colour turned grey alike, to within a grey level)
        Assert.Equal((65, 33), (streamed.Width, streamed.Height));
        Assert.Equal((whole.Width, whole.Height), (streamed.Width, streamed.Height));
        var tolerance = channels == 1 ? 2e-6f : 1.01f / 255f;
        for (var i = 0; i < whole.Pixels.Length; i++)
            Assert.True(Math.Abs(whole.Pixels[i] - streamed.Pixels[i]) <= tolerance, $"pixel {i}: {whole.Pixels[i]} vs {streamed.Pixels[i]}");
    }

    [Fact]
    public void Should_refuse_a_damaged_png_naming_the_file()
    {
        // Given a PNG whose image data is cut short
        using var dir = new TempDirectory("reduce-bad");
        var path = dir.Combine("cut.png");
        WritePng(path, 300, 200, 8, 1, new int[300 * 200]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        // When it is decoded reduced, Then the error names the file and the problem
        var error = Assert.Throws<ImageDecodeException>(() => ImageReduction.DecodeReduced(path, 2));
        Assert.Contains("cut.png", error.Message, StringComparison.Ordinal);
        Assert.Contains("PNG data is corrupt or truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_record_the_rule_in_the_manifest_and_refuse_a_bad_value()
    {
        var manifest = new ModelPackageManifest
        {
            ModelKind = "lipnet4c",
            ClassNames = ["a", "b"],
            Preprocessing = new PackagePreprocessing { InputMode = "surround", InputSize = 16, ReduceAbovePixels = 0 },
            Provenance = new PackageProvenance { Seed = 1, CreatedUtc = DateTimeOffset.UtcNow },
        };
        Assert.Contains("reduce_above_pixels", manifest.FindProblem(), StringComparison.Ordinal);
    }

    /// <summary>A 8-bit grey PNG of <paramref name="width"/> × <paramref name="height"/> on a light ground with a dark square, written a row at a time.</summary>
    internal static void WriteSparsePng(string path, int width, int height)
    {
        var row = new byte[width + 1];
        WritePng(path, width, height, 8, 1, y =>
        {
            row.AsSpan(1).Fill(Ground);
            if (y is >= 3001 and < 6000)
                row.AsSpan(1 + 3001, 6000 - 3001).Fill(Dark);
            return row;
        }, CompressionLevel.Fastest);
    }

    // Rows filtered in turn with None, Sub, Up, Average and Paeth.
    static void WritePng(string path, int width, int height, int depth, int channels, int[] samples)
    {
        var bpp = channels * depth / 8;
        var rowBytes = width * bpp;
        var raw = new byte[height][];
        for (var y = 0; y < height; y++)
        {
            raw[y] = new byte[rowBytes];
            for (var x = 0; x < width * channels; x++)
            {
                var v = samples[(y * width * channels) + x];
                if (depth == 8)
                    raw[y][x] = (byte)v;
                else
                    BinaryPrimitives.WriteUInt16BigEndian(raw[y].AsSpan(2 * x), (ushort)v);
            }
        }
        var line = new byte[rowBytes + 1];
        WritePng(path, width, height, depth, channels, y =>
        {
            var filter = y % 5;
            line[0] = (byte)filter;
            var above = y > 0 ? raw[y - 1] : new byte[rowBytes];
            var cur = raw[y];
            for (var i = 0; i < rowBytes; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
                int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    _ => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                };
                line[i + 1] = (byte)(cur[i] - predictor);
            }
            return line;
        }, CompressionLevel.Optimal);
    }

    static void WritePng(string path, int width, int height, int depth, int channels, Func<int, byte[]> filteredRow, CompressionLevel level)
    {
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, level, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
                z.Write(filteredRow(y));
        }
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = (byte)depth;
        header[9] = (byte)(channels switch { 1 => 0, 3 => 2, 2 => 4, _ => 6 });
        Chunk(file, "IHDR", header);
        // Several IDAT chunks, as real encoders write them.
        var data = compressed.ToArray();
        for (var at = 0; at < data.Length; at += 1 << 16)
            Chunk(file, "IDAT", data.AsSpan(at, Math.Min(1 << 16, data.Length - at)));
        Chunk(file, "IEND", []);
    }

    static void Chunk(Stream file, string type, ReadOnlySpan<byte> data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        file.Write(head);
        file.Write(data);
        var crc = new byte[4];
        var typed = new byte[4 + data.Length];
        head.AsSpan(4).CopyTo(typed);
        data.CopyTo(typed.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(crc, PngWriter.Crc32(typed));
        file.Write(crc);
    }
}
