using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>
/// Finds the native engines: the project's own shim (OpenCV + libtorch), Debian's LIBSVM and Tesseract (banner OCR).
/// When one cannot load, the exception lists every path tried and the apt package that fixes it.
/// </summary>
public static class NativeLibraryLoader
{
    internal const string ShimName = "AutoClassifyNative";
    internal const string LibSvmName = "svm";
    internal const string TesseractName = "tesseract";
    const string ShimFile = "libAutoClassifyNative.so";

    /// <summary>Environment variable that points at a specific build of the shim.</summary>
    public const string ShimPathVariable = "AUTOCLASSIFY_NATIVE";

    // A library-level resolver must be in place before the first P/Invoke, wherever the host starts.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Registers the DllImport resolver for this assembly.")]
    [ModuleInitializer]
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        ShimName => LoadShim(),
        LibSvmName => LoadFirst(["libsvm.so.3", "/usr/lib/x86_64-linux-gnu/libsvm.so.3", "libsvm.so"], "LIBSVM",
            "Install it with: apt-get install libsvm3 (or run scripts/install-deps.sh)."),
        TesseractName => LoadFirst(["libtesseract.so.5", "/usr/lib/x86_64-linux-gnu/libtesseract.so.5", "libtesseract.so"], "Tesseract OCR",
            "Install it with: apt-get install libtesseract5 tesseract-ocr-eng (or run scripts/install-deps.sh)."),
        _ => IntPtr.Zero,
    };

    // The shim brings libtorch, whose batches allocate and free tens of megabytes each: tune the allocator first.
    static IntPtr LoadShim()
    {
        var handle = LoadFirst(ShimCandidates(), ShimName,
            "Build it with scripts/build.sh (needs the Debian packages cmake, g++, libopencv-dev and libtorch-dev: run scripts/install-deps.sh).");
        HeapTuning.ApplyOnce();
        return handle;
    }

    static IEnumerable<string> ShimCandidates()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(ShimPathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            yield return fromEnvironment;
        yield return Path.Combine(AppContext.BaseDirectory, ShimFile);
        // A source checkout: walk up to the repository and use native/build.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "native", "build", ShimFile);
            if (File.Exists(candidate))
            {
                yield return candidate;
                yield break;
            }
        }
    }

    static IntPtr LoadFirst(IEnumerable<string> candidates, string what, string remedy)
    {
        var failures = new List<string>();
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
            failures.Add(candidate + (Path.IsPathRooted(candidate) && !File.Exists(candidate) ? " (not found)" : " (failed to load)"));
        }
        throw new DllNotFoundException(
            $"Could not load the {what} native library. Tried:{Environment.NewLine}  " +
            string.Join(Environment.NewLine + "  ", failures) + Environment.NewLine + remedy);
    }
}
