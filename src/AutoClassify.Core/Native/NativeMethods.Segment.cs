using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>Particle-segmentation half of the OpenCV shim (native/src/image/segment.cpp).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_clahe")]
    internal static partial void ImageClahe(float* source, int width, int height, float* destination, double clipLimit, int tilesX, int tilesY);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_local_normalize")]
    internal static partial void ImageLocalNormalize(float* source, int width, int height, float* destination, double sigma);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_h_maxima")]
    internal static partial void ImageHMaxima(float* values, int width, int height, double h, byte* markers);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_watershed")]
    internal static partial void ImageWatershed(float* image, int width, int height, int* labels);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_instance_seeds")]
    internal static partial int InstanceSeeds(byte* foreground, float* interior, float threshold, int width, int height, int* labels);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_instance_flood_ground")]
    internal static partial int InstanceFloodGround(byte* foreground, float* boundary, int width, int height, int* regions, byte* relief);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_instance_flood")]
    internal static partial int InstanceFlood(byte* foreground, int* regions, int regionCount, byte* relief, int* seedLabels, int* seedAreas, int seedCount,
        int width, int height, int minSeedArea, int* objects);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_labels_find_contours")]
    internal static partial ContourSetHandle LabelsFindContours(int* labels, int width, int height, int labelCount);

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_image_encode_rgb")]
    internal static partial void ImageEncodeRgb(byte* rgb, int width, int height, out IntPtr data, out long length);
}
