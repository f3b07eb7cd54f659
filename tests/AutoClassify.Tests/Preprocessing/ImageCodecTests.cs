using System.Text;
using AutoClassify.Imaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing;

public sealed class ImageCodecTests : IDisposable
{
    readonly TempDirectory folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("png", 8)]
    [InlineData("png", 16)]
    [InlineData("tif", 8)]
    [InlineData("tiff", 16)]
    [InlineData("bmp", 8)]
    public void Should_round_trip_a_lossless_file_within_one_grey_level(string extension, int bitDepth)
    {
        // Given a smooth image written to disk by the codec
        var original = TestShapes.Gradient(37, 23);
        var path = folder.File("gradient." + extension);
        ImageCodec.Save(original, path, bitDepth);

        // When it is decoded again
        var decoded = ImageCodec.Decode(File.ReadAllBytes(path), path, out var storedDepth);

        // Then size, depth and pixels survive up to the quantisation step of that depth
        Assert.Equal((original.Width, original.Height), (decoded.Width, decoded.Height));
        Assert.Equal(bitDepth, storedDepth);
        var step = 1.0 / (bitDepth == 8 ? 255 : 65535);
        var worst = original.Pixels.Zip(decoded.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.InRange(worst, 0, (0.5 * step) + 1e-6);
        if (bitDepth == 16)
            Assert.True(worst < 0.5 / 255, "a 16-bit file must keep more than 8 bits of precision");
    }

    [Fact]
    public void Should_round_trip_a_JPEG_approximately()
    {
        // Given a smooth image saved as JPEG (lossy, 8-bit)
        var original = TestShapes.Gradient(64, 48);
        var path = folder.File("gradient.jpg");
        ImageCodec.Save(original, path);

        // When it is decoded
        var decoded = ImageCodec.Decode(path);

        // Then it is close on average, with 8-bit depth
        var meanError = original.Pixels.Zip(decoded.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.Equal((64, 48), (decoded.Width, decoded.Height));
        Assert.InRange(meanError, 0, 0.02);
    }

    [Fact]
    public void Should_convert_a_colour_file_to_grey_with_luma_weights()
    {
        // Given a 24-bit BMP whose left pixel is pure red and right pixel pure white
        var path = folder.File("colour.bmp");
        File.WriteAllBytes(path, Bmp24(2, 1, [(255, 0, 0), (255, 255, 255)]));

        // When it is decoded
        var decoded = ImageCodec.Decode(path);

        // Then red becomes its luma weight (0.299) and white stays 1
        Assert.Equal(0.299, decoded[0, 0], 0.01);
        Assert.Equal(1.0, decoded[1, 0], 0.001);
    }

    [Fact]
    public void Should_reject_an_empty_file_naming_it()
    {
        var path = folder.File("empty.png");
        File.WriteAllBytes(path, []);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Equal(path, ex.Path);
        Assert.Equal("file is empty", ex.Reason);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_garbage_bytes_as_not_a_supported_image()
    {
        var path = folder.File("noise.png");
        var bytes = new byte[300];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0x00;  // never a valid signature
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Equal(path, ex.Path);
        Assert.StartsWith("not a supported image (PNG, JPEG, TIFF, BMP)", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("noise.png", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_when_a_text_file_is_named_like_an_image()
    {
        var path = folder.File("notes.png");
        File.WriteAllText(path, "sample,label\nvesicle_01.png,clathrin\n", Encoding.UTF8);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains("not a supported image", ex.Message, StringComparison.Ordinal);
        Assert.Contains("text file", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("notes.png", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_report_a_truncated_file_as_corrupt()
    {
        // Given a real PNG cut off after its header
        var path = folder.File("cut.png");
        var full = ImageCodec.Encode(TestShapes.Gradient(40, 40), ImageFileFormat.Png);
        File.WriteAllBytes(path, full[..40]);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains("PNG data is corrupt", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(path, ex.Path);
    }

    [Fact]
    public void Should_report_a_missing_file()
    {
        var path = folder.File("absent.tif");

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Equal("file not found", ex.Reason);
    }

    [Fact]
    public void Should_read_any_non_zero_mask_pixel_as_inside()
    {
        // Given a 16-bit mask file where the object is stored as the smallest non-zero value
        var mask = TestShapes.Disk(32, 9);
        var image = TestShapes.Fill(mask, 1f / 65535, 0f);
        var path = folder.File("mask.png");
        ImageCodec.Save(image, path, bitDepth: 16);

        // When it is read as a mask
        var decoded = ImageCodec.DecodeMask(path);

        // Then exactly the object's pixels are inside
        Assert.Equal(mask.Data, decoded.Data);
    }

    [Fact]
    public void Should_write_masks_that_read_back_identically()
    {
        var mask = TestShapes.Ellipse(40, 15, 7);
        var path = folder.File("ellipse-mask.bmp");

        ImageCodec.SaveMask(mask, path);

        Assert.Equal(mask.Data, ImageCodec.DecodeMask(path).Data);
    }

    [Fact]
    public void Should_refuse_16_bit_formats_that_cannot_hold_them()
    {
        var image = TestShapes.Gradient(8, 8);

        var ex = Assert.Throws<ArgumentException>(() => ImageCodec.Encode(image, ImageFileFormat.Jpeg, bitDepth: 16));

        Assert.Contains("8-bit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_to_save_under_an_unknown_extension()
    {
        var ex = Assert.Throws<ArgumentException>(() => ImageCodec.Save(TestShapes.Gradient(4, 4), folder.File("x.gif")));

        Assert.Contains(".png", ex.Message, StringComparison.Ordinal);
    }

    // A minimal uncompressed 24-bit BMP (bottom-up rows padded to 4 bytes) to test colour input.
    static byte[] Bmp24(int width, int height, (byte R, byte G, byte B)[] pixels)
    {
        var rowSize = ((width * 3) + 3) / 4 * 4;
        var data = new byte[54 + (rowSize * height)];
        void Put32(int offset, int value) => BitConverter.TryWriteBytes(data.AsSpan(offset, 4), value);
        data[0] = (byte)'B';
        data[1] = (byte)'M';
        Put32(2, data.Length);
        Put32(10, 54);
        Put32(14, 40);
        Put32(18, width);
        Put32(22, height);
        data[26] = 1;
        data[28] = 24;
        Put32(34, rowSize * height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = pixels[(y * width) + x];
                var offset = 54 + ((height - 1 - y) * rowSize) + (x * 3);
                data[offset] = p.B;
                data[offset + 1] = p.G;
                data[offset + 2] = p.R;
            }
        }
        return data;
    }
}
