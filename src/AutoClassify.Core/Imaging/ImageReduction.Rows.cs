using System.Buffers.Binary;
using AutoClassify.Imaging.Formats;

namespace AutoClassify.Imaging;

public static partial class ImageReduction
{
    // The declared size of a microscope image from its header (MRC, DM3/DM4, SER), or null when it cannot be read.
    static (long Width, long Height)? EmDeclaredSize(string path)
    {
        try
        {
            var (file, _) = EmPath.Split(path);
            switch (Path.GetExtension(file).ToUpperInvariant())
            {
                case ".MRC" or ".MRCS" or ".MAP":
                    var mrc = MrcReader.ReadHeader(file, long.MaxValue);
                    return (mrc.Width, mrc.Height);
                case ".DM3" or ".DM4":
                    var dm = DmReader.ReadHeader(file, long.MaxValue);
                    return (dm.Width, dm.Height);
                case ".SER":
                    var ser = SerReader.ReadHeader(file, long.MaxValue);
                    return (ser.Width, ser.Height);
                default:
                    return null;
            }
        }
        catch (Exception e) when (e is ImageDecodeException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // A microscope image (or a 32/64-bit TIFF) reduced at its stored values and then mapped as EmFormats.Decode maps
    // them; an MRC section is read row by row, the others are read whole first (their layouts are not row arrays).
    static GrayImage ReduceEm(string path, int factor)
    {
        var (file, section) = EmPath.Split(path);
        if (Path.GetExtension(file).ToUpperInvariant() is ".MRC" or ".MRCS" or ".MAP")
        {
            var header = MrcReader.ReadHeader(file, ImageLimits.MaxPixels);
            if (section is null && header.Sections > 1)
                return IntensityMapping.ToGray(EmFormats.Read(path, ImageLimits.MaxPixels)); // throws naming the stack
            return StreamMrc(file, section ?? 0, header, factor);
        }
        var image = EmFormats.Read(path, ImageLimits.MaxPixels);
        var reducer = new RowReducer(image.Width, image.Height, factor, 1);
        var row = new double[image.Width];
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < row.Length; x++)
                row[x] = image.Values[((long)y * image.Width) + x];
            reducer.Add(row);
        }
        return Mapped(image with { Values = [] }, reducer.Result());
    }

    static GrayImage StreamMrc(string file, int section, MrcReader.Header header, int factor)
    {
        var source = header.Sections > 1 ? EmPath.Section(file, section) : file;
        if (section < 0 || section >= header.Sections)
            throw new ImageDecodeException(source, $"the file holds {header.Sections} section(s); there is no section {section}");
        var rowBytes = header.Width * header.BytesPerValue;
        var bytes = new byte[rowBytes];
        var row = new double[header.Width];
        var reducer = new RowReducer(header.Width, header.Height, factor, 1);
        using (var stream = EmFile.Open(file))
        {
            stream.Position = header.DataOffset + ((long)section * header.Height * rowBytes);
            var little = header.LittleEndian;
            for (var y = 0; y < header.Height; y++)
            {
                EmFile.ReadExactly(stream, bytes, source);
                var span = bytes.AsSpan();
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = header.Mode switch
                    {
                        0 => (sbyte)span[x],
                        1 => little ? BinaryPrimitives.ReadInt16LittleEndian(span[(2 * x)..]) : BinaryPrimitives.ReadInt16BigEndian(span[(2 * x)..]),
                        2 => little ? BinaryPrimitives.ReadSingleLittleEndian(span[(4 * x)..]) : BinaryPrimitives.ReadSingleBigEndian(span[(4 * x)..]),
                        6 => little ? BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * x)..]) : BinaryPrimitives.ReadUInt16BigEndian(span[(2 * x)..]),
                        _ => (float)(little ? BinaryPrimitives.ReadHalfLittleEndian(span[(2 * x)..]) : BinaryPrimitives.ReadHalfBigEndian(span[(2 * x)..])),
                    };
                }
                reducer.Add(row);
            }
        }
        return Mapped(new EmImage(source, header.Width, header.Height, [], header.DataType, null, []), reducer.Result());
    }

    // The block means of stored values mapped to grey as IntensityMapping maps the stored type.
    static GrayImage Mapped(EmImage stored, GrayImage means) =>
        IntensityMapping.ToGray(stored with { Width = means.Width, Height = means.Height, Values = means.Pixels });

    // An uncompressed 8-, 24- or 32-bit BMP reduced as its rows are read (bottom-up files read from the last row back),
    // or null when it is another kind (RLE, bit fields, 1/4/16-bit): the caller decodes it whole.
    static GrayImage? StreamBmp(string path, int factor)
    {
        using var file = OpenForReduction(path);
        if (BmpLayout.Read(file) is not { } layout)
            return null;
        if (ImageLimits.Refusal(layout.Width, layout.Height, ImageLimits.MaxPixels) is { } refusal)
            throw new ImageDecodeException(path, refusal);
        var reducer = new RowReducer(layout.Width, layout.Height, factor, 255.0);
        var row = new byte[layout.Stride];
        var grey = new double[layout.Width];
        for (var y = 0; y < layout.Height; y++)
        {
            layout.ReadRow(file, y, row, path);
            layout.Grey(row, grey);
            reducer.Add(grey);
        }
        return reducer.Result();
    }

    static FileStream OpenForReduction(string path) => ImageDecodeException.Reading(path, () => File.OpenRead(path));

    /// <summary>Where an uncompressed BMP's rows lie and how its pixels turn grey (as OpenCV turns them).</summary>
    sealed class BmpLayout
    {
        public int Width { get; private init; }

        public int Height { get; private init; }

        public int Stride { get; private init; }

        int bits;
        long dataOffset;
        bool topDown;
        byte[] palette = [];

        // The layout of an uncompressed 8/24/32-bit BMP, or null for any other kind.
        public static BmpLayout? Read(FileStream file)
        {
            Span<byte> head = stackalloc byte[54];
            if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length || ImageCodec.Sniff(head) != ImageFileFormat.Bmp)
                return null;
            var infoSize = BinaryPrimitives.ReadUInt32LittleEndian(head[14..]);
            if (infoSize is not (40 or 52 or 56 or 108 or 124))
                return null;
            int width = BinaryPrimitives.ReadInt32LittleEndian(head[18..]), height = BinaryPrimitives.ReadInt32LittleEndian(head[22..]);
            int bits = BinaryPrimitives.ReadUInt16LittleEndian(head[28..]);
            var compression = BinaryPrimitives.ReadUInt32LittleEndian(head[30..]);
            var used = BinaryPrimitives.ReadUInt32LittleEndian(head[46..]);
            if (width <= 0 || height == 0 || height == int.MinValue || compression != 0 || bits is not (8 or 24 or 32))
                return null;
            var layout = new BmpLayout
            {
                Width = width,
                Height = Math.Abs(height),
                Stride = (int)Math.Min(int.MaxValue, ((((long)width * bits) + 31) / 32) * 4),
                bits = bits,
                dataOffset = BinaryPrimitives.ReadUInt32LittleEndian(head[10..]),
                topDown = height < 0,
            };
            if (bits == 8)
            {
                var entries = used is > 0 and <= 256 ? (int)used : 256;
                var table = new byte[entries * 4];
                file.Position = 14 + infoSize;
                if (file.ReadAtLeast(table, table.Length, throwOnEndOfStream: false) < table.Length)
                    return null;
                // Indices past the table read black, as OpenCV leaves them.
                layout.palette = new byte[256];
                for (var i = 0; i < entries; i++)
                    layout.palette[i] = (byte)BgrGrey(table[(4 * i) + 2], table[(4 * i) + 1], table[4 * i]);
            }
            return layout.dataOffset + ((long)layout.Stride * layout.Height) <= file.Length ? layout : null;
        }

        // Row y counted from the top of the picture.
        public void ReadRow(FileStream file, int y, byte[] row, string path)
        {
            var stored = topDown ? y : Height - 1 - y;
            file.Position = dataOffset + ((long)stored * Stride);
            if (file.ReadAtLeast(row, row.Length, throwOnEndOfStream: false) < row.Length)
                throw new ImageDecodeException(path, "the BMP data is truncated");
        }

        public void Grey(byte[] row, double[] grey)
        {
            var bytesPerPixel = bits / 8;
            for (var x = 0; x < Width; x++)
            {
                var at = x * bytesPerPixel;
                grey[x] = bits == 8 ? palette[row[x]] : BgrGrey(row[at + 2], row[at + 1], row[at]);
            }
        }

        // OpenCV's colour to grey (0.299, 0.587, 0.114 in 14-bit fixed point, rounded).
        static int BgrGrey(int r, int g, int b) => ((4899 * r) + (9617 * g) + (1868 * b) + (1 << 13)) >> 14;
    }
}
