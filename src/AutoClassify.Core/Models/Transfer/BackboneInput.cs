using System.Globalization;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Transfer;

/// <summary>How a backbone's input pixels are normalised.</summary>
public enum PixelNormalisation
{
    /// <summary>Each image to zero mean and unit SD, as the CNN arm trains its LipNets.</summary>
    PerImage,

    /// <summary>Pixels in 0..1, grey replicated to every channel, then the ImageNet channel means and SDs.</summary>
    ImageNet,
}

/// <summary>Everything that decides what a backbone sees: part of every cached feature's key.</summary>
/// <param name="Channels">Channels the backbone takes; grey is replicated to fill them.</param>
/// <param name="Size">Side of the square input.</param>
/// <param name="Normalisation">Per-image standardisation or fixed ImageNet statistics.</param>
/// <param name="Mode">Region of the image (whole image, object box, masked box).</param>
/// <param name="CropMargin">Margin around the object box in the crop modes.</param>
public sealed record BackboneInputSpec(int Channels, int Size, PixelNormalisation Normalisation, InputMode Mode, double CropMargin)
{
    /// <summary>
    /// The input a backbone gets: LipNet backbones (and any one-channel network) keep their package's size and
    /// per-image standardisation; ImageNet networks take <see cref="TransferOptions.InputSize"/> (224 by default)
    /// and the ImageNet statistics (other channel counts: per-image standardisation, replicated). The region comes from
    /// <see cref="CnnOptions.InputMode"/>.
    /// </summary>
    public static BackboneInputSpec For(IFeatureBackbone backbone, TransferOptions transfer, CnnOptions cnn)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(cnn);
        if (backbone is LipNetBackbone || backbone.InputChannels != 3)
            return new(backbone.InputChannels, backbone.DefaultInputSize, PixelNormalisation.PerImage, cnn.InputMode, cnn.CropMargin);
        return new(backbone.InputChannels, transfer.InputSize ?? backbone.DefaultInputSize, PixelNormalisation.ImageNet, cnn.InputMode, cnn.CropMargin);
    }

    /// <summary>Whether the object mask changes what the backbone sees.</summary>
    public bool UsesMask => Mode != InputMode.Surround;

    /// <summary>Normalisation as the report and the cache key write it.</summary>
    public string NormalisationName => Normalisation == PixelNormalisation.ImageNet ? "imagenet mean/std, grey replicated" : CnnModelInfo.PerImageNormalisation;

    /// <summary>A stable text of every field, for cache keys.</summary>
    public string KeyText => string.Create(CultureInfo.InvariantCulture,
        $"channels={Channels};size={Size};norm={Normalisation};mode={Mode.ToName()};margin={(UsesMask ? CropMargin : 0):R}");
}

/// <summary>
/// Turns dataset images into backbone inputs in two steps: <see cref="PrepareGrey"/> cuts and resizes on the CPU
/// (with <see cref="CnnInputPreparer"/>, the CNN arm's own preparation) into one grey channel, and
/// <see cref="ToNetworkInput"/> turns a grey batch into the channels and statistics the network expects. Training
/// keeps the cheap grey sets on the device and expands each batch only when it is used.
/// </summary>
public sealed class BackboneInputPreparer
{
    readonly CnnInputPreparer grey;

    public BackboneInputPreparer(BackboneInputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Channels, 1);
        if (spec.Normalisation == PixelNormalisation.ImageNet && spec.Channels != 3)
            throw new ArgumentException($"ImageNet normalisation is for three-channel networks, not {spec.Channels} channel(s).", nameof(spec));
        Spec = spec;
        grey = new CnnInputPreparer(spec.Mode, spec.Size, spec.CropMargin) { StandardisePerImage = spec.Normalisation == PixelNormalisation.PerImage };
    }

    public BackboneInputSpec Spec { get; }

    /// <summary>
    /// One grey channel per item, <c>indices.Count × Size × Size</c> floats: standardised per image, or the resized
    /// 0..1 pixels for ImageNet normalisation. Also returns how many items fell back to the whole image for lack of a mask.
    /// </summary>
    public (float[] Pixels, int MaskFallbacks) PrepareGrey(TrainingData data, IReadOnlyList<int> indices) => grey.PrepareBatch(data, indices);

    /// <summary>An N × 1 × S × S grey batch as the network's N × C × S × S input (a new tensor).</summary>
    public Tensor ToNetworkInput(Tensor greyBatch)
    {
        ArgumentNullException.ThrowIfNull(greyBatch);
        if (Spec.Normalisation == PixelNormalisation.ImageNet)
            return ImageNetInput.FromGray(greyBatch);
        if (Spec.Channels == 1)
            return greyBatch.Reshape(greyBatch.Shape);
        var shape = greyBatch.Shape;
        using var expanded = greyBatch.Expand(shape[0], Spec.Channels, shape[2], shape[3]);
        return expanded.Contiguous();
    }
}
