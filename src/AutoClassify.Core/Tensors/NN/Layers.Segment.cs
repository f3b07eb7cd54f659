namespace AutoClassify.Tensors.NN;

/// <summary>
/// Transposed 2-D convolution (learned upsampling) with PyTorch's default initialisation. Parameters: <c>weight</c>
/// (In x Out/groups x k x k) and <c>bias</c> (Out).
/// </summary>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegative(outputPadding);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        if (outputPadding >= stride)
            throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding, $"Output padding must be smaller than the stride ({stride}).");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Channels in ({inChannels}) and out ({outChannels}) must both be divisible by groups ({groups}).", nameof(groups));
        (InChannels, OutChannels, KernelSize, Stride, Padding, OutputPadding, Groups) = (inChannels, outChannels, kernelSize, stride, padding, outputPadding, groups);
        Weight = RegisterParameter("weight", Tensor.Empty([inChannels, outChannels / groups, kernelSize, kernelSize]))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Empty([outChannels]) : null);
        Layers.ResetLikePyTorch(Weight, Bias);
    }

    public int InChannels { get; }

    public int OutChannels { get; }

    public int KernelSize { get; }

    public int Stride { get; }

    public int Padding { get; }

    public int OutputPadding { get; }

    public int Groups { get; }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Functional.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, groups: Groups);
}

/// <summary>Resizes N x C x H x W input by an integer factor (nearest or bilinear); no parameters.</summary>
public sealed class Upsample : Module
{
    public Upsample(int scaleFactor = 2, InterpolationMode mode = InterpolationMode.Nearest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scaleFactor, 1);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown interpolation mode.");
        (ScaleFactor, Mode) = (scaleFactor, mode);
    }

    public int ScaleFactor { get; }

    public InterpolationMode Mode { get; }

    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim != 4)
            throw new ArgumentException($"Upsample needs N x C x H x W input, got {Tensor.FormatShape(input.Shape)}.", nameof(input));
        return Functional.Interpolate(input, checked((int)input.Size(2) * ScaleFactor), checked((int)input.Size(3) * ScaleFactor), Mode);
    }
}

/// <summary>
/// Group normalisation (per sample, so independent of the batch); parameters <c>weight</c> (ones) and <c>bias</c>
/// (zeros) as in torch.nn.GroupNorm.
/// </summary>
public sealed class GroupNorm : Module
{
    public GroupNorm(int groups, int channels, double eps = 1e-5, bool affine = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        if (channels % groups != 0)
            throw new ArgumentException($"{channels} channels cannot split into {groups} groups.", nameof(groups));
        if (!(eps > 0) || double.IsInfinity(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "Epsilon must be finite and positive.");
        (Groups, Channels, Eps) = (groups, channels, eps);
        Weight = RegisterParameter("weight", affine ? Tensor.Ones([channels]) : null);
        Bias = RegisterParameter("bias", affine ? Tensor.Zeros([channels]) : null);
    }

    public int Groups { get; }

    public int Channels { get; }

    public double Eps { get; }

    public Tensor? Weight { get; }

    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Functional.GroupNorm(input, Groups, Weight, Bias, Eps);
}
