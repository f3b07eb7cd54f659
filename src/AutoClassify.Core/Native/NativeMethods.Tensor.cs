using System.Runtime.InteropServices;

namespace AutoClassify.Native;

// Mirrors native/src/torch/tensor.cpp. Handles come back as IntPtr and are wrapped by Tensor.Wrap
// after the error check, so a failed call never produces a half-built SafeHandle.
internal static partial class NativeMethods
{
    internal enum FactoryKind
    {
        Zeros = 0,
        Ones = 1,
        Empty = 2,
        Full = 3,
        Randn = 4,
        Rand = 5,
    }

    internal enum UnaryOp
    {
        Neg = 0,
        Abs,
        Sqrt,
        Exp,
        Log,
        Relu,
        Relu6,
        Sigmoid,
        Tanh,
        Square,
        Clone,
        Detach,
        Contiguous,
        Floor,
        Round,
        Sign,
        ZerosLike,
        OnesLike,
        Rsqrt,
    }

    internal enum BinaryOp
    {
        Add = 0,
        Sub,
        Mul,
        Div,
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
        Pow,
        Maximum,
        Minimum,
        MatMul,
    }

    internal enum ScalarOp
    {
        Add = 0,
        Sub,
        Mul,
        Div,
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
        Pow,
        ReverseSub,
        ReverseDiv,
    }

    internal enum InPlaceOp
    {
        Add = 0,
        Sub,
        Mul,
        Div,
        Copy,
    }

    internal enum InPlaceScalarOp
    {
        Add = 0,
        Mul,
        Fill,
        ClampMin,
    }

    internal enum ReduceOp
    {
        Sum = 0,
        Mean,
        Max,
        Min,
    }

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_dispose")]
    internal static partial void TensorDispose(IntPtr tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_live_count")]
    internal static partial long TensorNativeLiveCount();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_from_buffer")]
    internal static unsafe partial IntPtr TensorFromBuffer(void* data, long byteCount, int dtype, ReadOnlySpan<long> shape, int ndim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_factory")]
    internal static partial IntPtr TensorFactory(FactoryKind kind, ReadOnlySpan<long> shape, int ndim, double value, int dtype, int deviceType, int deviceIndex);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_arange")]
    internal static partial IntPtr TensorArange(double start, double end, double step, int dtype, int deviceType, int deviceIndex);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_randint")]
    internal static partial IntPtr TensorRandInt(long low, long high, ReadOnlySpan<long> shape, int ndim, int dtype, int deviceType, int deviceIndex);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_randperm")]
    internal static partial IntPtr TensorRandPerm(long n, int deviceType, int deviceIndex);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_copy_to")]
    internal static unsafe partial int TensorCopyTo(TensorHandle tensor, void* destination, long byteCount);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_dtype")]
    internal static partial int TensorDType(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_dim")]
    internal static partial int TensorDim(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_shape")]
    internal static partial int TensorShape(TensorHandle tensor, Span<long> sizes, int capacity);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_numel")]
    internal static partial long TensorNumel(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_device")]
    internal static partial int TensorDevice(TensorHandle tensor, out int deviceType, out int deviceIndex);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_item_double")]
    internal static partial double TensorItemDouble(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_item_int64")]
    internal static partial long TensorItemInt64(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_to_string")]
    internal static partial IntPtr TensorToString(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_to")]
    internal static partial IntPtr TensorTo(TensorHandle tensor, int dtype, int deviceType, int deviceIndex, int copy);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_reshape")]
    internal static partial IntPtr TensorReshape(TensorHandle tensor, ReadOnlySpan<long> shape, int ndim, int view);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_permute")]
    internal static partial IntPtr TensorPermute(TensorHandle tensor, ReadOnlySpan<long> dims, int ndim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_expand")]
    internal static partial IntPtr TensorExpand(TensorHandle tensor, ReadOnlySpan<long> shape, int ndim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_flip")]
    internal static partial IntPtr TensorFlip(TensorHandle tensor, ReadOnlySpan<long> dims, int ndim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_transpose")]
    internal static partial IntPtr TensorTranspose(TensorHandle tensor, long dim0, long dim1);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_unsqueeze")]
    internal static partial IntPtr TensorUnsqueeze(TensorHandle tensor, long dim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_squeeze")]
    internal static partial IntPtr TensorSqueeze(TensorHandle tensor, long dim, int hasDim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_flatten")]
    internal static partial IntPtr TensorFlatten(TensorHandle tensor, long startDim, long endDim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_index_select")]
    internal static partial IntPtr TensorIndexSelect(TensorHandle tensor, long dim, TensorHandle index);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_narrow")]
    internal static partial IntPtr TensorNarrow(TensorHandle tensor, long dim, long start, long length);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_select")]
    internal static partial IntPtr TensorSelect(TensorHandle tensor, long dim, long index);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_cat")]
    internal static partial IntPtr TensorCat(ReadOnlySpan<IntPtr> tensors, int count, long dim, int stack);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_unary")]
    internal static partial IntPtr TensorUnary(TensorHandle tensor, UnaryOp op);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_binary")]
    internal static partial IntPtr TensorBinary(TensorHandle left, TensorHandle right, BinaryOp op);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_scalar_op")]
    internal static partial IntPtr TensorScalarOp(TensorHandle tensor, double value, ScalarOp op);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_inplace")]
    internal static partial int TensorInPlace(TensorHandle target, TensorHandle other, double alpha, InPlaceOp op);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_inplace_scalar")]
    internal static partial int TensorInPlaceScalar(TensorHandle target, double value, InPlaceScalarOp op);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_set_data")]
    internal static partial int TensorSetData(TensorHandle target, TensorHandle source);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_clamp")]
    internal static partial IntPtr TensorClamp(TensorHandle tensor, double min, int hasMin, double max, int hasMax);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_reduce")]
    internal static partial IntPtr TensorReduce(TensorHandle tensor, ReduceOp op, ReadOnlySpan<long> dims, int ndims, int keepdim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_argmax")]
    internal static partial IntPtr TensorArgMax(TensorHandle tensor, long dim, int hasDim, int keepdim);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_requires_grad")]
    internal static partial int TensorRequiresGrad(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_set_requires_grad")]
    internal static partial int TensorSetRequiresGrad(TensorHandle tensor, int requiresGrad);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_is_leaf")]
    internal static partial int TensorIsLeaf(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_backward")]
    internal static partial int TensorBackward(TensorHandle tensor, IntPtr gradient, int retainGraph);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_grad")]
    internal static partial IntPtr TensorGrad(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_tensor_zero_grad")]
    internal static partial int TensorZeroGrad(TensorHandle tensor);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_autocast_enter")]
    internal static partial IntPtr AutocastEnter(int dtype);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_autocast_exit")]
    internal static partial void AutocastExit(IntPtr scope);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_autograd_no_grad_enter")]
    internal static partial IntPtr AutogradNoGradEnter();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_autograd_no_grad_exit")]
    internal static partial void AutogradNoGradExit(IntPtr guard);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_autograd_is_enabled")]
    internal static partial int AutogradIsEnabled();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_torch_manual_seed")]
    internal static partial void TorchManualSeed(ulong seed);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_torch_set_num_threads")]
    internal static partial void TorchSetNumThreads(int threads);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_torch_get_num_threads")]
    internal static partial int TorchGetNumThreads();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_torch_cuda_is_available")]
    internal static partial int TorchCudaIsAvailable();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_torch_cuda_device_count")]
    internal static partial int TorchCudaDeviceCount();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_torch_parse_device", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TorchParseDevice(string text, out int deviceType, out int deviceIndex);
}
