using System.Runtime.InteropServices;

namespace AutoClassify.Native;

// Mirrors native/src/torch/nn.cpp. Optional tensors (bias, class weights, running stats) are passed
// as raw pointers so that "absent" can be IntPtr.Zero; callers keep the owning Tensor alive.
internal static partial class NativeMethods
{
    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_conv2d")]
    internal static partial IntPtr NNConv2d(TensorHandle input, TensorHandle weight, IntPtr bias,
        ReadOnlySpan<long> stride, ReadOnlySpan<long> padding, ReadOnlySpan<long> dilation, long groups);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_batch_norm")]
    internal static partial IntPtr NNBatchNorm(TensorHandle input, IntPtr weight, IntPtr bias, IntPtr runningMean,
        IntPtr runningVar, IntPtr numBatchesTracked, int training, double momentum, double eps);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_linear")]
    internal static partial IntPtr NNLinear(TensorHandle input, TensorHandle weight, IntPtr bias);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_max_pool2d")]
    internal static partial IntPtr NNMaxPool2d(TensorHandle input, ReadOnlySpan<long> kernel, ReadOnlySpan<long> stride,
        ReadOnlySpan<long> padding, ReadOnlySpan<long> dilation, int ceilMode);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_avg_pool2d")]
    internal static partial IntPtr NNAvgPool2d(TensorHandle input, ReadOnlySpan<long> kernel, ReadOnlySpan<long> stride,
        ReadOnlySpan<long> padding, int ceilMode, int countIncludePad);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_adaptive_avg_pool2d")]
    internal static partial IntPtr NNAdaptiveAvgPool2d(TensorHandle input, long height, long width);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_dropout")]
    internal static partial IntPtr NNDropout(TensorHandle input, double p, int training);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_softmax")]
    internal static partial IntPtr NNSoftmax(TensorHandle input, long dim, int log);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_cross_entropy")]
    internal static partial IntPtr NNCrossEntropy(TensorHandle logits, TensorHandle targets, IntPtr classWeights,
        double labelSmoothing, int reduction);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_mse_loss")]
    internal static partial IntPtr NNMseLoss(TensorHandle input, TensorHandle target, int reduction);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_affine_grid")]
    internal static partial IntPtr NNAffineGrid(TensorHandle theta, ReadOnlySpan<long> size, int ndim, int alignCorners);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_grid_sample")]
    internal static partial IntPtr NNGridSample(TensorHandle input, TensorHandle grid, int mode, int padding, int alignCorners);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_init_uniform")]
    internal static partial int InitUniform(TensorHandle tensor, double low, double high);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_init_normal")]
    internal static partial int InitNormal(TensorHandle tensor, double mean, double std);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_init_constant")]
    internal static partial int InitConstant(TensorHandle tensor, double value);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_init_kaiming")]
    internal static partial int InitKaiming(TensorHandle tensor, double slope, int mode, int nonlinearity, int uniform);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_init_xavier")]
    internal static partial int InitXavier(TensorHandle tensor, double gain, int uniform);
}
