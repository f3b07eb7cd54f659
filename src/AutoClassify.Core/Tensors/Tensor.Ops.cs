using AutoClassify.Native;
using static AutoClassify.Native.NativeMethods;

namespace AutoClassify.Tensors;

// Element-wise maths, reductions, shape ops and autograd. Binary ops broadcast like PyTorch.
public sealed partial class Tensor
{
    Tensor Unary(UnaryOp op) => Wrap(TensorUnary(Handle, op));

    Tensor Binary(Tensor other, BinaryOp op)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(TensorBinary(Handle, other.Handle, op));
    }

    Tensor WithScalar(double value, ScalarOp op) => Wrap(TensorScalarOp(Handle, value, op));

    Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool keepDim) =>
        Wrap(TensorReduce(Handle, op, dims, dims.Length, keepDim ? 1 : 0));

    // ---- arithmetic -----------------------------------------------------------------------------

    public Tensor Add(Tensor other) => Binary(other, BinaryOp.Add);

    public Tensor Add(double value) => WithScalar(value, ScalarOp.Add);

    public Tensor Subtract(Tensor other) => Binary(other, BinaryOp.Sub);

    public Tensor Subtract(double value) => WithScalar(value, ScalarOp.Sub);

    public Tensor Multiply(Tensor other) => Binary(other, BinaryOp.Mul);

    public Tensor Multiply(double value) => WithScalar(value, ScalarOp.Mul);

    public Tensor Divide(Tensor other) => Binary(other, BinaryOp.Div);

    public Tensor Divide(double value) => WithScalar(value, ScalarOp.Div);

    public Tensor Negate() => Unary(UnaryOp.Neg);

    public Tensor Pow(double exponent) => WithScalar(exponent, ScalarOp.Pow);

    public Tensor Pow(Tensor exponent) => Binary(exponent, BinaryOp.Pow);

    /// <summary>Matrix product with PyTorch's broadcasting rules.</summary>
    public Tensor MatMul(Tensor other) => Binary(other, BinaryOp.MatMul);

    /// <summary>Element-wise maximum of two tensors.</summary>
    public Tensor Maximum(Tensor other) => Binary(other, BinaryOp.Maximum);

    /// <summary>Element-wise minimum of two tensors.</summary>
    public Tensor Minimum(Tensor other) => Binary(other, BinaryOp.Minimum);

    public static Tensor operator +(Tensor left, Tensor right) => NotNull(left).Add(right);

    public static Tensor operator +(Tensor left, double right) => NotNull(left).Add(right);

    public static Tensor operator +(double left, Tensor right) => NotNull(right).Add(left);

    public static Tensor operator -(Tensor left, Tensor right) => NotNull(left).Subtract(right);

    public static Tensor operator -(Tensor left, double right) => NotNull(left).Subtract(right);

    public static Tensor operator -(double left, Tensor right) => NotNull(right).WithScalar(left, ScalarOp.ReverseSub);

    public static Tensor operator *(Tensor left, Tensor right) => NotNull(left).Multiply(right);

    public static Tensor operator *(Tensor left, double right) => NotNull(left).Multiply(right);

    public static Tensor operator *(double left, Tensor right) => NotNull(right).Multiply(left);

    public static Tensor operator /(Tensor left, Tensor right) => NotNull(left).Divide(right);

    public static Tensor operator /(Tensor left, double right) => NotNull(left).Divide(right);

    public static Tensor operator /(double left, Tensor right) => NotNull(right).WithScalar(left, ScalarOp.ReverseDiv);

    public static Tensor operator -(Tensor tensor) => NotNull(tensor).Negate();

    static Tensor NotNull(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor;
    }

    // ---- element-wise functions -----------------------------------------------------------------

    public Tensor Abs() => Unary(UnaryOp.Abs);

    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);

    /// <summary>1 / sqrt(x).</summary>
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);

    public Tensor Exp() => Unary(UnaryOp.Exp);

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(UnaryOp.Log);

    public Tensor Square() => Unary(UnaryOp.Square);

    public Tensor Sign() => Unary(UnaryOp.Sign);

    public Tensor Floor() => Unary(UnaryOp.Floor);

    public Tensor Round() => Unary(UnaryOp.Round);

    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);

    public Tensor Tanh() => Unary(UnaryOp.Tanh);

    public Tensor Relu() => Unary(UnaryOp.Relu);

    /// <summary>min(max(x, 0), 6).</summary>
    public Tensor Relu6() => Unary(UnaryOp.Relu6);

    /// <summary>Limits values to [min, max]; a null bound is open.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null)
            throw new ArgumentException("Clamp needs at least one bound.", nameof(min));
        if (min is double low && double.IsNaN(low))
            throw new ArgumentOutOfRangeException(nameof(min), "The lower bound is NaN.");
        if (max is double high && double.IsNaN(high))
            throw new ArgumentOutOfRangeException(nameof(max), "The upper bound is NaN.");
        return Wrap(TensorClamp(Handle, min ?? 0, min is null ? 0 : 1, max ?? 0, max is null ? 0 : 1));
    }

    public Tensor Softmax(int dim) => Wrap(NNSoftmax(Handle, dim, 0));

    public Tensor LogSoftmax(int dim) => Wrap(NNSoftmax(Handle, dim, 1));

    // ---- comparisons (Bool results) -------------------------------------------------------------

    public Tensor Eq(Tensor other) => Binary(other, BinaryOp.Eq);

    public Tensor Eq(double value) => WithScalar(value, ScalarOp.Eq);

    public Tensor Ne(Tensor other) => Binary(other, BinaryOp.Ne);

    public Tensor Ne(double value) => WithScalar(value, ScalarOp.Ne);

    public Tensor Lt(Tensor other) => Binary(other, BinaryOp.Lt);

    public Tensor Lt(double value) => WithScalar(value, ScalarOp.Lt);

    public Tensor Le(Tensor other) => Binary(other, BinaryOp.Le);

    public Tensor Le(double value) => WithScalar(value, ScalarOp.Le);

    public Tensor Gt(Tensor other) => Binary(other, BinaryOp.Gt);

    public Tensor Gt(double value) => WithScalar(value, ScalarOp.Gt);

    public Tensor Ge(Tensor other) => Binary(other, BinaryOp.Ge);

    public Tensor Ge(double value) => WithScalar(value, ScalarOp.Ge);

    // ---- reductions -----------------------------------------------------------------------------

    /// <summary>Sum of all elements (rank 0).</summary>
    public Tensor Sum() => Reduce(ReduceOp.Sum, [], false);

    public Tensor Sum(int dim, bool keepDim = false) => Reduce(ReduceOp.Sum, [dim], keepDim);

    public Tensor Sum(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim);

    /// <summary>Mean of all elements (rank 0); needs a floating-point tensor.</summary>
    public Tensor Mean() => Reduce(ReduceOp.Mean, [], false);

    public Tensor Mean(int dim, bool keepDim = false) => Reduce(ReduceOp.Mean, [dim], keepDim);

    public Tensor Mean(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim);

    /// <summary>Largest element (rank 0).</summary>
    public Tensor Max() => Reduce(ReduceOp.Max, [], false);

    /// <summary>Largest values along a dimension (values only; see <see cref="ArgMax(int, bool)"/> for indices).</summary>
    public Tensor Max(int dim, bool keepDim = false) => Reduce(ReduceOp.Max, [dim], keepDim);

    /// <summary>Smallest element (rank 0).</summary>
    public Tensor Min() => Reduce(ReduceOp.Min, [], false);

    public Tensor Min(int dim, bool keepDim = false) => Reduce(ReduceOp.Min, [dim], keepDim);

    /// <summary>Index of the largest element of the flattened tensor.</summary>
    public Tensor ArgMax() => Wrap(TensorArgMax(Handle, 0, 0, 0));

    /// <summary>Indices (Int64) of the largest values along a dimension.</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => Wrap(TensorArgMax(Handle, dim, 1, keepDim ? 1 : 0));

    // ---- shape ----------------------------------------------------------------------------------

    /// <summary>A tensor with this data and a new shape (a view when possible); one size may be -1.</summary>
    public Tensor Reshape(params ReadOnlySpan<long> shape) => Wrap(TensorReshape(Handle, shape, shape.Length, 0));

    /// <summary>A view with a new shape; fails when the memory layout does not allow one.</summary>
    public Tensor View(params ReadOnlySpan<long> shape) => Wrap(TensorReshape(Handle, shape, shape.Length, 1));

    /// <summary>Reorders the dimensions (a view).</summary>
    public Tensor Permute(params ReadOnlySpan<long> dims) => Wrap(TensorPermute(Handle, dims, dims.Length));

    /// <summary>Broadcasts size-1 dimensions to the given sizes (-1 keeps one) without copying.</summary>
    public Tensor Expand(params ReadOnlySpan<long> shape) => Wrap(TensorExpand(Handle, shape, shape.Length));

    /// <summary>Reverses the order of elements along the given dimensions.</summary>
    public Tensor Flip(params ReadOnlySpan<long> dims) => Wrap(TensorFlip(Handle, dims, dims.Length));

    public Tensor Transpose(int dim0, int dim1) => Wrap(TensorTranspose(Handle, dim0, dim1));

    public Tensor Unsqueeze(int dim) => Wrap(TensorUnsqueeze(Handle, dim));

    /// <summary>Removes every dimension of size 1.</summary>
    public Tensor Squeeze() => Wrap(TensorSqueeze(Handle, 0, 0));

    /// <summary>Removes one dimension if its size is 1.</summary>
    public Tensor Squeeze(int dim) => Wrap(TensorSqueeze(Handle, dim, 1));

    /// <summary>Merges dimensions startDim..endDim into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1) => Wrap(TensorFlatten(Handle, startDim, endDim));

    /// <summary>The entries at the given Int64 indices along a dimension (a copy).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return Wrap(TensorIndexSelect(Handle, dim, index.Handle));
    }

    /// <summary>Entries start .. start+length-1 along a dimension (a view), e.g. a mini-batch along dim 0.</summary>
    public Tensor Narrow(int dim, long start, long length) => Wrap(TensorNarrow(Handle, dim, start, length));

    /// <summary>One entry along a dimension, which is removed (a view).</summary>
    public Tensor Select(int dim, long index) => Wrap(TensorSelect(Handle, dim, index));

    public Tensor Contiguous() => Unary(UnaryOp.Contiguous);

    /// <summary>A copy with its own storage that stays connected to the autograd graph.</summary>
    public Tensor Clone() => Unary(UnaryOp.Clone);

    /// <summary>The same storage, cut from the autograd graph.</summary>
    public Tensor Detach() => Unary(UnaryOp.Detach);

    public Tensor ZerosLike() => Unary(UnaryOp.ZerosLike);

    public Tensor OnesLike() => Unary(UnaryOp.OnesLike);

    /// <summary>Joins tensors along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => Join(tensors, dim, stack: false);

    /// <summary>Joins tensors along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0) => Join(tensors, dim, stack: true);

    static Tensor Join(IReadOnlyList<Tensor> tensors, int dim, bool stack)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("At least one tensor is needed.", nameof(tensors));
        using var pinned = new PinnedHandles(tensors);
        return Wrap(TensorCat(pinned.Pointers, pinned.Pointers.Length, dim, stack ? 1 : 0));
    }

    // ---- in place -------------------------------------------------------------------------------

    /// <summary>this += alpha * other.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1) => InPlace(other, alpha, InPlaceOp.Add);

    /// <summary>this -= alpha * other.</summary>
    public Tensor SubtractInPlace(Tensor other, double alpha = 1) => InPlace(other, alpha, InPlaceOp.Sub);

    public Tensor MultiplyInPlace(Tensor other) => InPlace(other, 1, InPlaceOp.Mul);

    public Tensor DivideInPlace(Tensor other) => InPlace(other, 1, InPlaceOp.Div);

    /// <summary>Copies the values of <paramref name="source"/> (broadcast, converted) into this tensor.</summary>
    public Tensor CopyFrom(Tensor source) => InPlace(source, 1, InPlaceOp.Copy);

    public Tensor AddInPlace(double value) => InPlaceScalar(value, InPlaceScalarOp.Add);

    public Tensor MultiplyInPlace(double value) => InPlaceScalar(value, InPlaceScalarOp.Mul);

    public Tensor Fill(double value) => InPlaceScalar(value, InPlaceScalarOp.Fill);

    public Tensor Zero() => InPlaceScalar(0, InPlaceScalarOp.Fill);

    /// <summary>Raises every value below <paramref name="min"/> to it (NaN stays NaN).</summary>
    public Tensor ClampMinInPlace(double min) => InPlaceScalar(min, InPlaceScalarOp.ClampMin);

    /// <summary><see cref="Relu"/> without a new tensor: one memory pass over this one's values.</summary>
    public Tensor ReluInPlace() => ClampMinInPlace(0);

    Tensor InPlace(Tensor other, double alpha, InPlaceOp op)
    {
        ArgumentNullException.ThrowIfNull(other);
        TensorInPlace(Handle, other.Handle, alpha, op);
        Check();
        return this;
    }

    Tensor InPlaceScalar(double value, InPlaceScalarOp op)
    {
        TensorInPlaceScalar(Handle, value, op);
        Check();
        return this;
    }

    /// <summary>Points this tensor at another's storage, keeping its identity (and its place in optimisers).</summary>
    internal void SetData(Tensor source)
    {
        TensorSetData(Handle, source.Handle);
        Check();
    }

    // ---- autograd -------------------------------------------------------------------------------

    /// <summary>Whether operations on this tensor are recorded for <see cref="Backward"/>.</summary>
    public bool RequiresGrad
    {
        get
        {
            var flag = TensorRequiresGrad(Handle);
            Check();
            return flag != 0;
        }
        set
        {
            TensorSetRequiresGrad(Handle, value ? 1 : 0);
            Check();
        }
    }

    /// <summary>True for tensors created by the user rather than by a recorded operation.</summary>
    public bool IsLeaf
    {
        get
        {
            var flag = TensorIsLeaf(Handle);
            Check();
            return flag != 0;
        }
    }

    /// <summary>The accumulated gradient (a new handle to it), or null before the first backward pass.</summary>
    public Tensor? Grad => WrapOptional(TensorGrad(Handle));

    /// <summary>Back-propagates from this tensor (a scalar unless <paramref name="gradient"/> is given).</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        TensorBackward(Handle, PointerOf(gradient), retainGraph ? 1 : 0);
        GC.KeepAlive(gradient);
        Check();
    }

    /// <summary>Sets the accumulated gradient to zero (when there is one).</summary>
    public void ZeroGrad()
    {
        TensorZeroGrad(Handle);
        Check();
    }
}

/// <summary>Keeps a list of tensors' native handles alive while their raw pointers are in use.</summary>
internal sealed class PinnedHandles : IDisposable
{
    readonly List<TensorHandle> held = [];

    internal PinnedHandles(IEnumerable<Tensor> tensors)
    {
        var pointers = new List<IntPtr>();
        try
        {
            foreach (var tensor in tensors)
            {
                ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
                var handle = tensor.Handle;
                var added = false;
                handle.DangerousAddRef(ref added);
                held.Add(handle);
                pointers.Add(handle.DangerousGetHandle());
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        Pointers = [.. pointers];
    }

    internal IntPtr[] Pointers { get; } = [];

    public void Dispose()
    {
        foreach (var handle in held)
            handle.DangerousRelease();
        held.Clear();
    }
}
