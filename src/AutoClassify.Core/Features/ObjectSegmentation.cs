using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Features;

/// <summary>How the object mask for a crop was obtained.</summary>
public enum SegmentationMethod
{
    /// <summary>The caller supplied a mask with at least one inside pixel.</summary>
    GivenMask,

    /// <summary>Otsu segmentation found an object near the crop centre.</summary>
    Otsu,

    /// <summary>Nothing usable was found (flat crop, empty given mask): a centred disk of radius min(w, h) / 4 stands in.</summary>
    FallbackDisk,
}

/// <summary>An object mask and how it was found.</summary>
public sealed record SegmentationResult(BinaryMask Mask, SegmentationMethod Method);

/// <summary>
/// Segments the object in the middle of a crop when no mask is given: Gaussian smoothing, Otsu's
/// threshold, polarity chosen so that most of the crop border is background (the object may be darker or
/// brighter than its surroundings), a morphological close, hole filling (so a ring-shaped membrane
/// becomes a filled disk), a morphological open against specks, and finally the connected component
/// that contains the crop centre, or else whose centroid is nearest to it.
/// </summary>
public static class ObjectSegmentation
{
    /// <summary>Smallest component kept, as a fraction of the crop's pixels (and never below 4 pixels).</summary>
    public const double MinimumObjectFraction = 0.002;

    /// <summary>Segments the central object of <paramref name="image"/>.</summary>
    public static SegmentationResult Segment(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var workspace = FeatureWorkspace.Current;
        workspace.Ensure(image.Pixels.Length);
        var mask = new BinaryMask(image.Width, image.Height);
        var method = SegmentInto(image, mask.Data, workspace);
        return new SegmentationResult(mask, method);
    }

    /// <summary>Writes the central object's 0/1 mask into <paramref name="mask"/> using the workspace's buffers.</summary>
    internal static SegmentationMethod SegmentInto(GrayImage image, Span<byte> mask, FeatureWorkspace workspace)
    {
        int width = image.Width, height = image.Height, n = image.Pixels.Length;
        var smooth = workspace.Blur.AsSpan(0, n);
        var raw = workspace.Scratch.AsSpan(0, n);
        var labels = workspace.Labels.AsSpan(0, n);

        var shortSide = Math.Min(width, height);
        ImageOps.GaussianBlur(image.Pixels, width, height, smooth, Math.Max(1.0, shortSide / 64.0));
        ImageOps.ThresholdOtsu(smooth, width, height, raw, invert: false);
        if (BorderIsMostlySet(raw, width, height))
        {
            for (var i = 0; i < n; i++)
                raw[i] = (byte)(1 - raw[i]);
        }

        // Kernel grows with the crop so the clean-up means the same at 64 px and 256 px.
        var kernel = Math.Max(3, (2 * (int)Math.Round(shortSide / 64.0)) + 1);
        ImageOps.Morphology(raw, width, height, mask, MorphologyOperation.Close, kernel, KernelShape.Ellipse, 1);
        ImageOps.FillHoles(mask, width, height, raw);
        ImageOps.Morphology(raw, width, height, mask, MorphologyOperation.Open, kernel, KernelShape.Ellipse, 1);

        var count = ImageOps.ConnectedComponents(mask, width, height, 8, labels, ref workspace.ComponentStats);
        var chosen = ChooseCentralComponent(workspace.ComponentStats, count, labels, width, height);
        if (chosen <= 0)
        {
            DrawFallbackDisk(mask, width, height);
            return SegmentationMethod.FallbackDisk;
        }
        for (var i = 0; i < n; i++)
            mask[i] = labels[i] == chosen ? (byte)1 : (byte)0;
        return SegmentationMethod.Otsu;
    }

    /// <summary>Fills <paramref name="mask"/> with a centred disk of radius min(w, h) / 4.</summary>
    internal static void DrawFallbackDisk(Span<byte> mask, int width, int height)
    {
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0, radius = Math.Max(1.0, Math.Min(width, height) / 4.0);
        var r2 = radius * radius;
        for (var y = 0; y < height; y++)
        {
            var dy = y - cy;
            for (var x = 0; x < width; x++)
            {
                var dx = x - cx;
                mask[(y * width) + x] = (dx * dx) + (dy * dy) <= r2 ? (byte)1 : (byte)0;
            }
        }
        // A 1-pixel-wide crop still gets an object.
        mask[(height / 2 * width) + (width / 2)] = 1;
    }

    static bool BorderIsMostlySet(ReadOnlySpan<byte> mask, int width, int height)
    {
        int set = 0, total = 0;
        for (var x = 0; x < width; x++)
        {
            set += mask[x] + mask[((height - 1) * width) + x];
            total += 2;
        }
        for (var y = 1; y < height - 1; y++)
        {
            set += mask[y * width] + mask[(y * width) + width - 1];
            total += 2;
        }
        return 2 * set > total;
    }

    static int ChooseCentralComponent(ReadOnlySpan<double> stats, int count, ReadOnlySpan<int> labels, int width, int height)
    {
        var minimumArea = Math.Max(4.0, MinimumObjectFraction * width * height);
        var centreLabel = labels[(height / 2 * width) + (width / 2)];
        if (centreLabel > 0 && ImageOps.ReadComponent(stats, centreLabel).Area >= minimumArea)
            return centreLabel;

        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0, best = double.MaxValue;
        var chosen = 0;
        for (var label = 1; label < count; label++)
        {
            var component = ImageOps.ReadComponent(stats, label);
            if (component.Area < minimumArea)
                continue;
            var dx = component.CentroidX - cx;
            var dy = component.CentroidY - cy;
            var distance = (dx * dx) + (dy * dy);
            if (distance < best)
            {
                best = distance;
                chosen = label;
            }
        }
        return chosen;
    }
}
