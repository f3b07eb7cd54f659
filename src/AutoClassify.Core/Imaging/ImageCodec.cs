using System.Globalization;
using System.Runtime.InteropServices;
using AutoClassify.Imaging.Formats;
using AutoClassify.Native;

namespace AutoClassify.Imaging;

/// <summary>
/// Reads and writes PNG, JPEG, TIFF and BMP files through OpenCV. Decoding always yields float32 grey in
/// [0, 1] (colour is converted to grey). Images as the pipeline reads them (<see cref="Decode(string)"/>) map 8-bit
/// values by 255 and wider ones by <see cref="IntensityMapping"/> (each image's own percentile range);
/// <see cref="Decode(ReadOnlySpan{byte}, string, out int)"/> and masks keep the fixed scaling (÷255, ÷65535).
/// </summary>
public static class ImageCodec
{
    /// <summary>File extensions (lowercase, with dot) that <see cref="Save"/> understands.</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } = [".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg"];

    internal const string UnsupportedReason = "not a supported image (PNG, JPEG, TIFF, BMP)";

    static volatile bool jpegCheckMissing;

    /// <summary>
    /// Decodes an image file to grey. Throws <see cref="ImageDecodeException"/> naming the file on any problem.
    /// Microscope formats (MRC, DM3/DM4, TIA SER; a stack's section as <c>file.mrcs#k</c>) and one-channel 32/64-bit
    /// TIFFs go to <see cref="EmFormats"/>, which maps their values with <see cref="IntensityMapping"/>.
    /// </summary>
    public static GrayImage Decode(string path) =>
        path is not null && EmFormats.HandlesFile(path) ? EmFormats.Decode(path, ImageLimits.MaxPixels) : Decode(ReadAll(path!), path!);

    /// <summary>
    /// Decodes encoded bytes to grey as the pipeline sees them: 8-bit data ÷255, wider data stretched by
    /// <see cref="IntensityMapping.Stretch"/>, so a 10-bit camera's 16-bit file is not almost black.
    /// <paramref name="sourceName"/> names the data in error messages.
    /// </summary>
    public static GrayImage Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        var image = Decode(data, sourceName, out var bitDepth);
        if (bitDepth > 8)
            IntensityMapping.Stretch(image.Pixels);
        return image;
    }

    /// <summary>
    /// Decodes encoded bytes to grey at the codec's fixed scaling (8-bit ÷255, 16-bit ÷65535, so stored values
    /// survive exactly) and reports the bit depth the file stored (8, 16 or 32).
    /// </summary>
    public static unsafe GrayImage Decode(ReadOnlySpan<byte> data, string sourceName, out int bitDepth)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (data.IsEmpty)
            throw new ImageDecodeException(sourceName, "file is empty");
        var format = Sniff(data) ?? throw new ImageDecodeException(sourceName, UnsupportedReason + DescribeUnknown(data));
        // The declared size is checked before decoding: a small file can claim billions of pixels.
        var declared = ImageHeader.ReadSize(data);
        if (declared is var (declaredWidth, declaredHeight) && ImageLimits.Refusal(declaredWidth, declaredHeight, ImageLimits.MaxPixels) is { } refusal)
            throw new ImageDecodeException(sourceName, refusal);

        DecodedImageHandle handle;
        int width, height;
        using var reservation = ImageLimits.Reserve(declared is var (w, h) ? w * h : 0);
        if (format == ImageFileFormat.Jpeg && DecodeDamagedJpeg(data, sourceName) is { } kept)
        {
            bitDepth = 8;
            return kept;
        }
        fixed (byte* bytes = data)
            handle = NativeMethods.ImageDecode(bytes, data.Length, out width, out height, out bitDepth);
        using (handle)
        {
            try
            {
                NativeShim.CheckForErrors();
            }
            catch (NativeException e)
            {
                // Without a readable header the decoder's own cap is the first to trip; say so rather than "corrupt".
                if (e.Message.Contains("refused", StringComparison.Ordinal) && declared is null)
                    throw new ImageDecodeException(sourceName, string.Create(CultureInfo.InvariantCulture, $"the {FormatName(format)} data is corrupt, or declares more pixels than the decoder reads ({ImageLimits.DecoderMaxPixels:N0})"), e);
                throw new ImageDecodeException(sourceName, $"the {FormatName(format)} data is corrupt, truncated or of an unsupported kind ({e.Message})", e);
            }
            if (declared is null && ImageLimits.Refusal(width, height, ImageLimits.MaxPixels) is { } late)
                throw new ImageDecodeException(sourceName, late);
            var pixels = new float[checked(width * height)];
            fixed (float* destination = pixels)
                NativeMethods.ImageCopyPixels(handle, destination, pixels.Length);
            NativeShim.CheckForErrors();
            return new GrayImage(width, height, pixels);
        }
    }

    // libjpeg repairs damaged entropy data with a warning that OpenCV prints to stderr without the file's name; a silent
    // check pass (at 1/8 scale, which still reads every coded bit) finds it per file. Returns the image only when it is
    // damaged and kept; null when it is sound, or when libjpeg cannot read it at all and OpenCV should try.
    static unsafe GrayImage? DecodeDamagedJpeg(ReadOnlySpan<byte> data, string sourceName)
    {
        if (jpegCheckMissing)
            return null;
        int warnings, width, height;
        IntPtr message;
        try
        {
            fixed (byte* bytes = data)
                NativeMethods.JpegDecodeChecked(bytes, data.Length, 0, out warnings, out message, out width, out height).Dispose();
        }
        catch (EntryPointNotFoundException)
        {
            // A shim built before jpeg_check.cpp: decode as before rather than fail every JPEG (scripts/build.sh adds it).
            jpegCheckMissing = true;
            return null;
        }
        NativeShim.CheckForErrors();
        var text = TakeString(message);
        if (warnings <= 0)
            return null;
        var reason = $"the JPEG data is damaged ({text.TrimEnd('.')}); the decoder would fill in what it cannot read";
        if (!ImageLimits.KeepsDamaged)
            throw new ImageDecodeException(sourceName, reason + " (--keep-damaged-jpeg keeps such images, with a warning)");

        DecodedImageHandle handle;
        fixed (byte* bytes = data)
            handle = NativeMethods.JpegDecodeChecked(bytes, data.Length, 1, out _, out message, out width, out height);
        using (handle)
        {
            TakeString(message);
            NativeShim.CheckForErrors();
            var pixels = new float[checked(width * height)];
            fixed (float* destination = pixels)
                NativeMethods.ImageCopyPixels(handle, destination, pixels.Length);
            NativeShim.CheckForErrors();
            ImageLimits.ReportKept(sourceName, reason);
            return new GrayImage(width, height, pixels);
        }
    }

    internal static string TakeString(IntPtr text)
    {
        if (text == IntPtr.Zero)
            return "";
        try
        {
            return Marshal.PtrToStringUTF8(text) ?? "";
        }
        finally
        {
            NativeMethods.Free(text);
        }
    }

    /// <summary>Reads a mask file: every non-zero pixel is inside the object.</summary>
    public static BinaryMask DecodeMask(string path) => DecodeMask(ReadAll(path), path);

    /// <summary>Decodes mask bytes: every non-zero pixel is inside the object.</summary>
    public static BinaryMask DecodeMask(ReadOnlySpan<byte> data, string sourceName)
    {
        // The fixed scaling: a stretch could turn a mask's low non-zero values into 0.
        var image = Decode(data, sourceName, out _);
        var values = new byte[image.Pixels.Length];
        for (var i = 0; i < values.Length; i++)
            values[i] = image.Pixels[i] > 0f ? (byte)1 : (byte)0;
        return new BinaryMask(image.Width, image.Height, values);
    }

    /// <summary>
    /// Encodes a [0, 1] image (values outside are clipped). PNG and TIFF take 8 or 16 bits; BMP and JPEG
    /// 8 bits only. <paramref name="jpegQuality"/> (1..100) applies to JPEG.
    /// </summary>
    public static unsafe byte[] Encode(GrayImage image, ImageFileFormat format, int bitDepth = 8, int jpegQuality = 95)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (bitDepth is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "Bit depth must be 8 or 16.");
        if (bitDepth == 16 && format is not (ImageFileFormat.Png or ImageFileFormat.Tiff))
            throw new ArgumentException($"{FormatName(format)} stores 8-bit images only; use PNG or TIFF for 16 bits.", nameof(bitDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(jpegQuality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jpegQuality, 100);

        var extension = format switch
        {
            ImageFileFormat.Png => ".png",
            ImageFileFormat.Tiff => ".tif",
            ImageFileFormat.Bmp => ".bmp",
            ImageFileFormat.Jpeg => ".jpg",
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown image format."),
        };
        IntPtr data;
        long length;
        fixed (float* pixels = image.Pixels)
            NativeMethods.ImageEncode(pixels, image.Width, image.Height, extension, bitDepth, jpegQuality, out data, out length);
        NativeShim.CheckForErrors();
        return NativeShim.TakeBuffer(data, length);
    }

    /// <summary>Writes an image; the format follows the file extension (see <see cref="SupportedExtensions"/>).</summary>
    public static void Save(GrayImage image, string path, int bitDepth = 8)
    {
        ArgumentNullException.ThrowIfNull(path);
        var format = FormatFromExtension(path)
            ?? throw new ArgumentException($"Cannot save '{path}': use one of {string.Join(", ", SupportedExtensions)}.", nameof(path));
        File.WriteAllBytes(path, Encode(image, format, bitDepth));
    }

    /// <summary>Writes a mask as an 8-bit image, 255 inside and 0 outside (use a lossless format).</summary>
    public static void SaveMask(BinaryMask mask, string path)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var pixels = new float[mask.Data.Length];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = mask.Data[i] != 0 ? 1f : 0f;
        Save(new GrayImage(mask.Width, mask.Height, pixels), path);
    }

    /// <summary>The format a file name's extension stands for, or null when it is not one the codec writes.</summary>
    public static ImageFileFormat? FormatFromExtension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToUpperInvariant() switch
        {
            ".PNG" => ImageFileFormat.Png,
            ".TIF" or ".TIFF" => ImageFileFormat.Tiff,
            ".BMP" => ImageFileFormat.Bmp,
            ".JPG" or ".JPEG" => ImageFileFormat.Jpeg,
            _ => null,
        };
    }

    /// <summary>Recognises the four supported formats by their leading signature bytes.</summary>
    public static ImageFileFormat? Sniff(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
            return ImageFileFormat.Png;
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
            return ImageFileFormat.Jpeg;
        // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
        if (data.Length >= 4 && ((data[0] == 'I' && data[1] == 'I' && data[2] is 42 or 43 && data[3] == 0)
                                 || (data[0] == 'M' && data[1] == 'M' && data[2] == 0 && data[3] is 42 or 43)))
            return ImageFileFormat.Tiff;
        if (data.Length >= 14 && data[0] == 'B' && data[1] == 'M')
            return ImageFileFormat.Bmp;
        return null;
    }

    static byte[] ReadAll(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ImageDecodeException.Reading(path, () => File.ReadAllBytes(path));
    }

    static string FormatName(ImageFileFormat format) => format switch
    {
        ImageFileFormat.Png => "PNG",
        ImageFileFormat.Tiff => "TIFF",
        ImageFileFormat.Bmp => "BMP",
        _ => "JPEG",
    };

    // A hint for the commonest mistakes: other image formats and text saved under an image name.
    static string DescribeUnknown(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("GIF8"u8))
            return "; it is a GIF file";
        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
            return "; it is a WebP file";
        if (data.StartsWith("%PDF"u8))
            return "; it is a PDF file";
        var sample = data[..Math.Min(data.Length, 512)];
        foreach (var b in sample)
        {
            if (b < 0x09 || (b > 0x0D && b < 0x20))
                return "";
        }
        return "; it looks like a text file";
    }
}
