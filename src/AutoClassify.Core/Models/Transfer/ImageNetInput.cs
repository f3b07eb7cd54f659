using AutoClassify.Tensors;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// The input ImageNet-trained backbones expect: three channels normalised with ImageNet's per-channel mean and
/// standard deviation (torchvision's values). Grey micrographs become three identical channels, each normalised
/// with its own channel's statistics, so the pretrained first layer sees the value range it was trained on.
/// </summary>
public static class ImageNetInput
{
    /// <summary>Per-channel mean of ImageNet images (R, G, B) on a 0..1 scale.</summary>
    public static IReadOnlyList<float> Mean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviation of ImageNet images (R, G, B) on a 0..1 scale.</summary>
    public static IReadOnlyList<float> Std { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>N × 1 × H × W grey values in 0..1 to an N × 3 × H × W normalised batch (a new tensor).</summary>
    public static Tensor FromGray(Tensor grey)
    {
        ArgumentNullException.ThrowIfNull(grey);
        var shape = grey.Shape;
        if (shape.Length != 4 || shape[1] != 1)
            throw new ArgumentException($"Expected a grey batch of shape N x 1 x H x W, got {Tensor.FormatShape(shape)}.", nameof(grey));
        if (grey.DType != ScalarType.Float32)
            throw new ArgumentException($"Expected float32 pixels in 0..1, got {grey.DType}.", nameof(grey));
        using var mean = Statistics(Mean, grey.Device);
        using var std = Statistics(Std, grey.Device);
        // Broadcasting the single grey channel against three channel statistics replicates it.
        using var centred = grey.Subtract(mean);
        return centred.Divide(std);
    }

    static Tensor Statistics(IReadOnlyList<float> values, Device device)
    {
        var cpu = Tensor.FromArray(values.ToArray(), [1, 3, 1, 1]);
        if (device == Device.Cpu)
            return cpu;
        using (cpu)
            return cpu.To(device);
    }
}
