using System.Buffers.Binary;

namespace AutoClassify.Tests.Preprocessing.Formats;

/// <summary>Writes small MRC files byte by byte, to test modes the samples lack and damaged headers.</summary>
internal static class MrcFiles
{
    /// <summary>An MRC2014 file of <paramref name="sections"/> sections of width x height, every value from <paramref name="value"/>(x, y, z).</summary>
    public static byte[] Write(int width, int height, int sections, int mode, Func<int, int, int, double> value,
        float cellX = 0, int extended = 0, bool little = true)
    {
        var size = mode switch { 0 => 1, 2 => 4, _ => 2 };
        var bytes = new byte[1024 + extended + (long)width * height * sections * size];
        var h = bytes.AsSpan();
        void I32(int at, int v)
        {
            if (little)
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), v);
            else
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), v);
        }
        void F32(int at, float v)
        {
            if (little)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), v);
            else
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(at), v);
        }
        I32(0, width);
        I32(4, height);
        I32(8, sections);
        I32(12, mode);
        I32(28, width);
        I32(32, height);
        I32(36, 1);
        F32(40, cellX);
        F32(44, cellX * height / width);
        F32(48, 1);
        I32(64, 1);
        I32(68, 2);
        I32(72, 3);
        I32(92, extended);
        I32(108, 20140);
        "MAP "u8.CopyTo(h[208..]);
        h[212] = little ? (byte)0x44 : (byte)0x11;
        h[213] = little ? (byte)0x44 : (byte)0x11;
        var offset = 1024 + extended;
        for (var z = 0; z < sections; z++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = value(x, y, z);
                    var at = h[offset..];
                    offset += size;
                    switch (mode)
                    {
                        case 0:
                            at[0] = (byte)(sbyte)v;
                            break;
                        case 1:
                            if (little) BinaryPrimitives.WriteInt16LittleEndian(at, (short)v); else BinaryPrimitives.WriteInt16BigEndian(at, (short)v);
                            break;
                        case 2:
                            if (little) BinaryPrimitives.WriteSingleLittleEndian(at, (float)v); else BinaryPrimitives.WriteSingleBigEndian(at, (float)v);
                            break;
                        case 6:
                            if (little) BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)v); else BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)v);
                            break;
                        default:
                            if (little) BinaryPrimitives.WriteHalfLittleEndian(at, (Half)v); else BinaryPrimitives.WriteHalfBigEndian(at, (Half)v);
                            break;
                    }
                }
            }
        }
        return bytes;
    }
}
