using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>P/Invoke entry points of the shim, one partial file per native area (mirrors native/src).</summary>
internal static partial class NativeMethods
{
    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_last_error")]
    internal static partial IntPtr LastError();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_free")]
    internal static partial void Free(IntPtr pointer);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_version")]
    internal static partial IntPtr Version();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_has_torch")]
    internal static partial int HasTorch();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_debug_throw", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int DebugThrow(string message);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_opencv_version")]
    internal static partial IntPtr OpenCvVersion();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_torch_version")]
    internal static partial IntPtr TorchVersion();
}
