using System.Buffers.Binary;
using System.Globalization;

namespace AutoClassify.Imaging.Formats;

/// <summary>
/// Reads the 2D image of an FEI/Thermo Fisher TIA <c>.ser</c> file (series versions 0x0210 with 32-bit offsets and
/// 0x0220 with 64-bit offsets; little-endian). The pixel size is the element's CalibrationDeltaX/Y, in metres.
/// The <c>.emi</c> companion holds only microscope metadata and is not needed.
/// </summary>
public static class SerReader
{
    const int ImageElements = 0x4122;
    const int ElementHeader = 50;

    /// <summary>Reads the image of a single-image SER file.</summary>
    /// <param name="path">The .ser file.</param>
    /// <param name="maxPixels">The largest image accepted, in pixels; checked before the pixels are read.</param>
    public static EmImage Read(string path, long maxPixels = EmImageLimits.DefaultMaxPixels) => Read(path, maxPixels, pixels: true);

    /// <summary>Reads the size and calibration only.</summary>
    public static EmImage ReadHeader(string path, long maxPixels = EmImageLimits.DefaultMaxPixels) => Read(path, maxPixels, pixels: false);

    static EmImage Read(string path, long maxPixels, bool pixels)
    {
        using var stream = EmFile.Open(path);
        Span<byte> h = stackalloc byte[30];
        if (stream.Length < h.Length)
            throw new ImageDecodeException(path, $"the file has {stream.Length} bytes, too few for a TIA series header (truncated or not a SER file)");
        EmFile.ReadExactly(stream, h, path);
        if (BinaryPrimitives.ReadUInt16LittleEndian(h) != 0x4949 || BinaryPrimitives.ReadUInt16LittleEndian(h[2..]) != 0x0197)
            throw new ImageDecodeException(path, "it is not a TIA series (.ser) file: the header's byte-order and series marks are missing");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(h[4..]);
        var wide = version >= 0x0220;
        var dataType = BinaryPrimitives.ReadUInt32LittleEndian(h[6..]);
        var valid = BinaryPrimitives.ReadUInt32LittleEndian(h[18..]);
        if (dataType != ImageElements)
            throw new ImageDecodeException(path, string.Create(CultureInfo.InvariantCulture, $"the series holds 1D spectra (data type 0x{dataType:X4}), not 2D images"));
        if (valid != 1)
            throw new ImageDecodeException(path, string.Create(CultureInfo.InvariantCulture, $"the series holds {valid} images; AutoClassify reads single-image SER files"));
        var offsetArray = wide ? (long)BinaryPrimitives.ReadUInt64LittleEndian(h[22..]) : BinaryPrimitives.ReadUInt32LittleEndian(h[22..]);
        var element = ReadOffset(stream, path, offsetArray, wide);

        Span<byte> e = stackalloc byte[ElementHeader];
        if (element < 0 || element + ElementHeader > stream.Length)
            throw new ImageDecodeException(path, "the image element lies past the end of the file (truncated)");
        stream.Position = element;
        EmFile.ReadExactly(stream, e, path);
        var deltaX = BinaryPrimitives.ReadDoubleLittleEndian(e[8..]);
        var deltaY = BinaryPrimitives.ReadDoubleLittleEndian(e[28..]);
        var type = BinaryPrimitives.ReadInt16LittleEndian(e[40..]);
        long width = BinaryPrimitives.ReadInt32LittleEndian(e[42..]), height = BinaryPrimitives.ReadInt32LittleEndian(e[46..]);
        var (name, size) = type switch
        {
            1 => ("uint8", 1),
            2 => ("uint16", 2),
            3 => ("uint32", 4),
            4 => ("int8", 1),
            5 => ("int16", 2),
            6 => ("int32", 4),
            7 => ("float32", 4),
            8 => ("float64", 8),
            9 or 10 => throw new ImageDecodeException(path, "the image holds complex values; AutoClassify reads real-valued images"),
            _ => throw new ImageDecodeException(path, $"the image has TIA data type {type}, which is not known; the file is damaged"),
        };
        EmImageLimits.Check(path, width, height, maxPixels);
        var count = (int)(width * height);
        if (element + ElementHeader + (long)count * size > stream.Length)
            throw new ImageDecodeException(path, string.Create(CultureInfo.InvariantCulture, $"the {width}x{height} {name} image runs past the end of the file (truncated)"));

        var scale = deltaX > 0 && deltaY > 0 && double.IsFinite(deltaX) && double.IsFinite(deltaY)
            ? new ImageScale(new PixelSize(deltaX * 1e9, deltaY * 1e9), "TIA calibration (CalibrationDeltaX/Y)")
            : null;
        var values = pixels ? ReadValues(stream, path, type, size, count) : [];
        return new EmImage(path, (int)width, (int)height, values, name, scale, []);
    }

    static long ReadOffset(Stream stream, string path, long at, bool wide)
    {
        Span<byte> b = stackalloc byte[8];
        var n = wide ? 8 : 4;
        if (at < 0 || at + n > stream.Length)
            throw new ImageDecodeException(path, "the offset array lies past the end of the file (truncated)");
        stream.Position = at;
        EmFile.ReadExactly(stream, b[..n], path);
        return wide ? (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(b), long.MaxValue) : BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    static float[] ReadValues(Stream stream, string path, short type, int size, int count)
    {
        var bytes = new byte[(long)count * size];
        EmFile.ReadExactly(stream, bytes, path);
        var values = new float[count];
        var b = bytes.AsSpan();
        for (var i = 0; i < count; i++)
        {
            var v = b.Slice(i * size, size);
            values[i] = type switch
            {
                1 => v[0],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(v),
                3 => BinaryPrimitives.ReadUInt32LittleEndian(v),
                4 => (sbyte)v[0],
                5 => BinaryPrimitives.ReadInt16LittleEndian(v),
                6 => BinaryPrimitives.ReadInt32LittleEndian(v),
                7 => BinaryPrimitives.ReadSingleLittleEndian(v),
                _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(v),
            };
        }
        return values;
    }
}
