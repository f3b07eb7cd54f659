using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace AutoClassify.Tests.Dataset;

/// <summary>
/// Test-only PNG reader for 8-bit greyscale files: checks the signature, every chunk's CRC and the IDAT size,
/// then undoes the row filters. Independent of the writer's code so it can catch the writer's mistakes.
/// </summary>
internal static class SynthesisPngReader
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public sealed record Decoded(int Width, int Height, byte[] Pixels, IReadOnlyList<string> ChunkTypes);

    public static Decoded Read(string path) => Decode(File.ReadAllBytes(path), path);

    public static Decoded Decode(byte[] file, string name = "<memory>")
    {
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(Signature))
            throw new InvalidDataException($"{name}: missing PNG signature.");
        int pos = 8, width = 0, height = 0;
        var types = new List<string>();
        using var idat = new MemoryStream();
        while (pos < file.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            var type = Encoding.ASCII.GetString(file, pos + 4, 4);
            var body = file.AsSpan(pos + 4, 4 + length);
            var stored = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos + 8 + length));
            if (stored != BitwiseCrc(body))
                throw new InvalidDataException($"{name}: CRC mismatch in chunk {type}.");
            var data = file.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[9] != 0 || data[10] != 0 || data[11] != 0 || data[12] != 0)
                    throw new InvalidDataException($"{name}: not a plain 8-bit greyscale PNG.");
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            types.Add(type);
            pos += 12 + length;
        }
        if (types.Count < 3 || types[0] != "IHDR" || types[^1] != "IEND")
            throw new InvalidDataException($"{name}: chunks must start with IHDR and end with IEND.");

        idat.Position = 0;
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
            zlib.CopyTo(raw);
        var rows = raw.ToArray();
        if (rows.Length != (width + 1) * height)
            throw new InvalidDataException($"{name}: IDAT inflates to {rows.Length} bytes, expected {(width + 1) * height}.");

        var pixels = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            var filter = rows[y * (width + 1)];
            if (filter > 4)
                throw new InvalidDataException($"{name}: unknown filter {filter} on row {y}.");
            for (var x = 0; x < width; x++)
            {
                int a = x > 0 ? pixels[y * width + x - 1] : 0;
                int b = y > 0 ? pixels[(y - 1) * width + x] : 0;
                int c = x > 0 && y > 0 ? pixels[(y - 1) * width + x - 1] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    _ => Paeth(a, b, c),
                };
                pixels[y * width + x] = (byte)(rows[y * (width + 1) + 1 + x] + predictor);
            }
        }
        return new Decoded(width, height, pixels, types);
    }

    static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
            return a;
        return pb <= pc ? b : c;
    }

    static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
