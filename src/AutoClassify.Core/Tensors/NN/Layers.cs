using System.Collections;
using System.Globalization;

namespace AutoClassify.Tensors.NN;

/// <summary>
/// 2-D convolution with PyTorch's default initialisation (He uniform with a = √5 on the weight, bias
/// uniform in ±1/√fan_in). Parameters: <c>weight</c> (Out x In/groups x k x k) and <c>bias</c> (Out).
/// </summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Channels in ({inChannels}) and out ({outChannels}) must both be divisible by groups ({groups}).", nameof(groups));
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);

        Weight = RegisterParameter("weight", Tensor.Empty([outChannels, inChannels / groups, kernelSize, kernelSize]))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Empty([outChannels]) : null);
        Layers.ResetLikePyTorch(Weight, Bias);
    }

    public int InChannels { get; }

    public int OutChannels { get; }

    public int KernelSize { get; }

    public int Stride { get; }

    public int Padding { get; }

    public int Dilation { get; }

    public int Groups { get; }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
}

/// <summary>
/// Batch normalisation over channels of N x C x H x W input. Parameters <c>weight</c> (ones) and <c>bias</c>
/// (zeros); buffers <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c>, as in torchvision.
/// </summary>
public sealed class BatchNorm2d : Module
{
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numFeatures, 1);
        if (!(eps > 0) || double.IsInfinity(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "Epsilon must be finite and positive.");
        if (!(momentum >= 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1].");
        (NumFeatures, Eps, Momentum) = (numFeatures, eps, momentum);
        Weight = RegisterParameter("weight", affine ? Tensor.Ones([numFeatures]) : null);
        Bias = RegisterParameter("bias", affine ? Tensor.Zeros([numFeatures]) : null);
        RunningMean = RegisterBuffer("running_mean", trackRunningStats ? Tensor.Zeros([numFeatures]) : null);
        RunningVar = RegisterBuffer("running_var", trackRunningStats ? Tensor.Ones([numFeatures]) : null);
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", trackRunningStats ? Tensor.Zeros([], ScalarType.Int64) : null);
    }

    public int NumFeatures { get; }

    public double Eps { get; }

    public double Momentum { get; }

    public Tensor? Weight { get; }

    public Tensor? Bias { get; }

    public Tensor? RunningMean { get; }

    public Tensor? RunningVar { get; }

    public Tensor? NumBatchesTracked { get; }

    // Without running statistics, batch statistics are used in evaluation too (as PyTorch does).
    public override Tensor Forward(Tensor input) => Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias,
        training: IsTraining || RunningMean is null, Momentum, Eps, IsTraining ? NumBatchesTracked : null);
}

/// <summary>Fully connected layer: <c>weight</c> (Out x In) and <c>bias</c> (Out), initialised as PyTorch does.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        Weight = RegisterParameter("weight", Tensor.Empty([outFeatures, inFeatures]))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Empty([outFeatures]) : null);
        Layers.ResetLikePyTorch(Weight, Bias);
    }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);
}

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor input) => Functional.Relu(input);
}

/// <summary>min(max(x, 0), 6).</summary>
public sealed class ReLU6 : Module
{
    public override Tensor Forward(Tensor input) => Functional.Relu6(input);
}

/// <summary>Returns its input unchanged (a new handle on the same tensor).</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => NotNull(input).Reshape(input.Shape);

    static Tensor NotNull(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }
}

public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    public int KernelSize => kernelSize;

    /// <summary>The step between windows (the kernel size unless given).</summary>
    public int Stride => stride ?? kernelSize;

    public int Padding => padding;

    public int Dilation => dilation;

    public bool CeilMode => ceilMode;

    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);
}

public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module
{
    public int KernelSize => kernelSize;

    /// <summary>The step between windows (the kernel size unless given).</summary>
    public int Stride => stride ?? kernelSize;

    public int Padding => padding;

    public bool CeilMode => ceilMode;

    public bool CountIncludePad => countIncludePad;

    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);
}

/// <summary>Average pooling to a fixed output size (1 x 1 by default: global average pooling).</summary>
public sealed class AdaptiveAvgPool2d(int outputHeight = 1, int outputWidth = 1) : Module
{
    public int OutputHeight => outputHeight;

    public int OutputWidth => outputWidth;

    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, outputHeight, outputWidth);
}

/// <summary>Dropout while training, the identity in evaluation mode.</summary>
public sealed class Dropout : Module
{
    public Dropout(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1].");
        P = p;
    }

    public double P { get; }

    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, IsTraining);
}

/// <summary>Merges dimensions startDim..endDim (by default everything after the batch dimension).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public int StartDim => startDim;

    public int EndDim => endDim;

    public override Tensor Forward(Tensor input) => Functional.Flatten(input, startDim, endDim);
}

/// <summary>
/// Runs its children in order; they are named "0", "1", … as in PyTorch. Intermediate results are disposed
/// as soon as the next layer has consumed them (autograd keeps what it needs natively).
/// </summary>
public sealed class Sequential : Module, IEnumerable<Module>
{
    readonly List<Module> layers = [];

    /// <summary>
    /// Layers run in the given order. A Sequential passed here is nested as one layer (its parameters keep their
    /// prefix), never spliced: the parameter is an array, so a Sequential, itself a sequence of modules, cannot bind
    /// as the whole list. Use <see cref="Of"/> to build one from a sequence.
    /// </summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules)
            Add(module);
    }

    /// <summary>The layers of <paramref name="modules"/>, in order, as a new Sequential (a splice, by name).</summary>
    public static Sequential Of(IEnumerable<Module> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        return new Sequential([.. modules]);
    }

    public int Count => layers.Count;

    public Module this[int index] => layers[index];

    /// <summary>Appends a layer named after its position.</summary>
    public Sequential Add(Module module)
    {
        RegisterModule(layers.Count.ToString(CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var x = input;
        foreach (var layer in layers)
        {
            var next = layer.Forward(x);
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, next))
                x.Dispose();
            x = next;
        }
        return ReferenceEquals(x, input) ? input.Reshape(input.Shape) : x;
    }

    public IEnumerator<Module> GetEnumerator() => layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

static class Layers
{
    // torch.nn.Conv2d / Linear reset_parameters: kaiming_uniform_(a = sqrt(5)) and a bias in ±1/sqrt(fan_in).
    internal static void ResetLikePyTorch(Tensor weight, Tensor? bias)
    {
        Init.KaimingUniform(weight, a: Math.Sqrt(5));
        if (bias is null)
            return;
        var (fanIn, _) = Init.Fans(weight);
        var bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        Init.Uniform(bias, -bound, bound);
    }
}
