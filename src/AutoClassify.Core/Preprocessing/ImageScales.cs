using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;

namespace AutoClassify.Preprocessing;

/// <summary>What an image file says about its pixel size, and any warning about it.</summary>
/// <param name="Scale">The pixel size and its source, or null when the file says nothing usable.</param>
/// <param name="Warnings">e.g. a negative MRC cell, a reciprocal DM calibration, a print resolution ignored.</param>
/// <param name="Unreadable">True when the file's header could not be read at all (decoding it will say why).</param>
public sealed record ScaleReading(ImageScale? Scale, IReadOnlyList<string> Warnings, bool Unreadable = false);

/// <summary>
/// Reads the pixel size an image file declares, whatever its format: the microscope formats' headers, a TIFF's
/// vendor tags (FEI/Thermo, Zeiss, DigitalMicrograph export, ImageJ), else its standard resolution tags. PNG, JPEG
/// and BMP carry none. Resolution tags in inches at a whole dpi of 1200 or less are a print setting (72, 96, 300 dpi),
/// not a microscope's pixel, and are ignored with a warning.
/// </summary>
public static class ImageScales
{
    /// <summary>The largest whole dpi taken for a print resolution rather than a physical scale.</summary>
    public const double MaxPrintDpi = 1200;

    /// <summary>
    /// Reads the scale as <see cref="Read"/> does and, when the file declares none, from its data banner: the scale
    /// bar's label read by OCR (<see cref="BannerScale"/>). Precedence: metadata, then the banner.
    /// </summary>
    public static ScaleReading ReadOrBanner(string path)
    {
        var reading = Read(path);
        if (reading.Scale is not null || reading.Unreadable || EmFormats.Handles(path))
            return reading;
        var banner = BannerScale.Read(path);
        return banner with { Warnings = [.. reading.Warnings, .. banner.Warnings] };
    }

    /// <summary>Reads the scale of one image file (a <c>#k</c> section reads its stack's header). Never throws for metadata problems: the scale is then unknown.</summary>
    public static ScaleReading Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            if (EmFormats.Handles(path))
            {
                var (scale, warnings) = EmFormats.ReadScale(path);
                return new ScaleReading(scale, warnings);
            }
            if (ImageCodec.FormatFromExtension(path) != ImageFileFormat.Tiff)
                return new ScaleReading(null, []);
            if (TiffMetadata.ReadVendorScale(path) is { } vendor)
                return new ScaleReading(vendor, []);
            if (TiffResolution.Read(path) is not { } size)
                return new ScaleReading(null, []);
            var dpiX = 25.4e6 / size.NanometresX;
            if (dpiX <= MaxPrintDpi + 1e-6 && Math.Abs(dpiX - Math.Round(dpiX)) < 1e-6)
                return new ScaleReading(null, [$"'{path}': the TIFF resolution tags say {Math.Round(dpiX).ToString(System.Globalization.CultureInfo.InvariantCulture)} dpi, a print setting rather than a pixel size; ignored"]);
            return new ScaleReading(new ImageScale(size, "TIFF resolution tags"), []);
        }
        catch (Exception e) when (e is ImageDecodeException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return new ScaleReading(null, [$"'{path}': the pixel size could not be read ({e.Message})"], Unreadable: true);
        }
    }
}
