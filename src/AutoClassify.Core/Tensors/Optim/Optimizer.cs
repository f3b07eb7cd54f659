using AutoClassify.Native;

namespace AutoClassify.Tensors.Optim;

/// <summary>
/// A libtorch optimiser over a fixed list of parameters. Typical step:
/// <c>optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();</c>. The optimiser keeps its own references
/// to the parameters' storage and its state (momentum, moments) until disposed.
/// </summary>
public abstract class Optimizer : IDisposable
{
    readonly OptimizerHandle handle;

    private protected Optimizer(IEnumerable<Tensor> parameters, Func<IntPtr[], IntPtr> create)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = [.. parameters];
        if (Parameters.Count == 0)
            throw new ArgumentException("The optimiser needs at least one parameter.", nameof(parameters));
        foreach (var parameter in Parameters)
        {
            ArgumentNullException.ThrowIfNull(parameter, nameof(parameters));
            if (!parameter.RequiresGrad)
                throw new ArgumentException($"Parameter {parameter} does not require a gradient (frozen?); leave it out.", nameof(parameters));
        }
        using var pinned = new PinnedHandles(Parameters);
        var pointer = create(pinned.Pointers);
        NativeShim.CheckForErrors();
        handle = new OptimizerHandle(pointer);
    }

    /// <summary>The tensors this optimiser updates (it does not own them).</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    OptimizerHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle;
        }
    }

    /// <summary>Updates every parameter from its accumulated gradient.</summary>
    public void Step()
    {
        NativeMethods.OptimStep(Handle);
        NativeShim.CheckForErrors();
    }

    /// <summary>Zeroes every parameter's gradient (call before each backward pass).</summary>
    public void ZeroGrad()
    {
        NativeMethods.OptimZeroGrad(Handle);
        NativeShim.CheckForErrors();
    }

    /// <summary>The current learning rate; set it between steps to follow a schedule.</summary>
    public double LearningRate
    {
        get
        {
            var rate = NativeMethods.OptimGetLearningRate(Handle);
            NativeShim.CheckForErrors();
            return rate;
        }
        set
        {
            OptimizerChecks.NonNegative(value, nameof(LearningRate));
            NativeMethods.OptimSetLearningRate(Handle, value);
            NativeShim.CheckForErrors();
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
            handle.Dispose();
    }
}

/// <summary>Settings of <see cref="Sgd"/> (PyTorch's defaults).</summary>
public sealed class SgdOptions
{
    public static class Defaults
    {
        public const double LearningRate = 0.01;
        public const double Momentum = 0;
        public const double Dampening = 0;
        public const double WeightDecay = 0;
    }

    public double LearningRate { get; init; } = Defaults.LearningRate;

    public double Momentum { get; init; } = Defaults.Momentum;

    public double Dampening { get; init; } = Defaults.Dampening;

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; init; } = Defaults.WeightDecay;

    public bool Nesterov { get; init; }

    /// <summary>Throws naming the first bad setting.</summary>
    public void Validate()
    {
        OptimizerChecks.NonNegative(LearningRate, nameof(LearningRate));
        OptimizerChecks.NonNegative(Momentum, nameof(Momentum));
        OptimizerChecks.NonNegative(Dampening, nameof(Dampening));
        OptimizerChecks.NonNegative(WeightDecay, nameof(WeightDecay));
        if (Nesterov && (Momentum <= 0 || Dampening != 0))
            throw new ArgumentException("Nesterov momentum needs Momentum > 0 and Dampening = 0.", nameof(Nesterov));
    }
}

/// <summary>Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay.</summary>
public sealed class Sgd : Optimizer
{
    public Sgd(IEnumerable<Tensor> parameters, SgdOptions? options = null)
        : base(parameters, pointers =>
        {
            var o = Checked(options);
            return NativeMethods.OptimSgdCreate(pointers, pointers.Length, o.LearningRate, o.Momentum, o.Dampening, o.WeightDecay, o.Nesterov ? 1 : 0);
        }) => Options = options ?? new SgdOptions();

    public SgdOptions Options { get; }

    static SgdOptions Checked(SgdOptions? options)
    {
        var o = options ?? new SgdOptions();
        o.Validate();
        return o;
    }
}

/// <summary>Settings of <see cref="Adam"/> (PyTorch's defaults); <see cref="AdamWOptions"/> for <see cref="AdamW"/>.</summary>
public class AdamOptions
{
    public static class Defaults
    {
        public const double LearningRate = 1e-3;
        public const double Beta1 = 0.9;
        public const double Beta2 = 0.999;
        public const double Epsilon = 1e-8;
        public const double WeightDecay = 0;
    }

    public double LearningRate { get; init; } = Defaults.LearningRate;

    /// <summary>Decay of the running mean of gradients.</summary>
    public double Beta1 { get; init; } = Defaults.Beta1;

    /// <summary>Decay of the running mean of squared gradients.</summary>
    public double Beta2 { get; init; } = Defaults.Beta2;

    public double Epsilon { get; init; } = Defaults.Epsilon;

    public double WeightDecay { get; init; } = Defaults.WeightDecay;

    /// <summary>Use the maximum of past squared-gradient averages (AMSGrad).</summary>
    public bool AmsGrad { get; init; }

    /// <summary>Throws naming the first bad setting.</summary>
    public void Validate()
    {
        OptimizerChecks.NonNegative(LearningRate, nameof(LearningRate));
        OptimizerChecks.UnitInterval(Beta1, nameof(Beta1));
        OptimizerChecks.UnitInterval(Beta2, nameof(Beta2));
        OptimizerChecks.NonNegative(WeightDecay, nameof(WeightDecay));
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon))
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be finite and positive.");
    }
}

/// <summary>Settings of <see cref="AdamW"/>: as Adam, with PyTorch's AdamW default weight decay of 0.01.</summary>
public sealed class AdamWOptions : AdamOptions
{
    public new static class Defaults
    {
        public const double WeightDecay = 0.01;
    }

    public AdamWOptions() => WeightDecay = Defaults.WeightDecay;
}

/// <summary>Adam; weight decay is added to the gradient (L2), as in torch.optim.Adam.</summary>
public sealed class Adam : Optimizer
{
    public Adam(IEnumerable<Tensor> parameters, AdamOptions? options = null)
        : base(parameters, pointers => OptimizerChecks.CreateAdam(pointers, options ?? new AdamOptions(), decoupled: false)) =>
        Options = options ?? new AdamOptions();

    public AdamOptions Options { get; }
}

/// <summary>AdamW: Adam with weight decay applied directly to the weights (decoupled), as in torch.optim.AdamW.</summary>
public sealed class AdamW : Optimizer
{
    public AdamW(IEnumerable<Tensor> parameters, AdamOptions? options = null)
        : base(parameters, pointers => OptimizerChecks.CreateAdam(pointers, options ?? new AdamWOptions(), decoupled: true)) =>
        Options = options ?? new AdamWOptions();

    public AdamOptions Options { get; }
}

static class OptimizerChecks
{
    internal static IntPtr CreateAdam(IntPtr[] pointers, AdamOptions o, bool decoupled)
    {
        o.Validate();
        return NativeMethods.OptimAdamCreate(pointers, pointers.Length, o.LearningRate, o.Beta1, o.Beta2, o.Epsilon,
            o.WeightDecay, o.AmsGrad ? 1 : 0, decoupled ? 1 : 0);
    }

    internal static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and >= 0.");
    }

    internal static void UnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1).");
    }
}
