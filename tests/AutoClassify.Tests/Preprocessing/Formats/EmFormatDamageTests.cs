using System.Buffers.Binary;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing.Formats;

/// <summary>Small files written here, well-formed and damaged: every reader names the file and the problem.</summary>
public class EmFormatDamageTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(6, false)]
    [InlineData(12, true)]
    public void Should_read_every_mrc_mode_in_either_byte_order(int mode, bool little)
    {
        // Given a 5x3 two-section file whose value encodes its position (signed where the mode is)
        using var dir = new TempDirectory("mrc");
        var path = dir.File("written.mrcs");
        double Value(int x, int y, int z) => (mode is 0 or 1 or 2 or 12 ? -7 : 0) + x + 5 * y + 15 * z;
        File.WriteAllBytes(path, MrcFiles.Write(5, 3, 2, mode, Value, cellX: 50, little: little));

        // When the second section is read
        var image = EmFormats.Read(EmPath.Section(path, 1));

        // Then every value sits where it was written, and the scale is cella / mx = 50 Å / 5 = 1 nm
        Assert.Equal((5, 3), (image.Width, image.Height));
        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 5; x++)
                Assert.Equal(Value(x, y, 1), image.Values[y * 5 + x]);
        }
        Assert.Equal(1.0, image.Scale!.Size.NanometresX, 6);
    }

    [Fact]
    public void Should_name_the_file_when_the_mrc_header_is_truncated()
    {
        using var dir = new TempDirectory("mrc");
        var path = dir.File("cut.mrc");
        File.WriteAllBytes(path, MrcFiles.Write(4, 4, 1, 2, (_, _, _) => 0)[..300]);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("fewer than the 1024", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_file_when_the_mrc_data_are_truncated()
    {
        using var dir = new TempDirectory("mrc");
        var path = dir.File("short.mrc");
        var bytes = MrcFiles.Write(8, 8, 1, 2, (x, y, _) => x + y);
        File.WriteAllBytes(path, bytes[..^10]);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4, "complex")]
    [InlineData(7, "not a known MRC mode")]
    [InlineData(101, "4-bit")]
    public void Should_refuse_a_wrong_mrc_mode(int mode, string expected)
    {
        using var dir = new TempDirectory("mrc");
        var path = dir.File("mode.mrc");
        var bytes = MrcFiles.Write(4, 4, 1, 2, (_, _, _) => 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), mode);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"mode {mode}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_absurd_dimensions_before_allocating()
    {
        // Given a 1 KiB header claiming a 200000 x 200000 image (160 GB of float32)
        using var dir = new TempDirectory("mrc");
        var path = dir.File("huge.mrc");
        var bytes = MrcFiles.Write(4, 4, 1, 2, (_, _, _) => 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(0), 200_000);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 200_000);
        File.WriteAllBytes(path, bytes);

        // Then the limit is named, with the way to raise it, and a lower limit applies to a small image too
        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("more than the limit of 268435456", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--max-image-pixels", ex.Message, StringComparison.Ordinal);
        var small = dir.File("small.mrc");
        File.WriteAllBytes(small, MrcFiles.Write(16, 16, 1, 2, (_, _, _) => 0));
        Assert.Throws<ImageDecodeException>(() => MrcReader.Read(small, 0, maxPixels: 100));
        Assert.Equal(256, MrcReader.Read(small, 0, maxPixels: 256).Values.Length);
    }

    [Fact]
    public void Should_refuse_negative_dimensions()
    {
        using var dir = new TempDirectory("mrc");
        var path = dir.File("negative.mrc");
        var bytes = MrcFiles.Write(4, 4, 1, 2, (_, _, _) => 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), -4);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains("4x-4", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, "too few for a DigitalMicrograph header")]
    [InlineData(300, "truncated")]
    [InlineData(5000, "truncated")]
    public void Should_name_the_file_when_a_dm_file_is_truncated(int keep, string expected)
    {
        // Given the first bytes of a real DM3 file, written here
        using var dir = new TempDirectory("dm");
        var path = dir.File("cut.dm3");
        File.WriteAllBytes(path, File.ReadAllBytes(EmSamples.File("dm3_uint16_512x512_HAADF_calibrated_nm.dm3"))[..keep]);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_file_that_is_not_dm()
    {
        using var dir = new TempDirectory("dm");
        var path = dir.File("text.dm4");
        File.WriteAllText(path, "this is a text file, not a DigitalMicrograph image");

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains("not a DigitalMicrograph 3 or 4 file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_absurd_dm_dimensions_before_reading_pixels()
    {
        // Given the 2x2 DM3 probe with its Dimensions patched to 65536 x 65536
        using var dir = new TempDirectory("dm");
        var bytes = File.ReadAllBytes(EmSamples.File("dm3_uint16_2x2_uncalibrated.dm3"));
        var patched = PatchDimensions(bytes, 65_536);
        var path = dir.File("huge.dm3");
        File.WriteAllBytes(path, patched);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains("more than the limit", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20, "too few for a TIA series header")]
    [InlineData(2000, "truncated")]
    public void Should_name_the_file_when_a_ser_file_is_truncated(int keep, string expected)
    {
        using var dir = new TempDirectory("ser");
        var path = dir.File("cut.ser");
        File.WriteAllBytes(path, File.ReadAllBytes(EmSamples.File("tia_v220_int32_128x128_5.26nm_1.ser"))[..keep]);

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    // Every "Dimensions" group of the 2x2 probe holds two DM3 longs of value 2: set them to n.
    static byte[] PatchDimensions(byte[] bytes, int n)
    {
        var copy = (byte[])bytes.Clone();
        var label = "Dimensions"u8;
        var patchedAny = false;
        for (var i = copy.AsSpan().IndexOf(label); i >= 0;)
        {
            // Within the next 100 bytes, each "%%%%" 1 3|5 (long or ulong) entry is followed by a little-endian value 2.
            for (var j = i; j < i + 120 && j + 16 < copy.Length; j++)
            {
                if (copy.AsSpan(j, 4).SequenceEqual("%%%%"u8) && BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan(j + 8)) is 3 or 5
                    && BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(j + 12)) == 2)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(j + 12), n);
                    patchedAny = true;
                }
            }
            var next = copy.AsSpan(i + 1).IndexOf(label);
            i = next < 0 ? -1 : i + 1 + next;
        }
        Assert.True(patchedAny, "the probe's Dimensions tags were not found");
        return copy;
    }
}
