using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>libjpeg used directly (native/src/image/jpeg_check.cpp), so its warnings are counted per file, not printed.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_jpeg_decode_checked")]
    internal static partial DecodedImageHandle JpegDecodeChecked(byte* data, long length, int full, out int warnings, out IntPtr message, out int width, out int height);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_jpeg_decode_reduced")]
    internal static partial DecodedImageHandle JpegDecodeReduced(byte* data, long length, int factor, out int warnings, out IntPtr message, out int width, out int height);
}
