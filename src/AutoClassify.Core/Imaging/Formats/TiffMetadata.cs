using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using BitMiracle.LibTiff.Classic;

namespace AutoClassify.Imaging.Formats;

/// <summary>
/// The pixel size SEM and TEM vendors write into TIFF files, read with LibTiff.NET: FEI/Thermo Fisher tag 34682
/// (<c>[Scan] PixelWidth</c>, metres), Zeiss tag 34118 (<c>Image Pixel Size</c>, else <c>Pixel Size</c>),
/// DigitalMicrograph's export tags 65009/65010 with units in 65003/65004, and ImageJ's <c>unit=</c> in the
/// description beside unitless resolution tags. The standard resolution tags are <see cref="TiffResolution"/>'s.
/// </summary>
public static class TiffMetadata
{
    const int FeiTag = 34682, ZeissTag = 34118, DmScaleX = 65009, DmScaleY = 65010, DmUnitX = 65003, DmUnitY = 65004;

    static TiffMetadata() => Tiff.SetErrorHandler(new QuietHandler());

    /// <summary>
    /// The vendor pixel size of a TIFF's first image, or null when it carries none. Never throws for a TIFF
    /// LibTiff cannot open: the pixels are OpenCV's business, and a missing scale is not an error.
    /// </summary>
    public static ImageScale? ReadVendorScale(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var tiff = Open(path);
            return tiff is null ? null : VendorScale(tiff);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            // A tag directory LibTiff cannot parse only means the scale stays unknown; OpenCV judges the pixels.
            return null;
        }
    }

    static ImageScale? VendorScale(Tiff tiff)
    {
        if (Text(tiff, FeiTag) is { } fei && Fei(fei) is { } feiSize)
            return new ImageScale(feiSize, "FEI/Thermo tag 34682 PixelWidth");
        if (Text(tiff, ZeissTag) is { } zeiss && Zeiss(zeiss) is { } zeissScale)
            return zeissScale;
        if (Number(tiff, DmScaleX) is { } dx && Text(tiff, DmUnitX) is { } ux && LengthUnits.NanometresPer(ux) is { } nx)
        {
            var dy = Number(tiff, DmScaleY) ?? dx;
            var ny = Text(tiff, DmUnitY) is { } uy && LengthUnits.NanometresPer(uy) is { } n ? n : nx;
            return new ImageScale(new PixelSize(Math.Abs(dx) * nx, Math.Abs(dy) * ny), "DigitalMicrograph TIFF tags 65009/65010");
        }
        if (Text(tiff, (int)TiffTag.IMAGEDESCRIPTION) is { } description && description.StartsWith("ImageJ=", StringComparison.Ordinal)
            && ImageJ(tiff, description) is { } imageJ)
            return new ImageScale(imageJ, "ImageJ resolution tags and unit");
        return null;
    }

    /// <summary>
    /// True when the TIFF's first image is one grey channel of 32- or 64-bit values (float, or signed/unsigned
    /// integers) that OpenCV would pass through unscaled or refuse: such files go to <see cref="ReadWide"/>.
    /// </summary>
    public static bool IsWide(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var tiff = Open(path);
            return tiff is not null && IsWide(tiff);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            // A TIFF LibTiff cannot parse goes to OpenCV, whose error names the problem.
            return false;
        }
    }

    static bool IsWide(Tiff tiff)
    {
        var bits = tiff.GetField(TiffTag.BITSPERSAMPLE)?[0].ToInt() ?? 1;
        var samples = tiff.GetField(TiffTag.SAMPLESPERPIXEL)?[0].ToInt() ?? 1;
        var format = tiff.GetField(TiffTag.SAMPLEFORMAT)?[0].ToInt() ?? (int)SampleFormat.UINT;
        return samples == 1 && (bits is 32 or 64 || format == (int)SampleFormat.IEEEFP);
    }

    /// <summary>Reads the first image of a one-channel TIFF of 32/64-bit integers or floats as stored values, scanline by scanline.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxPixels">The largest image accepted, in pixels; checked before the pixels are read.</param>
    public static EmImage ReadWide(string path, long maxPixels = EmImageLimits.DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var tiff = Open(path) ?? throw new ImageDecodeException(path, "the TIFF structure cannot be read; the file is damaged");
        long width = tiff.GetField(TiffTag.IMAGEWIDTH)?[0].ToInt() ?? 0, height = tiff.GetField(TiffTag.IMAGELENGTH)?[0].ToInt() ?? 0;
        var bits = tiff.GetField(TiffTag.BITSPERSAMPLE)?[0].ToInt() ?? 1;
        var format = (SampleFormat)(tiff.GetField(TiffTag.SAMPLEFORMAT)?[0].ToInt() ?? (int)SampleFormat.UINT);
        EmImageLimits.Check(path, width, height, maxPixels);
        var (name, size) = (format, bits) switch
        {
            (SampleFormat.IEEEFP, 16) => ("float16", 2),
            (SampleFormat.IEEEFP, 32) => ("float32", 4),
            (SampleFormat.IEEEFP, 64) => ("float64", 8),
            (SampleFormat.INT, 32) => ("int32", 4),
            (SampleFormat.UINT, 32) => ("uint32", 4),
            _ => throw new ImageDecodeException(path, $"the TIFF stores {bits}-bit samples of format {format}, which AutoClassify does not read"),
        };
        if (tiff.IsTiled())
            throw new ImageDecodeException(path, $"the {name} TIFF is tiled; AutoClassify reads {name} TIFFs stored in strips");
        var values = new float[width * height];
        var line = new byte[Math.Max(tiff.ScanlineSize(), (int)width * size)];
        for (var y = 0; y < height; y++)
        {
            if (!tiff.ReadScanline(line, y))
                throw new ImageDecodeException(path, $"row {y} of the TIFF cannot be read (truncated or damaged)");
            for (var x = 0; x < width; x++)
            {
                // LibTiff hands rows over in the machine's byte order.
                var v = line.AsSpan(x * size, size);
                values[y * width + x] = name switch
                {
                    "float16" => (float)BitConverter.ToHalf(v),
                    "float32" => BitConverter.ToSingle(v),
                    "float64" => (float)BitConverter.ToDouble(v),
                    "int32" => BitConverter.ToInt32(v),
                    _ => BitConverter.ToUInt32(v),
                };
            }
        }
        return new EmImage(path, (int)width, (int)height, values, name, null, []);
    }

    /// <summary>The pixel size in the FEI/Thermo INI text: <c>PixelWidth</c>/<c>PixelHeight</c> of <c>[Scan]</c> (else of any section), in metres.</summary>
    public static PixelSize? Fei(string ini)
    {
        ArgumentNullException.ThrowIfNull(ini);
        string? section = null;
        double? width = null, height = null, anyWidth = null, anyHeight = null;
        foreach (var raw in ini.Split('\n'))
        {
            var line = raw.Trim().TrimEnd('\0');
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                continue;
            }
            var eq = line.IndexOf('=');
            if (eq <= 0 || !double.TryParse(line[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0))
                continue;
            var key = line[..eq].Trim();
            if (key == "PixelWidth")
            {
                anyWidth ??= value;
                if (section == "Scan")
                    width = value;
            }
            else if (key == "PixelHeight")
            {
                anyHeight ??= value;
                if (section == "Scan")
                    height = value;
            }
        }
        width ??= anyWidth;
        height ??= width == anyWidth ? anyHeight : null;
        return width is { } w ? new PixelSize(w * 1e9, (height ?? w) * 1e9) : null;
    }

    /// <summary>The pixel size in Zeiss SmartSEM text: the <c>Image Pixel Size</c> line, else the <c>Pixel Size</c> line (e.g. "Pixel Size = 5.825 nm").</summary>
    public static ImageScale? Zeiss(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        PixelSize? image = null, plain = null;
        foreach (var raw in text.Split('\n', '\r'))
        {
            var line = raw.Trim().TrimEnd('\0');
            var eq = line.IndexOf('=');
            if (eq <= 0)
                continue;
            var key = line[..eq].Trim();
            if (key is not ("Image Pixel Size" or "Pixel Size"))
                continue;
            var parts = line[(eq + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                || !(value > 0) || LengthUnits.NanometresPer(parts[1]) is not { } nm)
                continue;
            var size = new PixelSize(value * nm, value * nm);
            if (key == "Image Pixel Size")
                image ??= size;
            else
                plain ??= size;
        }
        return image is { } i ? new ImageScale(i, "Zeiss tag 34118 Image Pixel Size")
            : plain is { } p ? new ImageScale(p, "Zeiss tag 34118 Pixel Size")
            : null;
    }

    static PixelSize? ImageJ(Tiff tiff, string description)
    {
        string? unit = null;
        foreach (var line in description.Split('\n'))
        {
            if (line.StartsWith("unit=", StringComparison.Ordinal))
                unit = line[5..].Trim().Replace("\\u00B5", "\u00B5", StringComparison.Ordinal);
        }
        if (unit is null || LengthUnits.NanometresPer(unit) is not { } nm)
            return null;
        var x = Number(tiff, (int)TiffTag.XRESOLUTION);
        var y = Number(tiff, (int)TiffTag.YRESOLUTION) ?? x;
        return x is > 0 && y is > 0 ? new PixelSize(nm / x.Value, nm / y.Value) : null;
    }

    internal static Tiff? Open(string path)
    {
        try
        {
            return Tiff.Open(path, "r");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    static string? Text(Tiff tiff, int tag)
    {
        var field = tiff.GetField((TiffTag)tag);
        if (field is null)
            return null;
        foreach (var value in field)
        {
            switch (value.Value)
            {
                case string s:
                    return s;
                case byte[] bytes:
                    return Encoding.Latin1.GetString(bytes).TrimEnd('\0');
            }
        }
        return null;
    }

    static double? Number(Tiff tiff, int tag)
    {
        var field = tiff.GetField((TiffTag)tag);
        if (field is null || field.Length == 0)
            return null;
        var value = field[^1].Value;
        return value switch
        {
            double d => d,
            float f => f,
            double[] { Length: > 0 } ds => ds[0],
            float[] { Length: > 0 } fs => fs[0],
            int i => i,
            short s => s,
            // LibTiff hands an unregistered DOUBLE or FLOAT tag over as its raw bytes, in the file's byte order.
            byte[] { Length: 8 } b => tiff.IsBigEndian() ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b),
            byte[] { Length: 4 } b => tiff.IsBigEndian() ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b),
            _ => null,
        };
    }

    // LibTiff reports unknown vendor tags as warnings on stderr; they are exactly the tags read here.
    sealed class QuietHandler : TiffErrorHandler
    {
        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }

        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }

        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args) { }

        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
    }
}
