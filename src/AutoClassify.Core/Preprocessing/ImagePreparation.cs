using AutoClassify.Dataset;

namespace AutoClassify.Preprocessing;

/// <summary>An image as the models see it: decoded, banner-cropped, with its mask when one exists.</summary>
public sealed record PreparedImage(GrayImage Image, BinaryMask? Mask);

/// <summary>Decodes a dataset item and applies the run's preprocessing in one place, so every arm sees the same pixels.</summary>
public static class ImagePreparation
{
    public static PreparedImage Prepare(DatasetItem item, CropMargins crop)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Prepare(item.FullPath, item.MaskPath, crop);
    }

    /// <summary>Decodes an image file (and its mask, when given) and cuts the margins, as for a dataset item.</summary>
    public static PreparedImage Prepare(string imagePath, string? maskPath, CropMargins crop)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        var image = ImageCodec.Decode(imagePath);
        var mask = maskPath is null ? null : ImageCodec.DecodeMask(maskPath);
        if (!crop.IsNone)
        {
            image = image.Crop(crop.Top, crop.Bottom, crop.Left, crop.Right);
            mask = mask?.Crop(crop.Top, crop.Bottom, crop.Left, crop.Right);
        }
        return new PreparedImage(image, mask);
    }

    /// <summary>Prepares every item of the data set in parallel, in dataset order.</summary>
    /// <param name="dataset">The validated data set.</param>
    /// <param name="crop">Margins cut from every image and mask.</param>
    /// <param name="threads">Worker threads (0 = all cores).</param>
    /// <param name="onPrepared">Called after each item, from worker threads (progress).</param>
    /// <param name="cancellationToken">Stops the work between items.</param>
    public static PreparedImage[] PrepareAll(LabeledDataset dataset, CropMargins crop, int threads,
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
            prepared[i] = Prepare(dataset.Items[i], crop);
            onPrepared?.Invoke();
        });
        return prepared;
    }
}
