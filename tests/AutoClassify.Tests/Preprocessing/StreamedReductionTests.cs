using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.Tests.Support;
using BitMiracle.LibTiff.Classic;

namespace AutoClassify.Tests.Preprocessing;

/// <summary>TIFF and JPEG files reduced while they are decoded (<see cref="ImageReduction.DecodeReduced"/>) against a full decode and block means.</summary>
public class StreamedReductionTests
{
    [Theory]
    [InlineData(8, 1, false, Compression.NONE)]
    [InlineData(16, 1, false, Compression.DEFLATE)]
    [InlineData(8, 3, false, Compression.LZW)]
    [InlineData(8, 1, true, Compression.LZW)]
    [InlineData(16, 1, true, Compression.NONE)]
    [InlineData(16, 1, false, Compression.LZW, true)]
    public void Should_reduce_a_streamed_tiff_as_the_whole_decode_would(int depth, int channels, bool tiled, Compression compression, bool bigEndian = false)
    {
        // Given a noisy 301 x 203 TIFF in strips of 7 rows or in 32 x 48 tiles (neither divides the image), in either byte order
        using var dir = new TempDirectory("reduce-tiff");
        var path = dir.Combine("noisy.tif");
        var random = new Random(depth + channels + (tiled ? 10 : 0));
        WriteTiff(path, 301, 203, depth, channels, tiled, compression, (_, _, _) => depth == 8 ? random.Next(256) : random.Next(1_000, 5_000), bigEndian);

        // When it is reduced by 3 as it is read, and decoded whole by OpenCV and then reduced
        var streamed = ImageReduction.DecodeReduced(path, 3);
        var whole = ImageReduction.Reduce(ImageCodec.Decode(File.ReadAllBytes(path), path, out _), 3);
        if (depth > 8)
            IntensityMapping.Stretch(whole.Pixels);

        // Then both are 101 x 68 with the same block means (colour turned grey alike, to within a grey level)
        Assert.Equal((101, 68), (streamed.Width, streamed.Height));
        Assert.Equal((whole.Width, whole.Height), (streamed.Width, streamed.Height));
        var tolerance = channels == 1 ? 2e-6f : 1.01f / 255f;
        for (var i = 0; i < whole.Pixels.Length; i++)
            Assert.True(Math.Abs(whole.Pixels[i] - streamed.Pixels[i]) <= tolerance, $"pixel {i}: {whole.Pixels[i]} vs {streamed.Pixels[i]}");
    }

    [Theory]
    [InlineData(Compression.NONE, false)]
    [InlineData(Compression.LZW, false)]
    [InlineData(Compression.LZW, true)]
    public void Should_reduce_a_4000_by_3000_tiff_without_the_full_image_in_memory(Compression compression, bool tiled)
    {
        // Given a 4,000 x 3,000 16-bit TIFF in strips or tiles (12 Mpx: 48 MB as float, 24 MB as stored samples)
        using var dir = new TempDirectory("reduce-tiff-big");
        var path = dir.Combine("big.tif");
        WriteTiff(path, 4_000, 3_000, 16, 1, tiled, compression, (x, y, _) => ((x / 50) + (y / 50)) % 2 == 0 ? 2_000 : 3_000);

        // When it is decoded reduced by 4
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageReduction.DecodeReduced(path, 4);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        // Then it is 1,000 x 750, and the allocations are the reduced image (3 MB) and a few rows or tiles, a sixth of the float image
        // (LibTiff.NET's Deflate allocates its inflater anew for every strip: more garbage, no more live memory; not measured here)
        Assert.Equal((1_000, 750), (image.Width, image.Height));
        Assert.True(allocated < 8_000_000, $"{allocated / 1e6:F1} MB allocated");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(16)]
    public void Should_reduce_a_jpeg_through_dct_scaling_within_two_grey_levels_of_the_block_means(int factor)
    {
        // Given a 803 x 611 grey JPEG of soft structure (the kind of content micrographs have) with noise
        using var dir = new TempDirectory("reduce-jpeg");
        var path = dir.Combine("field.jpg");
        File.WriteAllBytes(path, ImageCodec.Encode(Field(803, 611, seed: factor), ImageFileFormat.Jpeg, jpegQuality: 92));

        // When it is reduced as it is decoded, and decoded whole and then block-averaged
        var streamed = ImageReduction.DecodeReduced(path, factor);
        var whole = ImageReduction.Reduce(ImageCodec.Decode(path), factor);

        // Then the sizes agree, and DCT scaling matches the block means to within the stated tolerance:
        // on average within half a grey level, nowhere more than two
        Assert.Equal((whole.Width, whole.Height), (streamed.Width, streamed.Height));
        var differences = whole.Pixels.Zip(streamed.Pixels, (a, b) => Math.Abs(a - b) * 255.0).ToArray();
        Assert.True(differences.Average() <= 0.5, $"mean difference {differences.Average():F3} grey levels");
        Assert.True(differences.Max() <= 2.0, $"largest difference {differences.Max():F3} grey levels");
    }

    [Fact]
    public void Should_reduce_a_4000_by_3000_jpeg_with_the_reduced_image_as_the_only_large_allocation()
    {
        // Given a 4,000 x 3,000 JPEG (12 Mpx: 48 MB as float)
        using var dir = new TempDirectory("reduce-jpeg-big");
        var path = dir.Combine("big.jpg");
        File.WriteAllBytes(path, ImageCodec.Encode(Field(4_000, 3_000, seed: 1), ImageFileFormat.Jpeg, jpegQuality: 90));
        var fileBytes = new FileInfo(path).Length;

        // When it is decoded reduced by 8 (all of it by libjpeg's 1/8 DCT scaling)
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageReduction.DecodeReduced(path, 8);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        // Then it is 500 x 375, and the managed heap saw the file's bytes and the reduced image only
        Assert.Equal((500, 375), (image.Width, image.Height));
        Assert.True(allocated < fileBytes + (500 * 375 * sizeof(float)) + 200_000, $"{allocated / 1e6:F1} MB allocated for a {fileBytes / 1e6:F1} MB file");
    }

    [Fact]
    public void Should_refuse_a_damaged_jpeg_when_reducing_it_naming_the_file()
    {
        // Given a 96 x 96 JPEG whose entropy-coded bits are garbage (its headers intact)
        using var dir = new TempDirectory("reduce-jpeg-bad");
        var path = dir.Combine("damaged.jpg");
        File.WriteAllBytes(path, AutoClassify.Tests.Hostile.DamagedJpegTests.DamagedJpeg());

        // When it is decoded reduced, Then it is refused as damaged, by name, as the whole decode would
        var error = Assert.Throws<ImageDecodeException>(() => ImageReduction.DecodeReduced(path, 2));
        Assert.Contains("damaged.jpg", error.Message, StringComparison.Ordinal);
        Assert.Contains("JPEG data is damaged", error.Message, StringComparison.Ordinal);
        Assert.Contains("--keep-damaged-jpeg", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Soft blobs and gradients with a little noise, in [0, 1].</summary>
    internal static GrayImage Field(int width, int height, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[width * height];
        var blobs = Enumerable.Range(0, 12).Select(_ => (X: random.NextDouble() * width, Y: random.NextDouble() * height, R: 10 + (random.NextDouble() * 60))).ToArray();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = 0.55 + (0.2 * x / width) + (0.02 * (random.NextDouble() - 0.5));
                foreach (var (bx, by, r) in blobs)
                {
                    var d2 = (((x - bx) * (x - bx)) + ((y - by) * (y - by))) / (r * r);
                    if (d2 < 4)
                        v -= 0.35 * Math.Exp(-d2);
                }
                pixels[(y * width) + x] = (float)Math.Clamp(v, 0, 1);
            }
        }
        return new GrayImage(width, height, pixels);
    }

    /// <summary>Writes a TIFF with LibTiff.NET (samples given in machine order; LibTiff swaps them for a big-endian file), in strips of 7 rows or 32 x 48 tiles; <paramref name="sample"/> gives (x, y, channel).</summary>
    internal static void WriteTiff(string path, int width, int height, int depth, int channels, bool tiled, Compression compression, Func<int, int, int, int> sample,
        bool bigEndian = false)
    {
        using var tiff = Tiff.Open(path, bigEndian ? "wb" : "w");
        tiff.SetField(TiffTag.IMAGEWIDTH, width);
        tiff.SetField(TiffTag.IMAGELENGTH, height);
        tiff.SetField(TiffTag.BITSPERSAMPLE, depth);
        tiff.SetField(TiffTag.SAMPLESPERPIXEL, channels);
        tiff.SetField(TiffTag.PHOTOMETRIC, channels == 1 ? Photometric.MINISBLACK : Photometric.RGB);
        tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tiff.SetField(TiffTag.COMPRESSION, compression);
        var bytesPerPixel = channels * depth / 8;
        void Put(byte[] buffer, int at, int x, int y)
        {
            for (var c = 0; c < channels; c++)
            {
                var value = sample(x, y, c);
                if (depth == 8)
                    buffer[at + c] = (byte)value;
                else
                    BitConverter.TryWriteBytes(buffer.AsSpan(at + (2 * c), 2), (ushort)value);
            }
        }
        if (tiled)
        {
            const int tileWidth = 32, tileHeight = 48;
            tiff.SetField(TiffTag.TILEWIDTH, tileWidth);
            tiff.SetField(TiffTag.TILELENGTH, tileHeight);
            var tile = new byte[tileWidth * tileHeight * bytesPerPixel];
            for (var top = 0; top < height; top += tileHeight)
            {
                for (var left = 0; left < width; left += tileWidth)
                {
                    Array.Clear(tile);
                    for (var y = top; y < Math.Min(height, top + tileHeight); y++)
                    {
                        for (var x = left; x < Math.Min(width, left + tileWidth); x++)
                            Put(tile, (((y - top) * tileWidth) + (x - left)) * bytesPerPixel, x, y);
                    }
                    tiff.WriteTile(tile, left, top, 0, 0);
                }
            }
        }
        else
        {
            tiff.SetField(TiffTag.ROWSPERSTRIP, 7);
            var row = new byte[width * bytesPerPixel];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                    Put(row, x * bytesPerPixel, x, y);
                tiff.WriteScanline(row, y);
            }
        }
    }
}
