using System.Buffers.Binary;
using System.IO.Compression;

namespace AutoClassify.Tests.Support;

/// <summary>
/// Small files that declare enormous images (decompression bombs), written by the tests instead of being checked in.
/// The PNG is a complete, valid file whose pixels really decode to the declared size; the others carry a true header
/// followed by too little data.
/// </summary>
internal static class ImageBombs
{
    /// <summary>A valid 1-bit grey PNG of <paramref name="width"/> × <paramref name="height"/> zeros (a few hundred KB for 20,000²).</summary>
    public static void Png(string path, int width, int height)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 1; // bit depth
        header[9] = 0; // grey
        Chunk(file, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                var row = new byte[1 + ((width + 7) / 8)];
                for (var y = 0; y < height; y++)
                    zlib.Write(row);
            }
            Chunk(file, "IDAT", compressed.ToArray());
        }
        Chunk(file, "IEND", []);
    }

    /// <summary>A baseline JPEG header (SOF0, one component) declaring the size, then the end marker.</summary>
    public static void Jpeg(string path, ushort width, ushort height)
    {
        var sof = new byte[] { 0xFF, 0xC0, 0, 11, 8, 0, 0, 0, 0, 1, 1, 0x11, 0 };
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(5), height);
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(7), width);
        byte[] app0 = [0xFF, 0xE0, 0, 16, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
        File.WriteAllBytes(path, [0xFF, 0xD8, .. app0, .. sof, 0xFF, 0xD9]);
    }

    /// <summary>A little-endian TIFF whose first IFD declares the size as LONGs, with one strip of 16 bytes.</summary>
    public static void Tiff(string path, uint width, uint height)
    {
        var bytes = new List<byte> { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0 };
        (ushort Tag, ushort Type, uint Value)[] entries =
        [
            (256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 8 + 2 + (9 * 12) + 4),
            (277, 3, 1), (278, 4, height), (279, 4, 16),
        ];
        bytes.AddRange(BitConverter.GetBytes((ushort)entries.Length));
        foreach (var (tag, type, value) in entries)
        {
            bytes.AddRange(BitConverter.GetBytes(tag));
            bytes.AddRange(BitConverter.GetBytes(type));
            bytes.AddRange(BitConverter.GetBytes(1u));
            bytes.AddRange(BitConverter.GetBytes(value));
        }
        bytes.AddRange(new byte[4 + 16]);
        File.WriteAllBytes(path, [.. bytes]);
    }

    /// <summary>A BMP with a BITMAPINFOHEADER declaring the size, 8 bits per pixel, and almost no pixel data.</summary>
    public static void Bmp(string path, int width, int height)
    {
        var bytes = new byte[54 + 1024 + 16];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54 + 1024);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 8);
        File.WriteAllBytes(path, bytes);
    }

    static void Chunk(Stream file, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        file.Write(word);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        file.Write(word);
    }

    static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
