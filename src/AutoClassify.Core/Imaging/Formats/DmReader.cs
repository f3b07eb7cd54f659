using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace AutoClassify.Imaging.Formats;

/// <summary>
/// Reads 2D images from Gatan DigitalMicrograph DM3 and DM4 files, written from the published descriptions of
/// the tag tree: big-endian tag structure (4-byte counts in DM3, 8-byte in DM4), values in the file's byte order.
/// The image is the first <c>ImageList</c> entry that is not an RGB(A) thumbnail and has two dimensions; its
/// calibration (<c>ImageData.Calibrations.Dimension[0..1].Scale/Units</c>) gives the pixel size.
/// </summary>
public static class DmReader
{
    // DM tag value encodings and their sizes in bytes.
    const int Struct = 15, String = 18, Array = 20;

    /// <summary>Reads the image, its stored type and its calibration.</summary>
    /// <param name="path">The .dm3 or .dm4 file.</param>
    /// <param name="maxPixels">The largest image accepted, in pixels; checked before the pixels are read.</param>
    public static EmImage Read(string path, long maxPixels = EmImageLimits.DefaultMaxPixels) => Read(path, maxPixels, pixels: true);

    /// <summary>Reads only the calibration and size of the image (the tag tree, not the pixels).</summary>
    public static EmImage ReadHeader(string path, long maxPixels = EmImageLimits.DefaultMaxPixels) => Read(path, maxPixels, pixels: false);

    static EmImage Read(string path, long maxPixels, bool pixels)
    {
        using var stream = EmFile.Open(path);
        var parser = new Parser(stream, path);
        var root = parser.ParseFile();
        var entries = root.Child("ImageList")?.Children ?? [];
        var found = new List<string>();
        foreach (var entry in entries)
        {
            var data = entry.Child("ImageData");
            if (data?.Child("Data") is not { } array || data.Child("Dimensions") is not { } dims)
                continue;
            var dataType = (int)(parser.Number(data.Child("DataType")) ?? -1);
            var sizes = (dims.Children ?? []).Select(d => parser.Number(d) ?? 0).ToList();
            if (dataType is 8 or 23)
            {
                found.Add("an RGB thumbnail");
                continue;
            }
            var described = string.Join("x", sizes.Select(s => s.ToString(CultureInfo.InvariantCulture)));
            // A trailing dimension of 1 is still a 2D image.
            while (sizes.Count > 2 && sizes[^1] == 1)
                sizes.RemoveAt(sizes.Count - 1);
            if (sizes.Count != 2)
            {
                found.Add($"a {sizes.Count}D data set of {described}");
                continue;
            }
            return ReadImage(parser, path, data, array, dataType, (long)sizes[0], (long)sizes[1], maxPixels, pixels);
        }
        var what = found.Count == 0 ? "no image data" : string.Join(", ", found);
        throw new ImageDecodeException(path, $"it holds {what} but no 2D image; AutoClassify reads 2D images only (no spectra, line plots or stacks)");
    }

    static EmImage ReadImage(Parser parser, string path, Tag data, Tag array, int dataType, long width, long height, long maxPixels, bool pixels)
    {
        var (typeName, encoding) = dataType switch
        {
            1 => ("int16", 2),
            2 => ("float32", 6),
            6 => ("uint8", 10),
            7 => ("int32", 3),
            9 => ("int8", 9),
            10 => ("uint16", 4),
            11 => ("uint32", 5),
            12 => ("float64", 7),
            3 or 13 => throw new ImageDecodeException(path, $"the image holds complex values (DM data type {dataType}); AutoClassify reads real-valued images"),
            14 => ("uint8", 10),
            _ => throw new ImageDecodeException(path, $"the image has DM data type {dataType}, which AutoClassify does not read"),
        };
        EmImageLimits.Check(path, width, height, maxPixels);
        var count = (int)(width * height);
        if (array.Info.Length < 3 || array.Info[0] != Array || array.Info[1] is Struct or String or Array)
            throw new ImageDecodeException(path, "the image's Data tag is not an array of numbers; the file is damaged");
        if ((long)array.Info[2] != count)
            throw new ImageDecodeException(path, string.Create(CultureInfo.InvariantCulture, $"the image is {width}x{height} but its Data array holds {array.Info[2]} values; the file is damaged"));
        var warnings = new List<string>();
        var scale = Calibration(parser, path, data, warnings);
        if (Parser.Size((int)array.Info[1]) != Parser.Size(encoding))
            throw new ImageDecodeException(path, $"the image's data type {dataType} does not match its stored values; the file is damaged");
        var values = pixels ? parser.ReadNumbers(array.Offset, (int)array.Info[1], count) : [];
        return new EmImage(path, (int)width, (int)height, values, typeName, scale, warnings);
    }

    static ImageScale? Calibration(Parser parser, string path, Tag data, List<string> warnings)
    {
        var dims = data.Child("Calibrations")?.Child("Dimension")?.Children;
        if (dims is null || dims.Count < 2)
            return null;
        var axes = new double?[2];
        for (var k = 0; k < 2; k++)
        {
            var scale = parser.Number(dims[k].Child("Scale"));
            var unit = parser.Text(dims[k].Child("Units"))?.Trim() ?? "";
            if (scale is not { } s || !double.IsFinite(s) || s == 0 || unit.Length == 0)
                return null;
            if (unit.StartsWith("1/", StringComparison.Ordinal) || unit.Contains("^-1", StringComparison.Ordinal))
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"'{path}': the calibration is in {unit} (reciprocal space, a diffraction pattern), not a pixel size; the scale is left unknown"));
                return null;
            }
            if (LengthUnits.NanometresPer(unit) is not { } nm)
            {
                warnings.Add($"'{path}': the calibration unit '{unit}' is not a length; the scale is left unknown");
                return null;
            }
            axes[k] = Math.Abs(s) * nm;
        }
        return new ImageScale(new PixelSize(axes[0]!.Value, axes[1]!.Value), "DM calibration");
    }

    /// <summary>A node of the tag tree: a group (with children) or a data tag (with its encoding and the offset of its value).</summary>
    sealed class Tag(string label, List<Tag>? children, long[] info, long offset)
    {
        public string Label { get; } = label;
        public List<Tag>? Children { get; } = children;
        public long[] Info { get; } = info;
        public long Offset { get; } = offset;

        public Tag? Child(string name) => Children?.FirstOrDefault(c => c.Label == name);
    }

    sealed class Parser(FileStream stream, string path)
    {
        // Tag groups nest a few levels in practice; this guards against a damaged file's endless recursion.
        const int MaxDepth = 64;
        bool dm4;
        bool little;

        public Tag ParseFile()
        {
            Span<byte> head = stackalloc byte[16];
            if (stream.Length < 16)
                throw new ImageDecodeException(path, $"the file has {stream.Length} bytes, too few for a DigitalMicrograph header (truncated or not a DM file)");
            EmFile.ReadExactly(stream, head, path);
            var version = BinaryPrimitives.ReadInt32BigEndian(head);
            if (version is not (3 or 4))
                throw new ImageDecodeException(path, $"it is not a DigitalMicrograph 3 or 4 file (version field {version})");
            dm4 = version == 4;
            var order = BinaryPrimitives.ReadInt32BigEndian(head[(dm4 ? 12 : 8)..]);
            if (order is not (0 or 1))
                throw new ImageDecodeException(path, $"the DM header's byte-order field is {order}, not 0 or 1; the file is damaged");
            little = order == 1;
            stream.Position = dm4 ? 16 : 12;
            return new Tag("", ParseGroup(0), [], 0);
        }

        List<Tag> ParseGroup(int depth)
        {
            if (depth > MaxDepth)
                throw Damaged("the tag groups nest too deeply");
            Skip(2);  // sorted, open
            var count = Count();
            if (count < 0 || count > stream.Length)
                throw Damaged($"a tag group claims {count} tags");
            var tags = new List<Tag>((int)Math.Min(count, 1024));
            for (long i = 0; i < count; i++)
            {
                var kind = Byte();
                if (kind == 0)
                    break;
                var labelLength = (int)U16();
                var label = labelLength == 0 ? "" : Latin1(labelLength);
                if (dm4)
                    Skip(8);  // the tag's size in bytes
                if (kind == 20)
                    tags.Add(new Tag(label, ParseGroup(depth + 1), [], 0));
                else if (kind == 21)
                    tags.Add(ParseData(label));
                else
                    throw Damaged($"tag '{label}' has entry type {kind}, neither a group (20) nor data (21)");
            }
            return tags;
        }

        Tag ParseData(string label)
        {
            Span<byte> delimiter = stackalloc byte[4];
            EmFile.ReadExactly(stream, delimiter, path);
            if (!delimiter.SequenceEqual("%%%%"u8))
                throw Damaged($"tag '{label}' lacks its '%%%%' marker");
            var infoCount = Count();
            if (infoCount is < 1 or > 4096)
                throw Damaged($"tag '{label}' claims {infoCount} type descriptors");
            var info = new long[infoCount];
            for (var i = 0; i < info.Length; i++)
                info[i] = Count();
            var offset = stream.Position;
            var size = ValueSize(info, label);
            if (size < 0 || offset + size > stream.Length)
                throw Damaged($"the value of tag '{label}' runs past the end of the file (truncated)");
            stream.Position = offset + size;
            return new Tag(label, null, info, offset);
        }

        long ValueSize(long[] info, string label)
        {
            try
            {
                switch (info[0])
                {
                    case Struct:
                        return StructSize(info, 2);
                    case String:
                        return checked(2 * info[1]);
                    case Array when info[1] == Struct:
                        return checked(StructSize(info, 3) * info[^1]);
                    case Array:
                        return checked(Size((int)info[1]) * info[2]);
                    default:
                        return Size((int)info[0]);
                }
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ImageDecodeException or OverflowException)
            {
                throw Damaged($"tag '{label}' has a malformed type descriptor");
            }
        }

        // info[at] is the field count, then (name length, type) pairs.
        static long StructSize(long[] info, int at)
        {
            long total = 0;
            for (var f = 0; f < info[at]; f++)
                total += Size((int)info[at + 2 + 2 * f]);
            return total;
        }

        public static int Size(int encoding) => encoding switch
        {
            2 or 4 => 2,
            3 or 5 or 6 => 4,
            7 or 11 or 12 => 8,
            8 or 9 or 10 => 1,
            _ => throw new ImageDecodeException("", $"unknown DM value encoding {encoding}"),
        };

        /// <summary>A single number tag's value, or null when the tag is missing or not a number.</summary>
        public double? Number(Tag? tag)
        {
            if (tag is null || tag.Children is not null || tag.Info.Length != 1 || tag.Info[0] is Struct or String or Array or < 2 or > 12)
                return null;
            return ReadNumbers(tag.Offset, (int)tag.Info[0], 1)[0];
        }

        /// <summary>A text tag (an array of UTF-16 or 8-bit characters), or null.</summary>
        public string? Text(Tag? tag)
        {
            if (tag is null || tag.Children is not null || tag.Info.Length != 3 || tag.Info[0] != Array || tag.Info[2] > 4096)
                return null;
            var encoding = (int)tag.Info[1];
            var length = (int)tag.Info[2];
            if (encoding is not (4 or 9 or 10))
                return null;
            var bytes = new byte[length * Size(encoding)];
            stream.Position = tag.Offset;
            EmFile.ReadExactly(stream, bytes, path);
            return encoding == 4
                ? (little ? Encoding.Unicode : Encoding.BigEndianUnicode).GetString(bytes)
                : Encoding.Latin1.GetString(bytes);
        }

        public float[] ReadNumbers(long offset, int encoding, int count)
        {
            var size = Size(encoding);
            var bytes = new byte[(long)count * size];
            stream.Position = offset;
            EmFile.ReadExactly(stream, bytes, path);
            var values = new float[count];
            var b = bytes.AsSpan();
            for (var i = 0; i < count; i++)
            {
                var v = b.Slice(i * size, size);
                values[i] = encoding switch
                {
                    2 => little ? BinaryPrimitives.ReadInt16LittleEndian(v) : BinaryPrimitives.ReadInt16BigEndian(v),
                    3 => little ? BinaryPrimitives.ReadInt32LittleEndian(v) : BinaryPrimitives.ReadInt32BigEndian(v),
                    4 => little ? BinaryPrimitives.ReadUInt16LittleEndian(v) : BinaryPrimitives.ReadUInt16BigEndian(v),
                    5 => little ? BinaryPrimitives.ReadUInt32LittleEndian(v) : BinaryPrimitives.ReadUInt32BigEndian(v),
                    6 => little ? BinaryPrimitives.ReadSingleLittleEndian(v) : BinaryPrimitives.ReadSingleBigEndian(v),
                    7 => (float)(little ? BinaryPrimitives.ReadDoubleLittleEndian(v) : BinaryPrimitives.ReadDoubleBigEndian(v)),
                    8 or 10 => v[0],
                    9 => (sbyte)v[0],
                    11 => little ? BinaryPrimitives.ReadInt64LittleEndian(v) : BinaryPrimitives.ReadInt64BigEndian(v),
                    _ => little ? BinaryPrimitives.ReadUInt64LittleEndian(v) : BinaryPrimitives.ReadUInt64BigEndian(v),
                };
            }
            return values;
        }

        long Count()
        {
            Span<byte> b = stackalloc byte[8];
            var n = dm4 ? 8 : 4;
            EmFile.ReadExactly(stream, b[..n], path);
            return dm4 ? (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(b), long.MaxValue) : BinaryPrimitives.ReadUInt32BigEndian(b);
        }

        byte Byte()
        {
            var b = stream.ReadByte();
            return b < 0 ? throw Damaged("the tag tree ends early (truncated)") : (byte)b;
        }

        ushort U16()
        {
            Span<byte> b = stackalloc byte[2];
            EmFile.ReadExactly(stream, b, path);
            return BinaryPrimitives.ReadUInt16BigEndian(b);
        }

        string Latin1(int length)
        {
            var b = new byte[length];
            EmFile.ReadExactly(stream, b, path);
            return Encoding.Latin1.GetString(b);
        }

        void Skip(int bytes)
        {
            if (stream.Position + bytes > stream.Length)
                throw Damaged("the tag tree ends early (truncated)");
            stream.Position += bytes;
        }

        ImageDecodeException Damaged(string problem) => new(path, "damaged DigitalMicrograph file: " + problem);
    }
}
