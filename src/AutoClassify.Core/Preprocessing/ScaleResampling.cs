using System.Globalization;
using AutoClassify.Imaging;

namespace AutoClassify.Preprocessing;

/// <summary>
/// Rescales prepared images to one common pixel size (<c>--resample-nm</c>), after the crop and banner handling,
/// so that features and networks see every specimen at the same magnification. Shrinking averages pixel areas;
/// enlarging interpolates linearly; masks follow by nearest value.
/// </summary>
public static class ScaleResampling
{
    /// <summary>Resamples one prepared image from <paramref name="imageNm"/> to <paramref name="targetNm"/> nm per pixel.</summary>
    public static PreparedImage Apply(PreparedImage prepared, double imageNm, double targetNm)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        if (!(imageNm > 0) || !double.IsFinite(imageNm))
            throw new ArgumentOutOfRangeException(nameof(imageNm), imageNm, "The image's pixel size must be a positive number.");
        if (!(targetNm > 0) || !double.IsFinite(targetNm))
            throw new ArgumentOutOfRangeException(nameof(targetNm), targetNm, "--resample-nm must be a positive number.");
        var factor = imageNm / targetNm;
        var image = prepared.Image;
        var width = Math.Max(1, (int)Math.Round(image.Width * factor));
        var height = Math.Max(1, (int)Math.Round(image.Height * factor));
        if (width == image.Width && height == image.Height)
            return prepared;
        if ((long)width * height > int.MaxValue / 4)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Resampling a {image.Width}x{image.Height} image from {imageNm:G4} to {targetNm:G4} nm per pixel would make it {width}x{height}; choose a coarser --resample-nm."));
        var interpolation = factor < 1 ? ResizeInterpolation.Area : ResizeInterpolation.Linear;
        var resized = ImageOps.Resize(image, width, height, interpolation);
        BinaryMask? mask = null;
        if (prepared.Mask is { } m)
        {
            var grey = new GrayImage(m.Width, m.Height, [.. m.Data.Select(v => v != 0 ? 1f : 0f)]);
            var scaled = ImageOps.Resize(grey, width, height, ResizeInterpolation.Linear);
            mask = new BinaryMask(width, height, [.. scaled.Pixels.Select(v => v >= 0.5f ? (byte)1 : (byte)0)]);
        }
        return prepared with { Image = resized, Mask = mask };
    }
}
