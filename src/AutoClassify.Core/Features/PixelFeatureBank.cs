using AutoClassify.Imaging;
using AutoClassify.Native;

namespace AutoClassify.Features;

/// <summary>
/// ilastik's pixel feature bank: the raw image, then at each scale σ the Gaussian-smoothed image, its gradient
/// magnitude, Laplacian of Gaussian, the two structure-tensor eigenvalues (integrated at σ/2) and the two Hessian
/// eigenvalues, computed by OpenCV in the shim.
/// </summary>
public static class PixelFeatureBank
{
    /// <summary>ilastik's default scales without the smallest and largest (0.3 and 10 px).</summary>
    public static IReadOnlyList<double> DefaultScales { get; } = [0.7, 1.0, 1.6, 3.5, 5.0];

    /// <summary>Feature planes for <paramref name="scaleCount"/> scales.</summary>
    public static int Count(int scaleCount)
    {
        var count = NativeMethods.PixelFeatureCount(scaleCount);
        NativeShim.CheckForErrors();
        return count;
    }

    /// <summary>All planes, plane-major: <c>result[f * W * H + y * W + x]</c>.</summary>
    public static unsafe float[] Compute(GrayImage image, IReadOnlyList<double> scales)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(scales);
        var s = scales.ToArray();
        var planes = Count(s.Length);
        var output = new float[checked((long)planes * image.Width * image.Height)];
        fixed (float* pixels = image.Pixels)
        fixed (double* sp = s)
        fixed (float* o = output)
            NativeMethods.PixelFeatures(pixels, image.Width, image.Height, sp, s.Length, o, output.LongLength);
        NativeShim.CheckForErrors();
        return output;
    }
}
