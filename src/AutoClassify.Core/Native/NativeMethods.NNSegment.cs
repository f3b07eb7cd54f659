using System.Runtime.InteropServices;

namespace AutoClassify.Native;

// Mirrors native/src/torch/nn_segment.cpp: the decoder-side kernels of segmentation networks.
internal static partial class NativeMethods
{
    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_conv_transpose2d")]
    internal static partial IntPtr NNConvTranspose2d(TensorHandle input, TensorHandle weight, IntPtr bias,
        ReadOnlySpan<long> stride, ReadOnlySpan<long> padding, ReadOnlySpan<long> outputPadding, ReadOnlySpan<long> dilation, long groups);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_interpolate")]
    internal static partial IntPtr NNInterpolate(TensorHandle input, long height, long width, int mode, int alignCorners);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_pad2d")]
    internal static partial IntPtr NNPad2d(TensorHandle input, long left, long right, long top, long bottom, int mode, double value);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_group_norm")]
    internal static partial IntPtr NNGroupNorm(TensorHandle input, long groups, IntPtr weight, IntPtr bias, double eps);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_nn_one_hot")]
    internal static partial IntPtr NNOneHot(TensorHandle indices, long classes);
}
