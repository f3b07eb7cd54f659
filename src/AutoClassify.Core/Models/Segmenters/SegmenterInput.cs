using AutoClassify.Imaging;
using AutoClassify.Segmentation;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// A micrograph as a segmentation network sees it: grey in [0, 1] after optional local contrast normalisation, with
/// the whole image's mean and standard deviation, by which every patch or tile of it is standardised (so a tile's
/// input does not depend on where the tile lies).
/// </summary>
internal sealed class SegmenterInput
{
    SegmenterInput(float[] pixels, int width, int height, float mean, float deviation)
    {
        Pixels = pixels;
        Width = width;
        Height = height;
        Mean = mean;
        Deviation = deviation;
    }

    public float[] Pixels { get; }

    public int Width { get; }

    public int Height { get; }

    public float Mean { get; }

    public float Deviation { get; }

    public static SegmenterInput Prepare(GrayImage image, double? localContrastSigma)
    {
        ArgumentNullException.ThrowIfNull(image);
        var source = localContrastSigma is { } sigma ? SegmentationOps.LocalNormalize(image, sigma) : image;
        // Only read from here on, so the image's own pixels serve without a copy.
        var pixels = source.Pixels;
        double sum = 0, squares = 0;
        foreach (var p in pixels)
        {
            sum += p;
            squares += (double)p * p;
        }
        var mean = sum / pixels.Length;
        var variance = Math.Max(0, (squares / pixels.Length) - (mean * mean));
        // A flat image keeps a unit scale instead of dividing by zero.
        var deviation = variance > 1e-10 ? Math.Sqrt(variance) : 1;
        return new SegmenterInput(pixels, image.Width, image.Height, (float)mean, (float)deviation);
    }

    /// <summary>
    /// Copies the size × size window at (left, top) into <paramref name="destination"/>, mirroring (edge not repeated)
    /// wherever the window leaves the image, however far; standardised when asked.
    /// </summary>
    public void CopyWindow(int left, int top, int size, Span<float> destination, bool standardise) =>
        CopyWindow(left, top, size, size, destination, standardise);

    /// <summary>The same for a <paramref name="width"/> × <paramref name="height"/> window.</summary>
    public void CopyWindow(int left, int top, int width, int height, Span<float> destination, bool standardise)
    {
        var scale = standardise ? 1 / Deviation : 1;
        var shift = standardise ? Mean : 0;
        // Columns inside the image are copied as a run; only the mirrored ends look their source up.
        int inside0 = Math.Clamp(-left, 0, width), inside1 = Math.Clamp(Width - left, inside0, width);
        for (var y = 0; y < height; y++)
        {
            var row = Mirror(top + y, Height) * Width;
            var target = destination.Slice(y * width, width);
            for (var x = 0; x < inside0; x++)
                target[x] = (Pixels[row + Mirror(left + x, Width)] - shift) * scale;
            if (inside1 > inside0)
            {
                var source = Pixels.AsSpan(row + left + inside0, inside1 - inside0);
                var middle = target[inside0..inside1];
                for (var x = 0; x < source.Length; x++)
                    middle[x] = (source[x] - shift) * scale;
            }
            for (var x = inside1; x < width; x++)
                target[x] = (Pixels[row + Mirror(left + x, Width)] - shift) * scale;
        }
    }

    /// <summary>The same window of a per-pixel label array of this image's size.</summary>
    public void CopyWindow(ReadOnlySpan<byte> labels, int left, int top, int size, Span<long> destination)
    {
        for (var y = 0; y < size; y++)
        {
            var row = Mirror(top + y, Height) * Width;
            var target = destination.Slice(y * size, size);
            for (var x = 0; x < size; x++)
                target[x] = labels[row + Mirror(left + x, Width)];
        }
    }

    /// <summary>Reflects an index into [0, n) without repeating the edge (OpenCV's BORDER_REFLECT_101), periodically.</summary>
    public static int Mirror(int i, int n)
    {
        if (n == 1)
            return 0;
        var period = 2 * (n - 1);
        var m = i % period;
        if (m < 0)
            m += period;
        return m < n ? m : period - m;
    }
}
