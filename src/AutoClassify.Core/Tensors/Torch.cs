using AutoClassify.Native;

namespace AutoClassify.Tensors;

/// <summary>Process-wide libtorch settings: random seed, CPU threads, devices, gradient mode.</summary>
public static class Torch
{
    /// <summary>Seeds libtorch's generators (CPU and, when present, CUDA): Randn, Rand, dropout and init repeat.</summary>
    public static void ManualSeed(long seed)
    {
        NativeMethods.TorchManualSeed(unchecked((ulong)seed));
        NativeShim.CheckForErrors();
    }

    /// <summary>Threads libtorch uses inside one operation (process-wide).</summary>
    public static int Threads
    {
        get
        {
            var threads = NativeMethods.TorchGetNumThreads();
            NativeShim.CheckForErrors();
            return threads;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            NativeMethods.TorchSetNumThreads(value);
            NativeShim.CheckForErrors();
        }
    }

    /// <summary>True when libtorch was built with CUDA and a GPU is visible.</summary>
    public static bool CudaIsAvailable
    {
        get
        {
            var available = NativeMethods.TorchCudaIsAvailable();
            NativeShim.CheckForErrors();
            return available != 0;
        }
    }

    public static int CudaDeviceCount
    {
        get
        {
            var count = NativeMethods.TorchCudaDeviceCount();
            NativeShim.CheckForErrors();
            return count;
        }
    }

    /// <summary>CUDA device 0 when available, else the CPU.</summary>
    public static Device DefaultDevice => CudaIsAvailable ? Device.Cuda(0) : Device.Cpu;

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (see <see cref="Device.Parse"/>).</summary>
    public static Device ParseDevice(string text) => Device.Parse(text);

    /// <summary>Whether autograd records operations on the calling thread.</summary>
    public static bool IsGradEnabled
    {
        get
        {
            var enabled = NativeMethods.AutogradIsEnabled();
            NativeShim.CheckForErrors();
            return enabled != 0;
        }
    }

    /// <summary>Stops autograd recording on this thread until the result is disposed (<c>using (Torch.NoGrad())</c>).</summary>
    public static NoGrad NoGrad() => new();

    /// <summary>
    /// Runs libtorch's lower-precision operations (convolutions, matrix products; not transposed convolutions, which
    /// libtorch 1.13's CPU list lacks) on this thread in <paramref name="type"/> until the result is disposed: CPU
    /// autocast, as <c>torch.autocast("cpu", dtype)</c>.
    /// </summary>
    public static Autocast Autocast(ScalarType type) => new(type);
}

/// <summary>
/// While alive, the operations libtorch's CPU autocast lists for lower precision (convolutions and matrix products;
/// in libtorch 1.13 not transposed convolutions) run on the creating thread in the chosen type; their gradients
/// follow. Dispose it on the same thread, innermost first; the outermost end drops autocast's cast copies of the
/// weights, so an optimiser step between two scopes is seen by the next.
/// </summary>
public sealed class Autocast : IDisposable
{
    IntPtr scope;

    public Autocast(ScalarType type)
    {
        scope = NativeMethods.AutocastEnter((int)type);
        NativeShim.CheckForErrors();
    }

    public void Dispose()
    {
        if (scope == IntPtr.Zero)
            return;
        NativeMethods.AutocastExit(scope);
        scope = IntPtr.Zero;
        NativeShim.CheckForErrors();
    }
}

/// <summary>
/// While alive, operations on the creating thread are not recorded by autograd (inference, weight
/// updates by hand). Dispose it on the same thread; nested guards must end innermost first.
/// </summary>
public sealed class NoGrad : IDisposable
{
    IntPtr guard;

    public NoGrad()
    {
        guard = NativeMethods.AutogradNoGradEnter();
        NativeShim.CheckForErrors();
    }

    public void Dispose()
    {
        if (guard == IntPtr.Zero)
            return;
        NativeMethods.AutogradNoGradExit(guard);
        guard = IntPtr.Zero;
        NativeShim.CheckForErrors();
    }
}
