using System.Buffers.Binary;
using AutoClassify.Imaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing;

public class BannerTiffResolutionTests
{
    [Theory]
    [InlineData(true, 3, 1000u, 1u, 10_000.0)]     // 1000 px/cm -> 10 µm per pixel
    [InlineData(false, 3, 1000u, 1u, 10_000.0)]
    [InlineData(true, 2, 254_000u, 1u, 100.0)]     // 254000 px/inch -> 100 nm per pixel
    [InlineData(false, 2, 508_000u, 2u, 100.0)]
    public void Should_read_the_pixel_size_from_a_hand_written_tiff(bool littleEndian, int unit, uint numerator, uint denominator, double expectedNm)
    {
        // Given an 8x4 grey TIFF written byte by byte with resolution tags
        using var dir = new TempDirectory("tiff");
        var path = dir.File("scan.tif");
        File.WriteAllBytes(path, TinyTiff(littleEndian, unit, (numerator, denominator), (numerator, denominator)));

        // When its resolution is read
        var size = TiffResolution.Read(path);

        // Then the pixel size follows from the unit and the rational, and OpenCV agrees it is a valid image
        Assert.NotNull(size);
        Assert.Equal(expectedNm, size.Value.NanometresX, 6);
        Assert.Equal(expectedNm, size.Value.NanometresY, 6);
        var image = ImageCodec.Decode(path);
        Assert.Equal((8, 4), (image.Width, image.Height));
    }

    [Fact]
    public void Should_keep_x_and_y_apart()
    {
        using var stream = new MemoryStream(TinyTiff(true, 3, (1000, 1), (500, 1)));

        var size = TiffResolution.Read(stream, "memory.tif");

        Assert.Equal(new PixelSize(10_000, 20_000), size);
    }

    [Fact]
    public void Should_give_no_size_when_the_unit_is_none_or_the_tags_are_absent()
    {
        Assert.Null(TiffResolution.Read(new MemoryStream(TinyTiff(true, 1, (72, 1), (72, 1))), "unitless.tif"));
        Assert.Null(TiffResolution.Read(new MemoryStream(TinyTiff(true, null, null, null)), "plain.tif"));
        Assert.Null(TiffResolution.Read(new MemoryStream("not a tiff at all"u8.ToArray()), "text.tif"));
    }

    [Fact]
    public void Should_name_the_file_when_the_directory_points_past_its_end()
    {
        // Given a TIFF cut off inside its tag directory
        var bytes = TinyTiff(true, 3, (1000, 1), (1000, 1));
        var truncated = bytes.AsSpan(0, bytes.Length - 40).ToArray();

        // Then reading it fails with the file's name and the problem
        var ex = Assert.Throws<InvalidDataException>(() => TiffResolution.Read(new MemoryStream(truncated), "cut.tif"));
        Assert.Contains("cut.tif", ex.Message, StringComparison.Ordinal);
        Assert.Contains("past the end", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_not_fail_on_a_tiff_written_by_opencv()
    {
        // OpenCV may or may not write resolution tags; either way the reader must parse its structure.
        using var dir = new TempDirectory("tiff");
        var path = dir.File("opencv.tif");
        ImageCodec.Save(BannerImages.Field(16, 8, 1), path);

        var size = TiffResolution.Read(path);

        Assert.True(size is null || size.Value.NanometresX > 0);
    }

    // A minimal uncompressed 8x4 8-bit grey TIFF: header, pixels, then one directory with sorted tags and the
    // two RATIONAL values after it. Null arguments leave the tag out.
    static byte[] TinyTiff(bool little, int? unit, (uint N, uint D)? x, (uint N, uint D)? y)
    {
        const int width = 8, height = 4, pixelOffset = 8, ifdOffset = pixelOffset + width * height;
        var entries = new List<(ushort Tag, ushort Type, uint Value)>
        {
            (256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, pixelOffset), (277, 3, 1), (278, 3, height), (279, 4, width * height),
        };
        var rationalOffset = (uint)(ifdOffset + 2 + 12 * (entries.Count + (x is null ? 0 : 1) + (y is null ? 0 : 1) + (unit is null ? 0 : 1)) + 4);
        if (x is not null)
            entries.Add((282, 5, rationalOffset));
        if (y is not null)
            entries.Add((283, 5, rationalOffset + 8));
        if (unit is { } u)
            entries.Add((296, 3, (uint)u));

        var bytes = new byte[rationalOffset + 16];
        var span = bytes.AsSpan();
        span[0] = span[1] = (byte)(little ? 'I' : 'M');
        U16(span[2..], 42);
        U32(span[4..], ifdOffset);
        for (var i = 0; i < width * height; i++)
            bytes[pixelOffset + i] = (byte)(i * 8);
        U16(span[ifdOffset..], (ushort)entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = span[(ifdOffset + 2 + 12 * i)..];
            U16(e, entries[i].Tag);
            U16(e[2..], entries[i].Type);
            U32(e[4..], 1);
            // A SHORT sits left-justified in the 4-byte value field.
            if (entries[i].Type == 3)
                U16(e[8..], (ushort)entries[i].Value);
            else
                U32(e[8..], entries[i].Value);
        }
        if (x is { } rx)
        {
            U32(span[(int)rationalOffset..], rx.N);
            U32(span[((int)rationalOffset + 4)..], rx.D);
        }
        if (y is { } ry)
        {
            U32(span[((int)rationalOffset + 8)..], ry.N);
            U32(span[((int)rationalOffset + 12)..], ry.D);
        }
        return bytes;

        void U16(Span<byte> b, ushort v)
        {
            if (little)
                BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            else
                BinaryPrimitives.WriteUInt16BigEndian(b, v);
        }

        void U32(Span<byte> b, uint v)
        {
            if (little)
                BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            else
                BinaryPrimitives.WriteUInt32BigEndian(b, v);
        }
    }
}
