using AutoClassify.Dataset;
using AutoClassify.Imaging;

namespace AutoClassify.Preprocessing;

/// <summary>
/// An image as the models see it: decoded, banner-cropped, with its mask when one exists, and the data banner
/// found after the manual crop (null when none; with <see cref="BannerMode.Keep"/> it is still in the image), and the
/// whole factor the file was reduced by (<see cref="ImageReduction"/>; 1 when read at full resolution).
/// </summary>
public sealed record PreparedImage(GrayImage Image, BinaryMask? Mask, BannerDetection? Banner = null, int Reduction = 1);

/// <summary>Decodes a dataset item and applies the run's preprocessing in one place, so every arm sees the same pixels.</summary>
public static class ImagePreparation
{
    /// <summary>Decodes one item, applies the manual crop, then removes a detected data banner (<see cref="BannerMode.Crop"/>).</summary>
    public static PreparedImage Prepare(DatasetItem item, CropMargins crop) => Prepare(item, crop, BannerMode.Crop);

    /// <summary>
    /// Decodes one item, applies the manual crop, then looks for a data banner in what remains and treats it
    /// as <paramref name="banner"/> says. The manual crop comes first so a user's margins always win and a
    /// banner is searched only where the user left pixels.
    /// </summary>
    public static PreparedImage Prepare(DatasetItem item, CropMargins crop, BannerMode banner) => Prepare(item, crop, banner, reduceAbovePixels: null);

    /// <summary>As <see cref="Prepare(DatasetItem, CropMargins, BannerMode)"/>, reducing images above <paramref name="reduceAbovePixels"/> (see <see cref="ImageReduction"/>).</summary>
    public static PreparedImage Prepare(DatasetItem item, CropMargins crop, BannerMode banner, long? reduceAbovePixels)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Prepare(item.FullPath, item.MaskPath, crop, banner, reduceAbovePixels);
    }

    /// <summary>Decodes an image file (and its mask, when given), cuts the margins and treats a data banner, as for a dataset item.</summary>
    public static PreparedImage Prepare(string imagePath, string? maskPath, CropMargins crop, BannerMode banner = BannerMode.Crop) =>
        Prepare(imagePath, maskPath, crop, banner, reduceAbovePixels: null);

    /// <summary>
    /// As <see cref="Prepare(string, string?, CropMargins, BannerMode)"/>; an image that declares more than
    /// <paramref name="reduceAbovePixels"/> pixels (null: no bound) is first reduced by <see cref="ImageReduction"/>'s rule,
    /// and the margins with it (each divided by the factor, rounded up), so the full-resolution image is never held as float.
    /// </summary>
    public static PreparedImage Prepare(string imagePath, string? maskPath, CropMargins crop, BannerMode banner, long? reduceAbovePixels) =>
        Prepare(imagePath, maskPath, crop, banner, reduceAbovePixels, minimumReduction: 1);

    /// <summary>
    /// As <see cref="Prepare(string, string?, CropMargins, BannerMode, long?)"/>, reducing by at least
    /// <paramref name="minimumReduction"/> (a <c>--resample-nm</c> run's whole part of the shrink, see
    /// <see cref="ScaleResampling.DecodeFactor"/>), so an image that is shrunk anyway is never held at full resolution.
    /// </summary>
    public static PreparedImage Prepare(string imagePath, string? maskPath, CropMargins crop, BannerMode banner, long? reduceAbovePixels, int minimumReduction)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumReduction);
        var factor = Math.Max(minimumReduction, ImageReduction.FactorFor(imagePath, reduceAbovePixels));
        var image = factor == 1 ? ImageCodec.Decode(imagePath) : ImageReduction.DecodeReduced(imagePath, factor);
        var mask = maskPath is null ? null : ImageCodec.DecodeMask(maskPath);
        if (factor > 1)
        {
            mask = mask is null ? null : ImageReduction.Reduce(mask, factor);
            int Scaled(int margin) => (margin + factor - 1) / factor;
            crop = new CropMargins(Scaled(crop.Top), Scaled(crop.Bottom), Scaled(crop.Left), Scaled(crop.Right));
        }
        if (!crop.IsNone)
        {
            image = image.Crop(crop.Top, crop.Bottom, crop.Left, crop.Right);
            mask = mask?.Crop(crop.Top, crop.Bottom, crop.Left, crop.Right);
        }
        var detection = BannerDetector.Detect(image);
        if (detection is not null)
        {
            image = BannerDetector.Remove(image, detection, banner);
            mask = mask is null ? null : BannerDetector.Remove(mask, detection, banner);
        }
        return new PreparedImage(image, mask, detection, factor);
    }

    /// <summary>Prepares every item of the data set in parallel, in dataset order.</summary>
    /// <param name="dataset">The validated data set.</param>
    /// <param name="crop">Margins cut from every image and mask.</param>
    /// <param name="threads">Worker threads (0 = all cores).</param>
    /// <param name="onPrepared">Called after each item, from worker threads (progress).</param>
    /// <param name="cancellationToken">Stops the work between items.</param>
    public static PreparedImage[] PrepareAll(LabeledDataset dataset, CropMargins crop, int threads,
        Action? onPrepared = null, CancellationToken cancellationToken = default) =>
        PrepareAll(dataset, crop, BannerMode.Crop, threads, onPrepared, cancellationToken);

    /// <summary>Prepares every item in parallel, in dataset order, treating data banners as <paramref name="banner"/> says.</summary>
    public static PreparedImage[] PrepareAll(LabeledDataset dataset, CropMargins crop, BannerMode banner, int threads,
        Action? onPrepared = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var prepared = new PreparedImage[dataset.Items.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, prepared.Length, parallel, i =>
        {
            prepared[i] = Prepare(dataset.Items[i], crop, banner);
            onPrepared?.Invoke();
        });
        return prepared;
    }
}
