using System.Buffers.Binary;
using System.Globalization;

namespace AutoClassify.Imaging.Formats;

/// <summary>
/// Reads MRC files (MRC2014, and the MRC2000 and older headers CCP4/EMDB/RELION write): modes 0 (int8), 1 (int16),
/// 2 (float32), 6 (uint16) and 12 (float16). Every section is a 2D image; a <c>.map</c> must be 2D because a map is
/// a volume. The pixel size is cella / mx (Å, over the sampling, not over nx); data start after 1024 + nsymbt bytes.
/// </summary>
public static class MrcReader
{
    const int HeaderBytes = 1024;

    /// <summary>The facts of an MRC header that the reader uses.</summary>
    /// <param name="Width">nx: columns.</param>
    /// <param name="Height">ny: rows.</param>
    /// <param name="Sections">nz: sections (images) in the file.</param>
    /// <param name="Mode">The MRC mode.</param>
    /// <param name="DataOffset">Where the first section starts: 1024 + nsymbt.</param>
    /// <param name="LittleEndian">The byte order the machine stamp declares.</param>
    /// <param name="Scale">cella / mx per axis, in nm; null when the header declares no cell.</param>
    /// <param name="Warnings">e.g. a negative cell.</param>
    public sealed record Header(int Width, int Height, int Sections, int Mode, long DataOffset, bool LittleEndian, ImageScale? Scale, IReadOnlyList<string> Warnings)
    {
        /// <summary>The stored data type of the mode.</summary>
        public string DataType => Mode switch
        {
            0 => "int8",
            1 => "int16",
            2 => "float32",
            6 => "uint16",
            _ => "float16",
        };

        /// <summary>Bytes per value.</summary>
        public int BytesPerValue => Mode switch
        {
            0 => 1,
            2 => 4,
            _ => 2,
        };
    }

    /// <summary>Reads and checks the header of an MRC file (size, mode, extended header, file length, scale).</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxPixels">The largest section accepted, in pixels; checked before anything is allocated.</param>
    public static Header ReadHeader(string path, long maxPixels = EmImageLimits.DefaultMaxPixels)
    {
        using var stream = EmFile.Open(path);
        return ReadHeader(stream, path, maxPixels);
    }

    /// <summary>Reads section <paramref name="section"/> (0-based) of an MRC file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="section">The section; 0 for a single image.</param>
    /// <param name="maxPixels">The largest section accepted, in pixels.</param>
    public static EmImage Read(string path, int section = 0, long maxPixels = EmImageLimits.DefaultMaxPixels)
    {
        using var stream = EmFile.Open(path);
        var header = ReadHeader(stream, path, maxPixels);
        var source = header.Sections > 1 ? EmPath.Section(path, section) : path;
        if (section < 0 || section >= header.Sections)
            throw new ImageDecodeException(source, $"the file holds {header.Sections} section(s); there is no section {section}");
        var count = header.Width * header.Height;
        var bytes = new byte[(long)count * header.BytesPerValue];
        stream.Position = header.DataOffset + (long)section * bytes.Length;
        EmFile.ReadExactly(stream, bytes, source);
        var values = new float[count];
        var little = header.LittleEndian;
        switch (header.Mode)
        {
            case 0:
                for (var i = 0; i < count; i++)
                    values[i] = (sbyte)bytes[i];
                break;
            case 1:
                for (var i = 0; i < count; i++)
                    values[i] = little ? BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(2 * i)) : BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(2 * i));
                break;
            case 2:
                for (var i = 0; i < count; i++)
                    values[i] = little ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i)) : BinaryPrimitives.ReadSingleBigEndian(bytes.AsSpan(4 * i));
                break;
            case 6:
                for (var i = 0; i < count; i++)
                    values[i] = little ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) : BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2 * i));
                break;
            default:
                for (var i = 0; i < count; i++)
                    values[i] = (float)(little ? BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i)) : BinaryPrimitives.ReadHalfBigEndian(bytes.AsSpan(2 * i)));
                break;
        }
        return new EmImage(source, header.Width, header.Height, values, header.DataType, header.Scale, header.Warnings);
    }

    static Header ReadHeader(FileStream stream, string path, long maxPixels)
    {
        var h = new byte[HeaderBytes];
        if (stream.Length < HeaderBytes)
            throw new ImageDecodeException(path, $"the file has {stream.Length} bytes, fewer than the 1024 of an MRC header (truncated or not an MRC file)");
        EmFile.ReadExactly(stream, h, path);

        // Machine stamp 0x44 0x44 / 0x44 0x41 is little-endian, 0x11 0x11 big-endian; old files have none, so a
        // mode that only makes sense in one byte order decides.
        var little = h[212] switch
        {
            0x44 => true,
            0x11 => false,
            _ => BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(12)) is >= 0 and <= 12,
        };
        int I32(int at) => little ? BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(at)) : BinaryPrimitives.ReadInt32BigEndian(h.AsSpan(at));
        float F32(int at) => little ? BinaryPrimitives.ReadSingleLittleEndian(h.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(h.AsSpan(at));

        int nx = I32(0), ny = I32(4), nz = I32(8), mode = I32(12);
        if (mode is not (0 or 1 or 2 or 6 or 12))
        {
            var what = mode switch
            {
                3 or 4 => "complex (Fourier-space) data",
                101 => "4-bit packed data",
                _ => "not a known MRC mode; the file is damaged or not an MRC file",
            };
            throw new ImageDecodeException(path, $"MRC mode {mode} is {what}; AutoClassify reads modes 0 (int8), 1 (int16), 2 (float32), 6 (uint16) and 12 (float16)");
        }
        if (nz <= 0)
            throw new ImageDecodeException(path, $"the header declares {nz} sections; the file is damaged");
        EmImageLimits.Check(path, nx, ny, maxPixels);
        if (nz > 1 && Path.GetExtension(path).Equals(".map", StringComparison.OrdinalIgnoreCase))
            throw new ImageDecodeException(path, $"it is a 3D map of {nx}x{ny}x{nz} voxels; AutoClassify reads 2D images and image stacks (.mrc, .mrcs), not volumes");

        var nsymbt = I32(92);
        if (nsymbt < 0)
            throw new ImageDecodeException(path, $"the extended header size (nsymbt) is {nsymbt}; the file is damaged");
        var header = new Header(nx, ny, nz, mode, HeaderBytes + (long)nsymbt, little, null, []);
        var expected = header.DataOffset + (long)nx * ny * nz * header.BytesPerValue;
        if (stream.Length < expected)
            throw new ImageDecodeException(path, string.Create(CultureInfo.InvariantCulture,
                $"the header declares {nx}x{ny}x{nz} {header.DataType} values after {header.DataOffset} header bytes ({expected} bytes in all), but the file has {stream.Length}: it is truncated"));

        var warnings = new List<string>();
        var scale = ReadScale(path, I32, F32, warnings);
        return header with { Scale = scale, Warnings = warnings };
    }

    // The sampling grid (mx, my, mz) divides the cell; mapc/mapr name which cell axes the columns and rows are.
    static ImageScale? ReadScale(string path, Func<int, int> i32, Func<int, float> f32, List<string> warnings)
    {
        int[] sampling = [i32(28), i32(32), i32(36)];
        double[] cell = [f32(40), f32(44), f32(48)];
        int mapc = i32(64), mapr = i32(68);
        if (mapc is < 1 or > 3 || mapr is < 1 or > 3 || mapc == mapr)
            (mapc, mapr) = (1, 2);
        double Axis(int axis) => sampling[axis - 1] > 0 && double.IsFinite(cell[axis - 1]) ? cell[axis - 1] / sampling[axis - 1] : 0;
        double x = Axis(mapc), y = Axis(mapr);
        if (x == 0 || y == 0)
            return null;
        if (x < 0 || y < 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"'{path}': the MRC cell is negative ({cell[mapc - 1]} Å over {sampling[mapc - 1]} samples); its absolute value is taken as the pixel size"));
            (x, y) = (Math.Abs(x), Math.Abs(y));
        }
        // cella is in Å.
        return new ImageScale(new PixelSize(x / 10, y / 10), "MRC header (cella / mx)");
    }
}
