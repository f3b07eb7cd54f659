using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>Pixel features and OpenCV's random forest (native/src/image/forest.cpp) and label decoding (labels.cpp).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_pixel_feature_count")]
    internal static partial int PixelFeatureCount(int scaleCount);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_pixel_features")]
    internal static partial void PixelFeatures(float* pixels, int width, int height, double* scales, int scaleCount, float* output, long outputLength);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_forest_train")]
    internal static partial ForestHandle ForestTrain(float* samples, int rows, int columns, int* labels, int classes,
        int treeCount, int maxDepth, int minSampleCount, int activeVariables, ulong seed);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_forest_predict")]
    internal static partial void ForestPredict(ForestHandle handle, float* samples, int rows, int columns, float* probabilities);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_forest_save")]
    internal static partial IntPtr ForestSave(ForestHandle handle, out long length);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_forest_load")]
    internal static partial ForestHandle ForestLoad(byte* text, long length, int classes, int features);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_forest_free")]
    internal static partial void ForestFree(IntPtr handle);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_decode_labels")]
    internal static partial DecodedImageHandle ImageDecodeLabels(byte* data, long length, out int width, out int height, out int bitDepth, out int channels);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_copy_labels")]
    internal static partial void ImageCopyLabels(DecodedImageHandle handle, int* destination, long count);
}

/// <summary>A trained OpenCV random forest held natively.</summary>
internal sealed class ForestHandle : Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid
{
    public ForestHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ForestFree(handle);
        return true;
    }
}
