using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using Microsoft.ML;

namespace AutoClassify.MLNet;

/// <summary>How images are prepared before their features are computed (as the CLI's <c>--crop</c> and <c>--banner</c>).</summary>
public sealed class ImagePreparationOptions
{
    /// <summary>Margins cut from every image and mask.</summary>
    public CropMargins Crop { get; init; }

    /// <summary>What is done with a detected data banner (cut off by default, as the CLI does).</summary>
    public BannerMode Banner { get; init; } = BannerMode.Crop;

    /// <summary>
    /// Images declaring more pixels are read reduced by the smallest whole factor that fits (block means, see
    /// <see cref="ImageReduction"/>), as the CLI's <c>features</c>, <c>benchmark</c>, <c>train</c> and <c>predict</c> do, so
    /// their features are those of an AutoClassify package and the full-resolution image is never held. Default
    /// <see cref="ImageReduction.DefaultReduceAbovePixels"/>; null reads every image at full resolution.
    /// </summary>
    public long? ReduceAbovePixels { get; init; } = ImageReduction.DefaultReduceAbovePixels;

    internal PreparedImage Prepare(string imagePath, string? maskPath)
    {
        if (string.IsNullOrWhiteSpace(imagePath))
            throw new InvalidDataException("An image path is empty.");
        try
        {
            return ImagePreparation.Prepare(imagePath, string.IsNullOrEmpty(maskPath) ? null : maskPath, Crop, Banner, ReduceAbovePixels);
        }
        catch (ImageDecodeException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }
}

/// <summary>AutoClassify's handcrafted features as an ML.NET transform.</summary>
public static class HandcraftedFeaturesCatalog
{
    /// <summary>
    /// Decodes each row's image (and mask), prepares it as the CLI does (an image above
    /// <see cref="ImagePreparationOptions.ReduceAbovePixels"/> read reduced) and writes its handcrafted feature vector
    /// (intensity, texture and shape, <see cref="HandcraftedFeatures.Names"/>, as slot names) to
    /// <paramref name="outputColumnName"/>. A file that cannot be decoded stops the cursor with an error naming it.
    /// The values are raw: standardise them in the pipeline (<c>NormalizeMeanVariance</c>) or leave that to a trainer
    /// that does it inside the training fold, as <c>LibSvm</c> does.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The feature vector's column.</param>
    /// <param name="imageColumnName">The text column of image paths.</param>
    /// <param name="maskColumnName">The text column of mask paths (empty for none), or null when the data has none.</param>
    /// <param name="options">Cropping and banner handling.</param>
    public static IEstimator<ITransformer> HandcraftedFeatures(this TransformsCatalog catalog,
        string outputColumnName = AutoClassifyColumns.Features,
        string imageColumnName = AutoClassifyColumns.ImagePath,
        string? maskColumnName = AutoClassifyColumns.MaskPath,
        ImagePreparationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(imageColumnName);
        var preparation = options ?? new ImagePreparationOptions();
        var features = FeatureSet.Handcrafted;
        var output = RowMapping.Schema<RowMapping.FeatureOutput>((nameof(RowMapping.FeatureOutput.Features), outputColumnName));
        RowMapping.DeclareVector(output, outputColumnName, features.Names);
        float[] Extract(string image, string? mask)
        {
            var prepared = preparation.Prepare(image, mask);
            return [.. features.Extract(prepared.Image, prepared.Mask).Select(v => (float)v)];
        }
        return maskColumnName is null
            ? RowMapping.Estimator<RowMapping.ImageInput, RowMapping.FeatureOutput>(catalog,
                (row, result) => result.Features = Extract(row.ImagePath, null), RowMapping.ImageSchema(imageColumnName, null), output)
            : RowMapping.Estimator<RowMapping.ImageMaskInput, RowMapping.FeatureOutput>(catalog,
                (row, result) => result.Features = Extract(row.ImagePath, row.MaskPath), RowMapping.ImageSchema(imageColumnName, maskColumnName), output);
    }
}
