using System.Buffers.Binary;

namespace AutoClassify.Imaging;

/// <summary>A physical pixel size in nanometres per pixel along x and y.</summary>
public readonly record struct PixelSize(double NanometresX, double NanometresY);

/// <summary>
/// Reads the pixel size a TIFF declares in its first image's XResolution, YResolution and ResolutionUnit
/// tags (classic TIFF and BigTIFF, either byte order). Vendor-specific metadata tags are not read.
/// </summary>
public static class TiffResolution
{
    const ushort XResolutionTag = 282;
    const ushort YResolutionTag = 283;
    const ushort ResolutionUnitTag = 296;
    const ushort ShortType = 3;
    const ushort RationalType = 5;
    const int MaxEntries = 4096;

    /// <summary>
    /// The pixel size of a TIFF file, or null when the file is no TIFF, lacks the tags, or declares no
    /// physical unit (ResolutionUnit 1). Throws <see cref="InvalidDataException"/> naming the file when its structure is broken.
    /// </summary>
    public static PixelSize? Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>As <see cref="Read(string)"/>, from a seekable stream; <paramref name="sourceName"/> names it in errors.</summary>
    public static PixelSize? Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanSeek)
            throw new ArgumentException("The stream must be seekable.", nameof(stream));
        var reader = new Reader(stream, sourceName);
        Span<byte> header = stackalloc byte[16];
        if (reader.TryRead(0, header[..8]) < 8)
            return null;
        bool little;
        if (header[0] == 'I' && header[1] == 'I')
            little = true;
        else if (header[0] == 'M' && header[1] == 'M')
            little = false;
        else
            return null;
        reader.Little = little;
        var magic = reader.U16(header[2..]);
        bool big;
        long ifd;
        if (magic == 42)
        {
            big = false;
            ifd = reader.U32(header[4..]);
        }
        else if (magic == 43)
        {
            big = true;
            reader.ReadExactly(0, header);
            if (reader.U16(header[4..]) != 8)
                throw reader.Error("BigTIFF offsets are not 8 bytes");
            ifd = checked((long)reader.U64(header[8..]));
        }
        else
        {
            return null;
        }

        Span<byte> countBytes = stackalloc byte[8];
        reader.ReadExactly(ifd, countBytes[..(big ? 8 : 2)]);
        var entries = big ? reader.U64(countBytes) : reader.U16(countBytes);
        if (entries > MaxEntries)
            throw reader.Error($"the first directory claims {entries} entries");
        var entrySize = big ? 20 : 12;
        var entryBytes = new byte[(int)entries * entrySize];
        reader.ReadExactly(ifd + (big ? 8 : 2), entryBytes);

        Span<byte> rational = stackalloc byte[8];
        double? x = null, y = null;
        var unit = 2;  // TIFF 6.0: inches when the tag is absent
        for (var i = 0; i < (int)entries; i++)
        {
            var e = entryBytes.AsSpan(i * entrySize, entrySize);
            var tag = reader.U16(e);
            var type = reader.U16(e[2..]);
            var count = big ? reader.U64(e[4..]) : reader.U32(e[4..]);
            var value = e[(big ? 12 : 8)..];
            switch (tag)
            {
                case XResolutionTag or YResolutionTag:
                    if (type != RationalType || count != 1)
                        throw reader.Error($"tag {tag} is not one RATIONAL");
                    // A RATIONAL is 8 bytes: inline in BigTIFF, at an offset in classic TIFF.
                    if (big)
                        value[..8].CopyTo(rational);
                    else
                        reader.ReadExactly(reader.U32(value), rational);
                    uint numerator = reader.U32(rational), denominator = reader.U32(rational[4..]);
                    double? perUnit = numerator == 0 || denominator == 0 ? null : (double)numerator / denominator;
                    if (tag == XResolutionTag)
                        x = perUnit;
                    else
                        y = perUnit;
                    break;
                case ResolutionUnitTag:
                    if (type != ShortType || count != 1)
                        throw reader.Error("ResolutionUnit is not one SHORT");
                    unit = reader.U16(value);
                    break;
            }
        }

        var nanometresPerUnit = unit switch
        {
            2 => 25.4e6,
            3 => 1e7,
            _ => double.NaN,
        };
        if (x is not { } pxPerUnitX || double.IsNaN(nanometresPerUnit))
            return null;
        var pxPerUnitY = y ?? pxPerUnitX;
        return new PixelSize(nanometresPerUnit / pxPerUnitX, nanometresPerUnit / pxPerUnitY);
    }

    sealed class Reader(Stream stream, string sourceName)
    {
        public bool Little { get; set; }

        public int TryRead(long offset, Span<byte> buffer)
        {
            stream.Position = offset;
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }

        public void ReadExactly(long offset, Span<byte> buffer)
        {
            if (offset < 0 || offset > stream.Length || TryRead(offset, buffer) < buffer.Length)
                throw Error($"it points past the end of the file (offset {offset}, {buffer.Length} bytes)");
        }

        public ushort U16(ReadOnlySpan<byte> b) => Little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

        public uint U32(ReadOnlySpan<byte> b) => Little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);

        public ulong U64(ReadOnlySpan<byte> b) => Little ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b);

        public InvalidDataException Error(string problem) => new($"'{sourceName}' is a damaged TIFF: {problem}.");
    }
}
