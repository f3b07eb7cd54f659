using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>An exception raised inside OpenCV or libtorch, carrying the native library's own message.</summary>
public sealed class NativeException(string message) : Exception(message);

/// <summary>Entry points for the shim that are not tied to one area.</summary>
public static partial class NativeShim
{
    /// <summary>Throws <see cref="NativeException"/> when the last call into the shim on this thread failed.</summary>
    public static void CheckForErrors()
    {
        var error = NativeMethods.LastError();
        if (error != IntPtr.Zero)
            throw new NativeException(Readable(Marshal.PtrToStringUTF8(error) ?? "unknown native error"));
    }

    /// <summary>
    /// A native message in the user's words: OpenCV's "OpenCV(4.6.0) file.cpp:77: error: (-215:Assertion failed) expr
    /// in function 'f'" loses its source location, assertion code and function, which mean nothing to a user.
    /// </summary>
    public static string Readable(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return OpenCvError().Replace(message, m => m.Groups["what"].Value.Trim() == "Assertion failed" || m.Groups["detail"].Value.Trim().Length == 0
            ? "the image library refused the data"
            : "the image library reported: " + m.Groups["detail"].Value.Trim()).Trim();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"OpenCV\([^)]*\)\s*\S+:\d+: error: \(-?\d+:(?<what>[^)]*)\)(?<detail>[^\r\n]*?)(?: in function '[^']*')?(?=\r?\n|$)")]
    private static partial System.Text.RegularExpressions.Regex OpenCvError();

    /// <summary>Copies a buffer the shim allocated into managed memory and frees the native copy.</summary>
    internal static byte[] TakeBuffer(IntPtr data, long length)
    {
        try
        {
            var bytes = new byte[length];
            Marshal.Copy(data, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            NativeMethods.Free(data);
        }
    }

    /// <summary>The shim's version string.</summary>
    public static string Version => Marshal.PtrToStringUTF8(NativeMethods.Version()) ?? "unknown";

    /// <summary>The OpenCV version the shim was built against.</summary>
    public static string OpenCvVersion => Marshal.PtrToStringUTF8(NativeMethods.OpenCvVersion()) ?? "unknown";

    /// <summary>The libtorch version the shim was built against, or null when built without it.</summary>
    public static string? TorchVersion => HasTorch ? Marshal.PtrToStringUTF8(NativeMethods.TorchVersion()) : null;

    /// <summary>True when the shim was built with libtorch (the CNN arm).</summary>
    public static bool HasTorch => NativeMethods.HasTorch() != 0;
}
