using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>Tesseract 5's C API (<c>tesseract/capi.h</c>), from Debian's libtesseract5: the banner's scale-bar label.</summary>
internal static unsafe partial class NativeMethods
{
    internal const int TessPageSegSparseText = 11;
    internal const int TessLevelWord = 3;

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPICreate")]
    internal static partial TesseractHandle TessCreate();

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPIDelete")]
    internal static partial void TessDelete(IntPtr handle);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPIInit3", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TessInit(TesseractHandle handle, string? dataPath, string language);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPISetVariable", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TessSetVariable(TesseractHandle handle, string name, string value);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPISetPageSegMode")]
    internal static partial void TessSetPageSegMode(TesseractHandle handle, int mode);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPISetImage")]
    internal static partial void TessSetImage(TesseractHandle handle, byte* data, int width, int height, int bytesPerPixel, int bytesPerLine);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPISetSourceResolution")]
    internal static partial void TessSetSourceResolution(TesseractHandle handle, int ppi);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPIRecognize")]
    internal static partial int TessRecognize(TesseractHandle handle, IntPtr monitor);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPIGetIterator")]
    internal static partial IntPtr TessGetIterator(TesseractHandle handle);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessBaseAPIClear")]
    internal static partial void TessClear(TesseractHandle handle);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessResultIteratorDelete")]
    internal static partial void TessResultIteratorDelete(IntPtr iterator);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessResultIteratorNext")]
    internal static partial int TessResultIteratorNext(IntPtr iterator, int level);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessResultIteratorGetUTF8Text")]
    internal static partial IntPtr TessResultIteratorText(IntPtr iterator, int level);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessResultIteratorConfidence")]
    internal static partial float TessResultIteratorConfidence(IntPtr iterator, int level);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessResultIteratorGetPageIteratorConst")]
    internal static partial IntPtr TessResultIteratorPage(IntPtr iterator);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessPageIteratorBoundingBox")]
    internal static partial int TessPageIteratorBoundingBox(IntPtr iterator, int level, out int left, out int top, out int right, out int bottom);

    [LibraryImport(NativeLibraryLoader.TesseractName, EntryPoint = "TessDeleteText")]
    internal static partial void TessDeleteText(IntPtr text);
}

/// <summary>Owns a <c>TessBaseAPI</c>; <c>TessBaseAPIDelete</c> on release.</summary>
internal sealed class TesseractHandle : SafeHandle
{
    public TesseractHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.TessDelete(handle);
        return true;
    }
}
