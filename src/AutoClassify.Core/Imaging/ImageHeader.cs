using System.Buffers.Binary;

namespace AutoClassify.Imaging;

/// <summary>
/// Reads the dimensions an image file declares in its header (PNG IHDR, JPEG SOF, TIFF first IFD, BMP info header)
/// without decoding any pixel, so an image too large to decode is refused before it costs memory.
/// </summary>
public static class ImageHeader
{
    /// <summary>The declared width and height, or null when the header is missing, truncated or malformed.</summary>
    public static (long Width, long Height)? ReadSize(ReadOnlySpan<byte> data) => ImageCodec.Sniff(data) switch
    {
        ImageFileFormat.Png => Png(data),
        ImageFileFormat.Jpeg => Jpeg(data),
        ImageFileFormat.Tiff => Tiff(data),
        ImageFileFormat.Bmp => Bmp(data),
        _ => null,
    };

    static (long, long)? Png(ReadOnlySpan<byte> data)
    {
        // Signature (8), chunk length (4), "IHDR", then width and height as big-endian 32-bit.
        if (data.Length < 24 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
            return null;
        return (BinaryPrimitives.ReadUInt32BigEndian(data[16..]), BinaryPrimitives.ReadUInt32BigEndian(data[20..]));
    }

    static (long, long)? Jpeg(ReadOnlySpan<byte> data)
    {
        var position = 2;
        while (position + 4 <= data.Length)
        {
            if (data[position] != 0xFF)
                return null;
            var marker = data[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte
                continue;
            }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                position += 2;
                continue;
            }
            if (marker is 0xD9 or 0xDA)
                return null; // end of image or start of scan before any frame header
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
            if (length < 2)
                return null;
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                if (position + 9 > data.Length)
                    return null;
                var height = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 5)..]);
                var width = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 7)..]);
                return height == 0 ? null : (width, height);
            }
            position += 2 + length;
        }
        return null;
    }

    static (long, long)? Tiff(ReadOnlySpan<byte> data)
    {
        var little = data[0] == 'I';
        var big = (little ? data[2] : data[3]) == 43;

        var headerLength = big ? 16 : 8;
        if (data.Length < headerLength)
            return null;
        var ifd = big ? U64(data, little, 8) : U32(data, little, 4);
        var countSize = big ? 8 : 2;
        var entrySize = big ? 20 : 12;
        if (ifd > (ulong)(data.Length - countSize))
            return null;
        var start = (int)ifd;
        var count = big ? U64(data, little, start) : U16(data, little, start);
        long? width = null, height = null;
        for (ulong i = 0; i < count; i++)
        {
            var entry = (long)start + countSize + ((long)i * entrySize);
            if (entry + entrySize > data.Length)
                return null;
            var at = (int)entry;
            var tag = U16(data, little, at);
            if (tag is not (256 or 257))
                continue;
            // A SHORT (3) value sits in the first two bytes of the value field, a LONG (4) in four, a LONG8 (16) in eight.
            var valueAt = at + (big ? 12 : 8);
            long? value = U16(data, little, at + 2) switch
            {
                3 => (long)U16(data, little, valueAt),
                4 => (long)U32(data, little, valueAt),
                16 when big => (long)Math.Min(U64(data, little, valueAt), long.MaxValue),
                _ => null,
            };
            if (tag == 256)
                width = value;
            else
                height = value;
        }
        return width is { } w && height is { } h ? (w, h) : null;
    }

    static (long, long)? Bmp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26)
            return null;
        var infoSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        if (infoSize == 12)
            return (BinaryPrimitives.ReadUInt16LittleEndian(data[18..]), BinaryPrimitives.ReadUInt16LittleEndian(data[20..]));
        // A negative height means the rows are stored top-down.
        long width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
        long height = BinaryPrimitives.ReadInt32LittleEndian(data[22..]);
        return (Math.Abs(width), Math.Abs(height));
    }

    static ulong U16(ReadOnlySpan<byte> data, bool little, int at) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt16BigEndian(data[at..]);

    static ulong U32(ReadOnlySpan<byte> data, bool little, int at) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt32BigEndian(data[at..]);

    static ulong U64(ReadOnlySpan<byte> data, bool little, int at) =>
        little ? BinaryPrimitives.ReadUInt64LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt64BigEndian(data[at..]);
}
