using System.Runtime.InteropServices;
using AutoClassify.Imaging;
using AutoClassify.Native;
using AutoClassify.Preprocessing;

namespace AutoClassify.Segmentation;

/// <summary>
/// OpenCV operations for particle segmentation that <see cref="ImageOps"/> lacks: CLAHE, local mean/std
/// normalisation, h-maxima seeds, marker-based watershed and per-label contours. Inputs are never modified.
/// </summary>
public static unsafe class SegmentationOps
{
    /// <summary>Contrast-limited adaptive histogram equalisation on the 8-bit quantised image.</summary>
    public static GrayImage Clahe(GrayImage image, double clipLimit = 2.0, int tilesX = 8, int tilesY = 8)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(clipLimit > 0) || !double.IsFinite(clipLimit))
            throw new ArgumentOutOfRangeException(nameof(clipLimit), clipLimit, "Clip limit must be a positive number.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tilesX);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tilesY);
        var result = new GrayImage(image.Width, image.Height);
        fixed (float* source = image.Pixels)
        fixed (float* destination = result.Pixels)
            NativeMethods.ImageClahe(source, image.Width, image.Height, destination, clipLimit, tilesX, tilesY);
        NativeShim.CheckForErrors();
        return result;
    }

    /// <summary>
    /// Local z-score over a Gaussian window of <paramref name="sigma"/> pixels, mapped to [0, 1] as 0.5 + z / 6
    /// (so ±3 local standard deviations fill the range) and clipped.
    /// </summary>
    public static GrayImage LocalNormalize(GrayImage image, double sigma)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(sigma > 0) || !double.IsFinite(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Sigma must be a positive number of pixels.");
        var result = new GrayImage(image.Width, image.Height);
        fixed (float* source = image.Pixels)
        fixed (float* destination = result.Pixels)
            NativeMethods.ImageLocalNormalize(source, image.Width, image.Height, destination, sigma);
        NativeShim.CheckForErrors();
        return result;
    }

    /// <summary>
    /// Seeds from the h-maxima transform of <paramref name="values"/> (row-major, e.g. a distance transform):
    /// the plateaus, among pixels with a positive value, that rise at least <paramref name="h"/> above the saddle
    /// to any higher plateau. Every positive blob gets at least one seed.
    /// </summary>
    public static BinaryMask HMaxima(ReadOnlySpan<float> values, int width, int height, double h)
    {
        if (!(h > 0) || !double.IsFinite(h))
            throw new ArgumentOutOfRangeException(nameof(h), h, "h must be a positive number.");
        CheckLength(values.Length, width, height, nameof(values));
        var markers = new BinaryMask(width, height);
        fixed (float* source = values)
        fixed (byte* destination = markers.Data)
            NativeMethods.ImageHMaxima(source, width, height, h, destination);
        NativeShim.CheckForErrors();
        return markers;
    }

    /// <summary>
    /// Marker-based watershed (OpenCV) flooding <paramref name="image"/>'s grey-level relief. <paramref name="markers"/>
    /// holds 0 for unknown pixels and positive seed labels; the result labels every pixel with its basin, −1 on
    /// the one-pixel lines where basins meet.
    /// </summary>
    public static int[] Watershed(GrayImage image, ReadOnlySpan<int> markers)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckLength(markers.Length, image.Width, image.Height, nameof(markers));
        var labels = markers.ToArray();
        fixed (float* source = image.Pixels)
        fixed (int* output = labels)
            NativeMethods.ImageWatershed(source, image.Width, image.Height, output);
        NativeShim.CheckForErrors();
        return labels;
    }

    /// <summary>
    /// The outer contour of each label 1..<paramref name="labelCount"/> of a label image (0 or negative =
    /// background): element i belongs to label i + 1, empty when the label has no pixel.
    /// </summary>
    public static IReadOnlyList<Contour> LabelContours(ReadOnlySpan<int> labels, int width, int height, int labelCount)
    {
        CheckLength(labels.Length, width, height, nameof(labels));
        ArgumentOutOfRangeException.ThrowIfNegative(labelCount);
        ContourSetHandle handle;
        fixed (int* source = labels)
            handle = NativeMethods.LabelsFindContours(source, width, height, labelCount);
        return ImageOps.ReadContours(handle);
    }

    /// <summary>Encodes interleaved 8-bit RGB (3 bytes per pixel, row-major) as a PNG file's bytes.</summary>
    public static byte[] EncodeRgbPng(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (rgb.Length != 3L * width * height)
            throw new ArgumentException($"Expected 3 x {width}x{height} bytes, got {rgb.Length}.", nameof(rgb));
        IntPtr data;
        long length;
        fixed (byte* source = rgb)
            NativeMethods.ImageEncodeRgb(source, width, height, out data, out length);
        NativeShim.CheckForErrors();
        return NativeShim.TakeBuffer(data, length);
    }

    static void CheckLength(int length, int width, int height, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} = {(long)width * height} values, got {length}.", name);
    }
}
