using System.Runtime.InteropServices;

namespace AutoClassify.Native;

/// <summary>Data-banner band analysis (native/src/image/banner.cpp).</summary>
internal static unsafe partial class NativeMethods
{
    internal const int LineBoxValueCount = 4;

    [LibraryImport(NativeLibraryLoader.ShimName, EntryPoint = "ac_banner_analyse_band")]
    internal static partial int BannerAnalyseBand(float* band, int width, int height, double background, double contrast,
        int minLineLength, int maxLineThickness, int* lineBoxes, int capacity, out int markCount);
}
