using System.Buffers.Binary;
using System.IO.Compression;
using AutoClassify.IO;

namespace AutoClassify.Imaging;

/// <summary>
/// Writes 8-bit greyscale PNG files without native dependencies: zlib from <see cref="ZLibStream"/>,
/// CRC-32 computed here, adaptive per-row filtering. Files are written atomically (temp file, then rename).
/// </summary>
public static class PngWriter
{
    static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Writes <paramref name="pixels"/> (row-major, one byte per pixel) as an 8-bit grey PNG.</summary>
    public static void WriteGray8(string path, int width, int height, ReadOnlySpan<byte> pixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = EncodeGray8(width, height, pixels);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Writes a [0, 1] image as 8-bit grey, rounding to the nearest level and clamping out-of-range values.</summary>
    public static void Write(string path, GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        WriteGray8(path, image.Width, image.Height, ToBytes(image));
    }

    /// <summary>Writes a mask as 8-bit grey with 0 outside and 255 inside the object.</summary>
    public static void Write(string path, BinaryMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var bytes = new byte[mask.Data.Length];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = mask.Data[i] != 0 ? (byte)255 : (byte)0;
        WriteGray8(path, mask.Width, mask.Height, bytes);
    }

    /// <summary>Converts [0, 1] intensities to bytes the way <see cref="Write(string, GrayImage)"/> does.</summary>
    public static byte[] ToBytes(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var bytes = new byte[image.Pixels.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            var v = image.Pixels[i];
            // NaN maps to black rather than poisoning the file.
            bytes[i] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(MathF.Round(v * 255f), 0f, 255f);
        }
        return bytes;
    }

    /// <summary>Encodes an 8-bit grey PNG in memory.</summary>
    public static byte[] EncodeGray8(int width, int height, ReadOnlySpan<byte> pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} = {(long)width * height} pixels, got {pixels.Length}.", nameof(pixels));

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bit depth
        header[9] = 0;  // colour type: greyscale
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering
        header[12] = 0; // no interlace
        WriteChunk(output, "IHDR"u8, header);
        WriteChunk(output, "IDAT"u8, Compress(width, height, pixels));
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    /// <summary>CRC-32 (ISO 3309, as PNG uses) of <paramref name="data"/>.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data) => UpdateCrc(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    static byte[] Compress(int width, int height, ReadOnlySpan<byte> pixels)
    {
        var filtered = new byte[(long)(width + 1) * height];
        var candidate = new byte[width];
        var best = new byte[width];
        var zeros = new byte[width];
        for (var y = 0; y < height; y++)
        {
            var row = pixels.Slice(y * width, width);
            ReadOnlySpan<byte> above = y > 0 ? pixels.Slice((y - 1) * width, width) : zeros;
            // Minimum-sum-of-absolute-differences heuristic from the PNG specification.
            long bestScore = long.MaxValue;
            byte bestType = 0;
            for (byte type = 0; type <= 4; type++)
            {
                var score = Filter(type, row, above, candidate);
                if (score < bestScore)
                {
                    bestScore = score;
                    bestType = type;
                    candidate.CopyTo(best, 0);
                }
            }
            var offset = (long)y * (width + 1);
            filtered[offset] = bestType;
            best.CopyTo(filtered, offset + 1);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            zlib.Write(filtered);
        return compressed.ToArray();
    }

    static long Filter(byte type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> above, Span<byte> result)
    {
        long score = 0;
        for (var x = 0; x < row.Length; x++)
        {
            int left = x > 0 ? row[x - 1] : 0, up = above[x], upLeft = x > 0 ? above[x - 1] : 0;
            var predictor = type switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) >> 1,
                _ => Paeth(left, up, upLeft),
            };
            var value = (byte)(row[x] - predictor);
            result[x] = value;
            score += value < 128 ? value : 256 - value;
        }
        return score;
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = UpdateCrc(0xFFFFFFFFu, type);
        crc = UpdateCrc(crc, data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }

    static uint UpdateCrc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
