using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Native;
using AutoClassify.Preprocessing;

namespace AutoClassify.Reporting;

/// <summary>
/// The thumbnails a report embeds: the gallery's images read again from the data set and prepared as the run prepared
/// them (manual crop, data-banner handling, resampling to the run's pixel size), so a thumbnail shows what the models
/// saw; then shrunk to at most <see cref="MaxSide"/> pixels, contrast-stretched and JPEG-compressed by OpenCV, until the
/// page's embedded images would exceed a byte cap. What the cap or an unreadable file left out is counted.
/// </summary>
public sealed class ReportImages
{
    /// <summary>Default cap on the embedded images' bytes (base64, summed over every time the page shows them).</summary>
    public const long DefaultCapBytes = 4L * 1024 * 1024;

    /// <summary>Longest side of a thumbnail, in pixels.</summary>
    public const int MaxSide = 128;

    /// <summary>OpenCV's JPEG quality (1–100) for thumbnails.</summary>
    public const int JpegQuality = 75;

    readonly Dictionary<int, Thumbnail> _thumbnails = [];
    readonly Dictionary<int, string> _unreadable = [];

    ReportImages(long capBytes, string? unavailable)
    {
        CapBytes = capBytes;
        Unavailable = unavailable;
    }

    /// <summary>No thumbnails: the report lists the gallery's images by path only.</summary>
    public static ReportImages None { get; } = new(0, "this page was rendered without reading the images");

    /// <summary>The cap the thumbnails were chosen under.</summary>
    public long CapBytes { get; }

    /// <summary>Why no image could be read at all (e.g. the data set folder is gone); null when they were read.</summary>
    public string? Unavailable { get; }

    /// <summary>Thumbnails embedded.</summary>
    public int Embedded => _thumbnails.Count;

    /// <summary>Bytes the embedded thumbnails add to the page (base64, every occurrence).</summary>
    public long Bytes { get; private set; }

    /// <summary>Images the gallery shows whose thumbnails did not fit under the cap.</summary>
    public int DroppedByCap { get; private set; }

    /// <summary>Images the gallery shows that could not be read.</summary>
    public int Unreadable => _unreadable.Count;

    /// <summary>Reads the thumbnails of every image the report's galleries show (see <see cref="GalleryPlan"/>).</summary>
    public static ReportImages Load(BenchmarkResult result, long capBytes = DefaultCapBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentOutOfRangeException.ThrowIfNegative(capBytes);
        var root = result.Dataset.Root;
        if (string.IsNullOrEmpty(root) || !Directory.Exists(root))
            return new ReportImages(capBytes, $"the data set folder '{root}' was not found when the report was written");

        var images = new ReportImages(capBytes, null);
        var prepare = Preparation(result);
        var candidates = GalleryPlan.Build(result).ItemsByPriority();
        for (var c = 0; c < candidates.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (item, occurrences) = candidates[c];
            if ((uint)item >= (uint)result.Items.Count)
                continue;
            var path = Path.Combine(root, result.Items[item].Path);
            Thumbnail thumbnail;
            try
            {
                thumbnail = Make(prepare(item, path));
            }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException or InvalidDataException or NativeException or ArgumentException)
            {
                images._unreadable[item] = e.Message;
                continue;
            }
            var cost = (long)thumbnail.Base64.Length * occurrences;
            if (images.Bytes + cost > capBytes)
            {
                // The candidates are in priority order, so once one does not fit the rest are dropped too: the cap keeps the most telling images.
                images.DroppedByCap = candidates.Skip(c).Count(x => (uint)x.Item < (uint)result.Items.Count);
                break;
            }
            images._thumbnails[item] = thumbnail;
            images.Bytes += cost;
        }
        return images;
    }

    /// <summary>The embedded thumbnail of an item, or null.</summary>
    internal Thumbnail? Of(int item) => _thumbnails.GetValueOrDefault(item);

    /// <summary>Why an item's image could not be read, or null.</summary>
    internal string? ProblemOf(int item) => _unreadable.GetValueOrDefault(item);

    // The run's own preparation of one item: its crop, its banner mode, and its resampling when every scale is on record.
    static Func<int, string, GrayImage> Preparation(BenchmarkResult result)
    {
        var crop = result.Settings.Crop;
        var banner = result.Dataset.Banners is { Mode.Length: > 0 } banners ? BannerDetector.ParseMode(banners.Mode) : BannerMode.Keep;
        var scales = result.Dataset.Scales;
        Dictionary<string, double>? nmPerPixel = null;
        if (scales is { ResampledToNm: > 0 } && scales.Images.All(i => i.NmPerPixel is > 0))
            nmPerPixel = scales.Images.ToDictionary(i => i.Path, i => i.NmPerPixel!.Value, StringComparer.Ordinal);
        return (item, path) =>
        {
            var prepared = ImagePreparation.Prepare(path, maskPath: null, crop, banner);
            if (nmPerPixel is not null && nmPerPixel.TryGetValue(result.Items[item].Path, out var nm))
                prepared = ScaleResampling.Apply(prepared, nm, scales!.ResampledToNm!.Value);
            return prepared.Image;
        };
    }

    static Thumbnail Make(GrayImage image)
    {
        var scale = Math.Min(1.0, (double)MaxSide / Math.Max(image.Width, image.Height));
        var width = Math.Max(1, (int)Math.Round(image.Width * scale));
        var height = Math.Max(1, (int)Math.Round(image.Height * scale));
        var small = scale < 1 ? ImageOps.Resize(image, width, height) : image.Clone();
        Stretch(small.Pixels);
        return new Thumbnail(Convert.ToBase64String(ImageCodec.Encode(small, ImageFileFormat.Jpeg, jpegQuality: JpegQuality)), width, height);
    }

    // Dim 16-bit micrographs would be black squares at screen contrast: map the 1st-99th percentile to [0, 1].
    static void Stretch(float[] pixels)
    {
        var sorted = pixels.Where(float.IsFinite).ToArray();
        if (sorted.Length == 0)
            return;
        Array.Sort(sorted);
        var low = sorted[(int)(0.01 * (sorted.Length - 1))];
        var high = sorted[(int)Math.Ceiling(0.99 * (sorted.Length - 1))];
        if (!(high > low))
            return;
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = float.IsFinite(pixels[i]) ? Math.Clamp((pixels[i] - low) / (high - low), 0f, 1f) : 0f;
    }
}

/// <summary>A JPEG thumbnail as base64, with its size in pixels.</summary>
internal sealed record Thumbnail(string Base64, int Width, int Height);
