using AutoClassify.Imaging;

namespace AutoClassify.Segmentation;

/// <summary>
/// Measures the particles of a label map, whoever drew it: the classical <see cref="ParticleSegmenter"/> or a trained
/// model. Areas, equivalent diameters, Feret diameters, perimeter, circularity, solidity, mean grey level, centroid,
/// bounding box, and whether the particle touches the image edge (then it is counted but left out of the sizes).
/// </summary>
public static class ParticleMeasurement
{
    /// <summary>
    /// A segmentation from any instance label map (row-major, 0 = background, any positive id = one particle; ids need
    /// not be consecutive): particles below <paramref name="minArea"/> pixels are dropped, the rest renumbered 1..n in
    /// order of their first pixel (row by row) and measured. The input array is not changed.
    /// </summary>
    public static ParticleSegmentation FromLabels(GrayImage image, IReadOnlyList<int> labels, int minArea, double? nmPerPixel)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(minArea, 1);
        if (labels.Count != image.Width * image.Height)
            throw new ArgumentException($"The label map has {labels.Count} pixels but the image is {image.Width}x{image.Height}.", nameof(labels));
        if (nmPerPixel is { } scale && (!(scale > 0) || !double.IsFinite(scale)))
            throw new ArgumentOutOfRangeException(nameof(nmPerPixel), scale, "nm per pixel must be a positive number.");

        var areas = new Dictionary<int, int>();
        foreach (var id in labels)
        {
            if (id < 0)
                throw new ArgumentException($"The label map holds the negative id {id}; ids are 0 (background) or positive.", nameof(labels));
            if (id > 0)
                areas[id] = areas.GetValueOrDefault(id) + 1;
        }
        var renumbered = new Dictionary<int, int>(areas.Count);
        var compact = new int[labels.Count];
        var count = 0;
        for (var i = 0; i < compact.Length; i++)
        {
            var id = labels[i];
            if (id == 0 || areas[id] < minArea)
                continue;
            if (!renumbered.TryGetValue(id, out var label))
                renumbered[id] = label = ++count;
            compact[i] = label;
        }
        var particles = Measure(image, compact, count);
        return new ParticleSegmentation(image.Width, image.Height, compact, particles, ParticlePolarity.Auto, double.NaN, new ParticleScale(nmPerPixel));
    }

    /// <summary>Measures particles 1..<paramref name="count"/> of a label map that uses exactly those labels (0 = background).</summary>
    internal static Particle[] Measure(GrayImage image, int[] labels, int count)
    {
        int width = image.Width, height = image.Height;
        var area = new int[count + 1];
        var sumX = new double[count + 1];
        var sumY = new double[count + 1];
        var sumI = new double[count + 1];
        var left = new int[count + 1];
        var top = new int[count + 1];
        var right = new int[count + 1];
        var bottom = new int[count + 1];
        Array.Fill(left, int.MaxValue);
        Array.Fill(top, int.MaxValue);
        Array.Fill(right, -1);
        Array.Fill(bottom, -1);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var l = labels[i];
                if (l == 0)
                    continue;
                area[l]++;
                sumX[l] += x;
                sumY[l] += y;
                sumI[l] += image.Pixels[i];
                left[l] = Math.Min(left[l], x);
                top[l] = Math.Min(top[l], y);
                right[l] = Math.Max(right[l], x);
                bottom[l] = Math.Max(bottom[l], y);
            }
        }

        var contours = SegmentationOps.LabelContours(labels, width, height, count);
        var particles = new Particle[count];
        for (var l = 1; l <= count; l++)
        {
            var contour = contours[l - 1];
            var points = contour.PointArray;
            var (feretMax, feretMin, hullArea) = ParticleGeometry.Measure(points);
            var perimeter = ContourGeometry.ChainLength(points);
            var circularity = perimeter > 0 ? Math.Min(1, 4 * Math.PI * contour.Area / (perimeter * perimeter)) : 0;
            var a = area[l];
            particles[l - 1] = new Particle(
                l, a, Math.Sqrt(4 * a / Math.PI), feretMax, feretMin, perimeter, circularity,
                hullArea > 0 ? Math.Min(1, a / hullArea) : 0,
                sumI[l] / a, sumX[l] / a, sumY[l] / a,
                left[l], top[l], right[l] - left[l] + 1, bottom[l] - top[l] + 1,
                left[l] == 0 || top[l] == 0 || right[l] == width - 1 || bottom[l] == height - 1);
        }
        return particles;
    }
}
