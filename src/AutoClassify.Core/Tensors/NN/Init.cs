using AutoClassify.Native;
using static AutoClassify.Native.NativeMethods;

namespace AutoClassify.Tensors.NN;

/// <summary>Which fan the He initialisation keeps the variance of: inputs (forward pass) or outputs (backward pass).</summary>
public enum FanMode
{
    FanIn = 0,
    FanOut = 1,
}

/// <summary>The activation a layer feeds, which sets the initialisation gain.</summary>
public enum Nonlinearity
{
    Linear = 0,
    Relu = 1,
    LeakyRelu = 2,
    Tanh = 3,
    Sigmoid = 4,
}

/// <summary>
/// Parameter initialisers (PyTorch's <c>torch.nn.init</c>): fill a tensor in place, without autograd recording,
/// from libtorch's generator (seed it with <see cref="Torch.ManualSeed"/>).
/// </summary>
public static class Init
{
    /// <summary>He uniform: U(-b, b) with b = gain · sqrt(3 / fan); <paramref name="a"/> is the leaky-ReLU slope.</summary>
    public static void KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu) =>
        Kaiming(tensor, a, mode, nonlinearity, uniform: true);

    /// <summary>He normal: N(0, std²) with std = gain / sqrt(fan).</summary>
    public static void KaimingNormal(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu) =>
        Kaiming(tensor, a, mode, nonlinearity, uniform: false);

    /// <summary>Glorot uniform: U(-b, b) with b = gain · sqrt(6 / (fan_in + fan_out)).</summary>
    public static void XavierUniform(Tensor tensor, double gain = 1) => Xavier(tensor, gain, uniform: true);

    /// <summary>Glorot normal: N(0, std²) with std = gain · sqrt(2 / (fan_in + fan_out)).</summary>
    public static void XavierNormal(Tensor tensor, double gain = 1) => Xavier(tensor, gain, uniform: false);

    public static void Uniform(Tensor tensor, double low = 0, double high = 1)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high)
            throw new ArgumentOutOfRangeException(nameof(high), $"Need finite bounds with low <= high; got [{low}, {high}].");
        InitUniform(tensor.Handle, low, high);
        NativeShim.CheckForErrors();
    }

    public static void Normal(Tensor tensor, double mean = 0, double std = 1)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!double.IsFinite(mean))
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "The mean must be finite.");
        if (!(std >= 0) || double.IsInfinity(std))
            throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be finite and >= 0.");
        InitNormal(tensor.Handle, mean, std);
        NativeShim.CheckForErrors();
    }

    public static void Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (double.IsNaN(value))
            throw new ArgumentOutOfRangeException(nameof(value), "The value is NaN.");
        InitConstant(tensor.Handle, value);
        NativeShim.CheckForErrors();
    }

    public static void Zeros(Tensor tensor) => Constant(tensor, 0);

    public static void Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>PyTorch's fans: dim 1 counts inputs, dim 0 outputs, and the remaining dims (the kernel) multiply both.</summary>
    public static (long FanIn, long FanOut) Fans(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = tensor.Shape;
        if (shape.Length < 2)
            throw new ArgumentException($"Fans need at least 2 dimensions; the tensor has shape {Tensor.FormatShape(shape)}.", nameof(tensor));
        long receptive = 1;
        for (var d = 2; d < shape.Length; d++)
            receptive *= shape[d];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    static void Kaiming(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity, bool uniform)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!double.IsFinite(a))
            throw new ArgumentOutOfRangeException(nameof(a), a, "The slope must be finite.");
        InitKaiming(tensor.Handle, a, (int)mode, (int)nonlinearity, uniform ? 1 : 0);
        NativeShim.CheckForErrors();
    }

    static void Xavier(Tensor tensor, double gain, bool uniform)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(gain > 0) || double.IsInfinity(gain))
            throw new ArgumentOutOfRangeException(nameof(gain), gain, "The gain must be finite and positive.");
        InitXavier(tensor.Handle, gain, uniform ? 1 : 0);
        NativeShim.CheckForErrors();
    }
}
