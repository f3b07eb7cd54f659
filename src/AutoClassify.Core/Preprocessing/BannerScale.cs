using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;

namespace AutoClassify.Preprocessing;

/// <summary>
/// The pixel size an image's burned-in data banner states: its scale bar (measured by <see cref="BannerDetector"/>)
/// over the bar's label (read by <see cref="ScaleBarOcr"/>). Used only when the file itself declares no scale.
/// </summary>
public static class BannerScale
{
    /// <summary>The source name of a scale read from the banner.</summary>
    public const string Source = "banner scale-bar OCR";

    /// <summary>
    /// Reads the scale from the banner of the image at <paramref name="path"/>; the scale is null when there is no bar or
    /// no label is read. Only the rows a banner can occupy are kept (<see cref="ImageReduction.DecodeEdges"/>) where the
    /// format allows; other files are decoded whole.
    /// </summary>
    public static ScaleReading Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            if (ImageReduction.DecodeEdges(path, rows => BannerDetector.EdgeRows(rows)) is var (edges, height))
                return Read(edges, BannerDetector.DetectInEdges(edges, height), path);
            var image = ImageCodec.Decode(path);
            return Read(image, BannerDetector.Detect(image), path);
        }
        catch (ImageDecodeException)
        {
            return new ScaleReading(null, [], Unreadable: true);
        }
    }

    /// <summary>Reads the scale from the banner of a decoded image; <paramref name="name"/> names it in warnings.</summary>
    public static ScaleReading Read(GrayImage image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Read(image, BannerDetector.Detect(image), name);
    }

    static ScaleReading Read(GrayImage image, BannerDetection? detection, string name)
    {
        if (detection is not { ScaleBar: { } bar } banner)
            return new ScaleReading(null, []);
        if (ScaleBarOcr.Unavailable is { } why)
            return new ScaleReading(null, [$"the banners' scale bars cannot be read: {why.ReplaceLineEndings(" ")}"]);
        if (ScaleBarOcr.Read(image, banner) is not { } label)
            return new ScaleReading(null, [string.Create(CultureInfo.InvariantCulture, $"'{name}': the banner has a scale bar of {bar.Width} px, but no length was read beside it")]);
        var nm = label.NmPerPixel;
        IReadOnlyList<string> warnings = label.Unsure
            ? [string.Create(CultureInfo.InvariantCulture, $"'{name}': the scale-bar label was read as '{label.Text}' over {bar.Width} px ({nm:G4} nm per pixel) but a second read did not confirm it (OCR confidence {label.Confidence:F0} of 100); check it, or give --nm-per-pixel")]
            : [];
        return new ScaleReading(new ImageScale(new PixelSize(nm, nm), Source), warnings);
    }
}
