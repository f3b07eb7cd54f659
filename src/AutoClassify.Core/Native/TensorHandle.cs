using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>Owns one native <c>at::Tensor*</c>; releasing it frees the handle (not necessarily the storage).</summary>
internal sealed class TensorHandle : SafeHandle
{
    static long live;

    internal TensorHandle(IntPtr pointer)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(pointer);
        Interlocked.Increment(ref live);
    }

    /// <summary>Handles created and not yet released, on every thread.</summary>
    internal static long Live => Interlocked.Read(ref live);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.TensorDispose(handle);
        Interlocked.Decrement(ref live);
        return true;
    }
}

/// <summary>Owns one native libtorch optimiser.</summary>
internal sealed class OptimizerHandle : SafeHandle
{
    internal OptimizerHandle(IntPtr pointer)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(pointer);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.OptimDispose(handle);
        return true;
    }
}
