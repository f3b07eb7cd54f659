using System.Globalization;
using System.Runtime.InteropServices;
using AutoClassify.Native;

namespace AutoClassify.Tensors;

/// <summary>
/// A libtorch tensor. Each instance owns one native handle: dispose it, or create it inside a
/// <see cref="DisposeScope"/> that will. Every operation returns a new tensor (which may share storage,
/// as views do); methods ending in <c>InPlace</c> modify this one.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    readonly TensorHandle handle;

    Tensor(TensorHandle handle)
    {
        this.handle = handle;
        DisposeScope.Current?.Add(this);
    }

    /// <summary>Native tensors created through this API and not yet disposed or finalised, on every thread.</summary>
    public static long LiveCount => TensorHandle.Live;

    /// <summary>Tensor handles alive on the native side (includes any created by the shim itself).</summary>
    public static long NativeLiveCount
    {
        get
        {
            var count = NativeMethods.TensorNativeLiveCount();
            NativeShim.CheckForErrors();
            return count;
        }
    }

    /// <summary>The scope that will dispose this tensor, or null when the caller owns it.</summary>
    public DisposeScope? Scope { get; internal set; }

    /// <summary>True once the native handle has been released.</summary>
    public bool IsDisposed => handle.IsClosed;

    internal TensorHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle;
        }
    }

    /// <summary>The raw pointer for calls that take optional tensors; the caller keeps <paramref name="tensor"/> alive.</summary>
    internal static IntPtr PointerOf(Tensor? tensor) => tensor is null ? IntPtr.Zero : tensor.Handle.DangerousGetHandle();

    /// <summary>Checks the last native call and wraps the handle it returned.</summary>
    internal static Tensor Wrap(IntPtr pointer)
    {
        NativeShim.CheckForErrors();
        if (pointer == IntPtr.Zero)
            throw new NativeException("libtorch returned no tensor.");
        return new Tensor(new TensorHandle(pointer));
    }

    /// <summary>As <see cref="Wrap"/>, but a null result (e.g. no gradient yet) is allowed.</summary>
    internal static Tensor? WrapOptional(IntPtr pointer)
    {
        NativeShim.CheckForErrors();
        return pointer == IntPtr.Zero ? null : new Tensor(new TensorHandle(pointer));
    }

    static void Check() => NativeShim.CheckForErrors();

    /// <summary>Releases the native handle now; safe to call twice.</summary>
    public void Dispose()
    {
        if (handle.IsClosed)
            return;
        Scope?.Remove(this);
        handle.Dispose();
    }

    /// <summary>Moves this tensor from its scope to the enclosing one (or to the caller when there is none).</summary>
    public Tensor MoveToOuterScope()
    {
        if (Scope is { } scope)
            MoveTo(scope.Outer);
        return this;
    }

    /// <summary>Takes this tensor out of every scope: the caller (or a module) now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Remove(this);
        return this;
    }

    internal void MoveTo(DisposeScope? target)
    {
        Scope?.Remove(this);
        target?.Add(this);
    }

    // ---- creation -------------------------------------------------------------------------------

    /// <summary>Copies managed values into a new CPU tensor of the given shape.</summary>
    public static unsafe Tensor From<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var dtype = ScalarTypes.Of<T>();
        CheckShape(shape);
        long count = 1;
        foreach (var size in shape)
            count *= size;
        if (count != data.Length)
            throw new ArgumentException($"Shape {FormatShape(shape)} holds {count} elements but {data.Length} values were given.", nameof(data));
        fixed (T* pointer = data)
            return Wrap(NativeMethods.TensorFromBuffer(pointer, (long)data.Length * sizeof(T), (int)dtype, shape, shape.Length));
    }

    /// <summary>Copies a managed array into a new CPU tensor of the given shape.</summary>
    public static Tensor FromArray<T>(T[] data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return From<T>(data, shape);
    }

    /// <summary>A one-element tensor of rank 0.</summary>
    public static Tensor Scalar(double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Factory(NativeMethods.FactoryKind.Full, [], value, dtype, device);

    public static Tensor Zeros(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Factory(NativeMethods.FactoryKind.Zeros, shape, 0, dtype, device);

    public static Tensor Ones(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Factory(NativeMethods.FactoryKind.Ones, shape, 0, dtype, device);

    /// <summary>A tensor whose values are whatever the allocator left there.</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Factory(NativeMethods.FactoryKind.Empty, shape, 0, dtype, device);

    public static Tensor Full(ReadOnlySpan<long> shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Factory(NativeMethods.FactoryKind.Full, shape, value, dtype, device);

    /// <summary>Standard normal samples from libtorch's generator (see <see cref="Torch.ManualSeed"/>).</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Factory(NativeMethods.FactoryKind.Randn, shape, 0, dtype, device);

    /// <summary>Uniform samples in [0, 1) from libtorch's generator.</summary>
    public static Tensor Rand(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Factory(NativeMethods.FactoryKind.Rand, shape, 0, dtype, device);

    /// <summary>Uniform integers in [low, high).</summary>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        CheckShape(shape);
        var where = device ?? Device.Cpu;
        return Wrap(NativeMethods.TensorRandInt(low, high, shape, shape.Length, (int)dtype, (int)where.Type, where.Index));
    }

    /// <summary>A random permutation of 0 .. n-1 (Int64).</summary>
    public static Tensor RandPerm(long n, Device? device = null)
    {
        var where = device ?? Device.Cpu;
        return Wrap(NativeMethods.TensorRandPerm(n, (int)where.Type, where.Index));
    }

    /// <summary>Values start, start + step, ... below end.</summary>
    public static Tensor Arange(double start, double end, double step = 1, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var where = device ?? Device.Cpu;
        return Wrap(NativeMethods.TensorArange(start, end, step, (int)dtype, (int)where.Type, where.Index));
    }

    static Tensor Factory(NativeMethods.FactoryKind kind, ReadOnlySpan<long> shape, double value, ScalarType dtype, Device? device)
    {
        CheckShape(shape);
        var where = device ?? Device.Cpu;
        return Wrap(NativeMethods.TensorFactory(kind, shape, shape.Length, value, (int)dtype, (int)where.Type, where.Index));
    }

    static void CheckShape(ReadOnlySpan<long> shape)
    {
        foreach (var size in shape)
        {
            if (size < 0)
                throw new ArgumentException($"Shape {FormatShape(shape)} has a negative size.", nameof(shape));
        }
    }

    // ---- inspection -----------------------------------------------------------------------------

    /// <summary>The sizes of every dimension (a fresh array).</summary>
    public long[] Shape
    {
        get
        {
            Span<long> sizes = stackalloc long[16];
            var rank = NativeMethods.TensorShape(Handle, sizes, sizes.Length);
            Check();
            if (rank <= sizes.Length)
                return sizes[..rank].ToArray();
            var all = new long[rank];
            NativeMethods.TensorShape(Handle, all, rank);
            Check();
            return all;
        }
    }

    /// <summary>The size of one dimension (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var shape = Shape;
        var index = dim < 0 ? dim + shape.Length : dim;
        if (index < 0 || index >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"Tensor has {shape.Length} dimensions.");
        return shape[index];
    }

    /// <summary>Number of dimensions.</summary>
    public int Dim
    {
        get
        {
            var rank = NativeMethods.TensorDim(Handle);
            Check();
            return rank;
        }
    }

    /// <summary>Number of elements.</summary>
    public long NumElements
    {
        get
        {
            var count = NativeMethods.TensorNumel(Handle);
            Check();
            return count;
        }
    }

    public ScalarType DType
    {
        get
        {
            var code = NativeMethods.TensorDType(Handle);
            Check();
            return (ScalarType)code;
        }
    }

    public Device Device
    {
        get
        {
            NativeMethods.TensorDevice(Handle, out var type, out var index);
            Check();
            return new Device((DeviceType)type, index);
        }
    }

    // ---- copies out -----------------------------------------------------------------------------

    /// <summary>Copies the values out (row-major). <typeparamref name="T"/> must match <see cref="DType"/>.</summary>
    public T[] ToArray<T>()
        where T : unmanaged
    {
        var result = new T[checked((int)NumElements)];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the values out as float32, converting from any element type.</summary>
    public float[] ToFloatArray()
    {
        if (DType == ScalarType.Float32)
            return ToArray<float>();
        using var converted = To(ScalarType.Float32);
        return converted.ToArray<float>();
    }

    /// <summary>Copies the values (row-major) into a span of exactly <see cref="NumElements"/> elements.</summary>
    public unsafe void CopyTo<T>(Span<T> destination)
        where T : unmanaged
    {
        var expected = ScalarTypes.Of<T>();
        var actual = DType;
        if (actual != expected)
            throw new InvalidOperationException($"The tensor holds {actual}, not {expected}; convert it with To(ScalarType.{expected}) first.");
        fixed (T* pointer = destination)
            NativeMethods.TensorCopyTo(Handle, pointer, (long)destination.Length * sizeof(T));
        Check();
    }

    /// <summary>Copies the raw bytes (any element type) into a buffer of exactly the tensor's byte size.</summary>
    internal unsafe void CopyRawTo(Span<byte> destination)
    {
        fixed (byte* pointer = destination)
            NativeMethods.TensorCopyTo(Handle, pointer, destination.Length);
        Check();
    }

    /// <summary>A new CPU tensor from raw little-endian bytes of the given element type.</summary>
    internal static unsafe Tensor FromRaw(ReadOnlySpan<byte> bytes, ScalarType dtype, ReadOnlySpan<long> shape)
    {
        CheckShape(shape);
        fixed (byte* pointer = bytes)
            return Wrap(NativeMethods.TensorFromBuffer(pointer, bytes.Length, (int)dtype, shape, shape.Length));
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double ToDouble()
    {
        var value = NativeMethods.TensorItemDouble(Handle);
        Check();
        return value;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float ToSingle() => (float)ToDouble();

    /// <summary>The value of a one-element tensor.</summary>
    public long ToInt64()
    {
        var value = NativeMethods.TensorItemInt64(Handle);
        Check();
        return value;
    }

    /// <summary>The values as PyTorch prints them.</summary>
    public string Format()
    {
        var text = NativeMethods.TensorToString(Handle);
        Check();
        try
        {
            return Marshal.PtrToStringUTF8(text) ?? "";
        }
        finally
        {
            NativeMethods.Free(text);
        }
    }

    public override string ToString() => IsDisposed
        ? "Tensor(disposed)"
        : string.Create(CultureInfo.InvariantCulture, $"Tensor({FormatShape(Shape)}, {DType}, {Device})");

    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }

    // ---- conversions ----------------------------------------------------------------------------

    /// <summary>This tensor's values as another element type (a new tensor even when the type is unchanged).</summary>
    public Tensor To(ScalarType dtype) => Wrap(NativeMethods.TensorTo(Handle, (int)dtype, -1, 0, 1));

    /// <summary>This tensor's values on another device.</summary>
    public Tensor To(Device device) => Wrap(NativeMethods.TensorTo(Handle, -1, (int)device.Type, device.Index, 1));

    public Tensor To(Device device, ScalarType dtype) => Wrap(NativeMethods.TensorTo(Handle, (int)dtype, (int)device.Type, device.Index, 1));
}
