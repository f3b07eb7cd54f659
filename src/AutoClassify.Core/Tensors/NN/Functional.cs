using static AutoClassify.Native.NativeMethods;

namespace AutoClassify.Tensors.NN;

/// <summary>How a loss combines the per-sample values; the codes are libtorch's.</summary>
public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>How <see cref="Functional.GridSample"/> interpolates.</summary>
public enum GridSampleMode
{
    Bilinear = 0,
    Nearest = 1,
    Bicubic = 2,
}

/// <summary>What <see cref="Functional.GridSample"/> reads outside the input.</summary>
public enum GridSamplePadding
{
    Zeros = 0,
    Border = 1,
    Reflection = 2,
}

/// <summary>Stateless network operations (PyTorch's <c>torch.nn.functional</c>); layers are built on these.</summary>
public static partial class Functional
{
    /// <summary>2-D convolution of N x C x H x W input with an Out x C/groups x kH x kW weight.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var result = Tensor.Wrap(NNConv2d(input.Handle, weight.Handle, Tensor.PointerOf(bias),
            [stride, stride], [padding, padding], [dilation, dilation], groups));
        GC.KeepAlive(bias);
        return result;
    }

    /// <summary>
    /// Batch normalisation over the channel dimension. In training mode the batch statistics are used and the
    /// running ones updated in place (new = (1 - momentum) * old + momentum * batch), and
    /// <paramref name="numBatchesTracked"/> is incremented; otherwise the running statistics are used.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5, Tensor? numBatchesTracked = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckFinite(momentum, nameof(momentum));
        CheckFinite(eps, nameof(eps));
        var result = Tensor.Wrap(NNBatchNorm(input.Handle, Tensor.PointerOf(weight), Tensor.PointerOf(bias),
            Tensor.PointerOf(runningMean), Tensor.PointerOf(runningVar), Tensor.PointerOf(numBatchesTracked),
            training ? 1 : 0, momentum, eps));
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        GC.KeepAlive(runningMean);
        GC.KeepAlive(runningVar);
        GC.KeepAlive(numBatchesTracked);
        return result;
    }

    /// <summary>input · weightᵀ + bias, with weight Out x In.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        var result = Tensor.Wrap(NNLinear(input.Handle, weight.Handle, Tensor.PointerOf(bias)));
        GC.KeepAlive(bias);
        return result;
    }

    public static Tensor Relu(Tensor input) => NotNull(input).Relu();

    public static Tensor Relu6(Tensor input) => NotNull(input).Relu6();

    /// <summary>Max pooling; the stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        var step = CheckPool(kernelSize, stride, padding);
        return Tensor.Wrap(NNMaxPool2d(input.Handle, [kernelSize, kernelSize], [step, step], [padding, padding],
            [dilation, dilation], ceilMode ? 1 : 0));
    }

    /// <summary>Average pooling; the stride defaults to the kernel size.</summary>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        var step = CheckPool(kernelSize, stride, padding);
        return Tensor.Wrap(NNAvgPool2d(input.Handle, [kernelSize, kernelSize], [step, step], [padding, padding],
            ceilMode ? 1 : 0, countIncludePad ? 1 : 0));
    }

    /// <summary>Average pooling to a fixed output size, whatever the input size (1 x 1 = global average pooling).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputHeight, int outputWidth)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputWidth, 1);
        return Tensor.Wrap(NNAdaptiveAvgPool2d(input.Handle, outputHeight, outputWidth));
    }

    /// <summary>Zeroes each element with probability p and scales the rest by 1 / (1 - p); the identity when not training.</summary>
    public static Tensor Dropout(Tensor input, double p, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1].");
        return Tensor.Wrap(NNDropout(input.Handle, p, training ? 1 : 0));
    }

    public static Tensor Flatten(Tensor input, int startDim = 1, int endDim = -1) => NotNull(input).Flatten(startDim, endDim);

    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => Tensor.Cat(tensors, dim);

    public static Tensor Softmax(Tensor input, int dim) => NotNull(input).Softmax(dim);

    public static Tensor LogSoftmax(Tensor input, int dim) => NotNull(input).LogSoftmax(dim);

    /// <summary>
    /// Cross-entropy of N x C logits against Int64 class indices (N) or class probabilities (N x C).
    /// <paramref name="classWeights"/> (C) rescales each class; with label smoothing ε the target becomes
    /// (1 - ε) · one-hot + ε / C. The mean reduction divides by the summed weights of the targets, as PyTorch does.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Tensor? classWeights = null, double labelSmoothing = 0,
        Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1].");
        var result = Tensor.Wrap(NNCrossEntropy(logits.Handle, targets.Handle, Tensor.PointerOf(classWeights), labelSmoothing, (int)reduction));
        GC.KeepAlive(classWeights);
        return result;
    }

    /// <summary>Mean squared error.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        return Tensor.Wrap(NNMseLoss(input.Handle, target.Handle, (int)reduction));
    }

    /// <summary>
    /// Sampling grid (N x H x W x 2, coordinates in [-1, 1]) for a batch of 2 x 3 affine matrices and an output
    /// size N x C x H x W. Use the same <paramref name="alignCorners"/> in <see cref="GridSample"/>.
    /// </summary>
    public static Tensor AffineGrid(Tensor theta, ReadOnlySpan<long> size, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (size.Length != 4)
            throw new ArgumentException($"Size must be N, C, H, W; got {Tensor.FormatShape(size)}.", nameof(size));
        return Tensor.Wrap(NNAffineGrid(theta.Handle, size, size.Length, alignCorners ? 1 : 0));
    }

    /// <summary>Samples an N x C x H x W input at the grid's normalised coordinates (x, y in [-1, 1]).</summary>
    public static Tensor GridSample(Tensor input, Tensor grid, GridSampleMode mode = GridSampleMode.Bilinear,
        GridSamplePadding padding = GridSamplePadding.Zeros, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(grid);
        return Tensor.Wrap(NNGridSample(input.Handle, grid.Handle, (int)mode, (int)padding, alignCorners ? 1 : 0));
    }

    /// <summary>
    /// Rescales the gradients so their joint norm is at most <paramref name="maxNorm"/>; returns the norm before
    /// clipping. Parameters without a gradient are ignored.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum norm must be finite and positive.");
        if (!(normType > 0))
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "The norm type must be positive.");
        using var pinned = new PinnedHandles(parameters);
        var norm = OptimClipGradNorm(pinned.Pointers, pinned.Pointers.Length, maxNorm, normType);
        AutoClassify.Native.NativeShim.CheckForErrors();
        return norm;
    }

    static int CheckPool(int kernelSize, int? stride, int padding)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        var step = stride ?? kernelSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1, nameof(stride));
        return step;
    }

    static void CheckFinite(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, "Must be a finite number.");
    }

    static Tensor NotNull(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor;
    }
}
