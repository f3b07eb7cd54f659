using System.Runtime.InteropServices;

namespace AutoClassify.Native;

// Mirrors native/src/torch/optim.cpp. Parameter lists are raw tensor pointers; the caller keeps the
// owning Tensors alive for the duration of the call (the optimiser then holds its own references).
internal static partial class NativeMethods
{
    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_sgd_create")]
    internal static partial IntPtr OptimSgdCreate(ReadOnlySpan<IntPtr> parameters, int count, double lr, double momentum,
        double dampening, double weightDecay, int nesterov);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_adam_create")]
    internal static partial IntPtr OptimAdamCreate(ReadOnlySpan<IntPtr> parameters, int count, double lr, double beta1,
        double beta2, double eps, double weightDecay, int amsGrad, int decoupled);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_dispose")]
    internal static partial void OptimDispose(IntPtr optimizer);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_step")]
    internal static partial int OptimStep(OptimizerHandle optimizer);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_zero_grad")]
    internal static partial int OptimZeroGrad(OptimizerHandle optimizer);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_get_lr")]
    internal static partial double OptimGetLearningRate(OptimizerHandle optimizer);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_set_lr")]
    internal static partial int OptimSetLearningRate(OptimizerHandle optimizer, double lr);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_optim_clip_grad_norm")]
    internal static partial double OptimClipGradNorm(ReadOnlySpan<IntPtr> parameters, int count, double maxNorm, double normType);
}
