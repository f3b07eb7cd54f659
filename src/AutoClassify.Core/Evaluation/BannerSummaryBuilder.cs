using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Preprocessing;

namespace AutoClassify.Evaluation;

/// <summary>Counts the banners <see cref="ImagePreparation"/> found and picks one before/after example for the report.</summary>
public static class BannerSummaryBuilder
{
    /// <summary>Width of the report's example thumbnails, in pixels.</summary>
    public const int ThumbnailWidth = 240;

    /// <summary>Summarises the banners of a prepared data set (items and prepared images in the same order).</summary>
    /// <param name="dataset">The data set the images came from.</param>
    /// <param name="prepared">The prepared images, indexed like the data set's items.</param>
    /// <param name="crop">The manual crop applied before detection (the example's "before" shows it applied).</param>
    /// <param name="mode">What was done with each banner.</param>
    /// <param name="nmPerPixel">A pixel size given by the user, or null to look for TIFF resolution tags.</param>
    /// <param name="scales">The run's scale survey, when it already has one.</param>
    public static BannerSummary Build(LabeledDataset dataset, IReadOnlyList<PreparedImage> prepared, CropMargins crop,
        BannerMode mode, double? nmPerPixel, ScaleSummary? scales = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(prepared);
        if (prepared.Count != dataset.Items.Count)
            throw new ArgumentException($"Expected {dataset.Items.Count} prepared images, got {prepared.Count}.", nameof(prepared));

        var summary = new BannerSummary
        {
            Mode = BannerDetector.ModeName(mode),
            ImagesChecked = prepared.Count,
            FoundPerClass = [.. new int[dataset.ClassNames.Count]],
        };
        var scaleBars = new List<int>();
        int? example = null;
        // A store answers without expanding (or preparing again) every image's pixels.
        var detections = prepared is PreparedImageStore store ? store.Banners : prepared.Select(p => p.Banner).ToList();
        for (var i = 0; i < prepared.Count; i++)
        {
            if (detections[i] is not { } banner)
                continue;
            summary.BannersFound++;
            summary.FoundPerClass[dataset.Items[i].Label]++;
            if (banner.Edge == BannerEdge.Top)
                summary.TopEdge++;
            else
                summary.BottomEdge++;
            summary.RowsMin = summary.BannersFound == 1 ? banner.Rows : Math.Min(summary.RowsMin, banner.Rows);
            summary.RowsMax = Math.Max(summary.RowsMax, banner.Rows);
            if (banner.ScaleBarPixels is { } bar)
                scaleBars.Add(bar);
            example ??= i;
        }
        summary.BannersRemoved = mode == BannerMode.Keep ? 0 : summary.BannersFound;
        if (scaleBars.Count > 0)
        {
            scaleBars.Sort();
            summary.ScaleBarPixelsMedian = OrderStatistics.Median(scaleBars.ConvertAll(b => (double)b).ToArray());
        }

        (summary.NmPerPixel, summary.PixelSizeSource) = scales is null ? ResolvePixelSize(dataset, nmPerPixel) : (scales.NmPerPixel, scales.Source);

        if (example is { } e)
        {
            var before = ImageCodec.Decode(dataset.Items[e].FullPath);
            if (!crop.IsNone)
                before = before.Crop(crop.Top, crop.Bottom, crop.Left, crop.Right);
            summary.ExamplePath = dataset.Items[e].RelativePath;
            summary.ExampleReason = detections[e]!.Reason;
            summary.ExampleBeforePng = Thumbnail(before);
            summary.ExampleAfterPng = Thumbnail(prepared[e].Image);
        }
        return summary;
    }

    /// <summary>
    /// The data set's pixel size in nm and where it came from: <paramref name="nmPerPixel"/> when given
    /// (<c>--nm-per-pixel</c>), else the images' own metadata when every image declares one and they agree (see
    /// <see cref="ScaleSurvey"/>), else (null, null).
    /// </summary>
    public static (double? NmPerPixel, string? Source) ResolvePixelSize(LabeledDataset dataset, double? nmPerPixel)
    {
        var survey = ScaleSurvey.Build(dataset, nmPerPixel);
        return (survey.NmPerPixel, survey.Source);
    }

    internal static string Thumbnail(GrayImage image)
    {
        var width = Math.Min(ThumbnailWidth, image.Width);
        var height = Math.Max(1, (int)Math.Round((double)image.Height * width / image.Width));
        var small = width == image.Width ? image : ImageOps.Resize(image, width, height);
        return Convert.ToBase64String(ImageCodec.Encode(small, ImageFileFormat.Png));
    }
}
