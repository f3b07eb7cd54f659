using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>OpenCV half of the shim (native/src/image). Images are float32 grey, masks bytes 0/1.</summary>
internal static unsafe partial class NativeMethods
{
    internal const int ComponentStatCount = 7;
    internal const int ContourStatCount = 4;
    internal const int MomentCount = 24;

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_decode")]
    internal static partial DecodedImageHandle ImageDecode(byte* data, long length, out int width, out int height, out int bitDepth);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_copy_pixels")]
    internal static partial void ImageCopyPixels(DecodedImageHandle handle, float* destination, long count);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_free")]
    internal static partial void ImageFree(IntPtr handle);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_encode", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void ImageEncode(float* pixels, int width, int height, string extension, int bitDepth, int jpegQuality, out IntPtr data, out long length);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_set_num_threads")]
    internal static partial void ImageSetNumThreads(int threads);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_get_num_threads")]
    internal static partial int ImageGetNumThreads();

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_resize")]
    internal static partial void ImageResize(float* source, int width, int height, float* destination, int newWidth, int newHeight, int interpolation);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_gaussian_blur")]
    internal static partial void ImageGaussianBlur(float* source, int width, int height, float* destination, double sigma);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_threshold_otsu")]
    internal static partial void ImageThresholdOtsu(float* source, int width, int height, byte* mask, int invert, out double threshold);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_adaptive_threshold")]
    internal static partial void ImageAdaptiveThreshold(float* source, int width, int height, byte* mask, int method, int blockSize, double c, int invert);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_mask_morphology")]
    internal static partial void MaskMorphology(byte* source, int width, int height, byte* destination, int operation, int shape, int kernelSize, int iterations);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_mask_fill_holes")]
    internal static partial void MaskFillHoles(byte* source, int width, int height, byte* destination);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_mask_connected_components")]
    internal static partial int MaskConnectedComponents(byte* mask, int width, int height, int connectivity, int* labels, double* stats, int capacity);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_mask_find_contours")]
    internal static partial ContourSetHandle MaskFindContours(byte* mask, int width, int height);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_contours_count")]
    internal static partial int ContoursCount(ContourSetHandle handle);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_contours_point_total")]
    internal static partial long ContoursPointTotal(ContourSetHandle handle);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_contours_copy")]
    internal static partial void ContoursCopy(ContourSetHandle handle, double* stats, int* offsets, int* points);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_contours_free")]
    internal static partial void ContoursFree(IntPtr handle);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_moments")]
    internal static partial void ImageMoments(float* source, int width, int height, double* moments);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_mask_moments")]
    internal static partial void MaskMoments(byte* mask, int width, int height, double* moments);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_mask_distance_transform")]
    internal static partial void MaskDistanceTransform(byte* mask, int width, int height, int borderIsBackground, float* distances);
}

/// <summary>A decoded image held by OpenCV until its pixels are copied out.</summary>
internal sealed class DecodedImageHandle : Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid
{
    public DecodedImageHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ImageFree(handle);
        return true;
    }
}

/// <summary>The external contours of a mask, held natively until copied out.</summary>
internal sealed class ContourSetHandle : Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid
{
    public ContourSetHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ContoursFree(handle);
        return true;
    }
}
