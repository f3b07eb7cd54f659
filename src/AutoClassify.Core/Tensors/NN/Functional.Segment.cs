using static AutoClassify.Native.NativeMethods;

namespace AutoClassify.Tensors.NN;

/// <summary>How <see cref="Functional.Interpolate"/> resamples.</summary>
public enum InterpolationMode
{
    Nearest = 0,
    Bilinear = 1,
    Bicubic = 2,
}

/// <summary>What <see cref="Functional.Pad2d"/> puts outside the input.</summary>
public enum PaddingMode
{
    /// <summary>A constant value.</summary>
    Constant = 0,

    /// <summary>The mirror image without repeating the edge pixel (PyTorch's <c>reflect</c>).</summary>
    Reflect = 1,

    /// <summary>The edge pixel repeated.</summary>
    Replicate = 2,
}

public static partial class Functional
{
    /// <summary>
    /// Transposed 2-D convolution (the gradient of <see cref="Conv2d"/>), weight In x Out/groups x kH x kW.
    /// The output side is (in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegative(outputPadding);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var result = Tensor.Wrap(NNConvTranspose2d(input.Handle, weight.Handle, Tensor.PointerOf(bias),
            [stride, stride], [padding, padding], [outputPadding, outputPadding], [dilation, dilation], groups));
        GC.KeepAlive(bias);
        return result;
    }

    /// <summary>Resizes the spatial dimensions of N x C x H x W input to <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static Tensor Interpolate(Tensor input, int height, int width, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        return Tensor.Wrap(NNInterpolate(input.Handle, height, width, (int)mode, alignCorners ? 1 : 0));
    }

    /// <summary>
    /// Pads the last two dimensions of C x H x W or N x C x H x W input. Reflection needs each pad smaller than
    /// the side it mirrors; a negative pad crops (constant mode only).
    /// </summary>
    public static Tensor Pad2d(Tensor input, int left, int right, int top, int bottom, PaddingMode mode = PaddingMode.Constant, double value = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "The padding value must be finite.");
        return Tensor.Wrap(NNPad2d(input.Handle, left, right, top, bottom, (int)mode, value));
    }

    /// <summary>
    /// Group normalisation: the channels split into <paramref name="groups"/>, each normalised per sample over its
    /// channels and pixels, then scaled by <paramref name="weight"/> and shifted by <paramref name="bias"/> (C each).
    /// </summary>
    public static Tensor GroupNorm(Tensor input, int groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        if (!(eps > 0) || double.IsInfinity(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "Epsilon must be finite and positive.");
        var result = Tensor.Wrap(NNGroupNorm(input.Handle, groups, Tensor.PointerOf(weight), Tensor.PointerOf(bias), eps));
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return result;
    }

    /// <summary>Int64 class indices N x … to a Float32 one-hot tensor N x <paramref name="classes"/> x … (classes second, as logits are).</summary>
    public static Tensor OneHot(Tensor indices, int classes)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        return Tensor.Wrap(NNOneHot(indices.Handle, classes));
    }
}
