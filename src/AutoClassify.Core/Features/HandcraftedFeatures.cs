using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Features;

/// <summary>The features of a batch and how each crop's object was segmented.</summary>
public sealed record FeatureBatch(FeatureMatrix Features, IReadOnlyList<SegmentationMethod> Segmentation)
{
    /// <summary>How many crops fell back to the centred disk because nothing was segmented.</summary>
    public int FallbackCount => Segmentation.Count(m => m == SegmentationMethod.FallbackDisk);
}

/// <summary>
/// The thesis's handcrafted feature vector for one crop. Lengths are in pixels, intensities in [0, 1].
/// The object is the given mask or, without one, the crop's central object (<see cref="ObjectSegmentation"/>).
/// In order (see <see cref="Names"/>):
/// <list type="bullet">
/// <item><c>area</c>: object pixel count.</item>
/// <item><c>perimeter</c>: length of the outer boundary through the boundary pixel centres, by the
/// Vossepoel–Smeulders chain-code estimator (0.980 per straight step, 1.406 per diagonal step, −0.091
/// per corner), which, unlike the raw 8-chain length, does not overestimate oblique and round edges.</item>
/// <item><c>circularity</c>: 4π·A/P² with A the area enclosed by that boundary polygon; about 1 for a disk,
/// lower for elongated or ragged shapes; 0 when the perimeter is 0 (a single pixel).</item>
/// <item><c>feret_max</c>: the largest distance between two boundary pixel centres (maximum caliper width).</item>
/// <item><c>diameter</c>: 2 × the largest Euclidean distance from an inside pixel to the nearest outside
/// pixel (the crop edge counts as outside): the widest inscribed disk.</item>
/// <item><c>mu20, mu02, mu30, mu03</c>: raw central moments of the mask (each inside pixel weighs 1). They grow
/// with size (mu20 ∝ r⁴, mu30 ∝ r⁵), so an SVM needs them standardised; for a disk mu30 = mu03 = 0.</item>
/// <item><c>nu20, nu02, nu30, nu03</c>: the same moments normalised for scale, nu_pq = mu_pq / A^(1 + (p+q)/2).</item>
/// <item><c>hist_00..hist_31</c>: histogram of the object's pixel intensities in 32 equal bins over [0, 1], summing to 1.</item>
/// <item><c>radial_00..radial_15</c>: mean crop intensity in 16 concentric rings of equal width around the
/// object centroid, out to 1.5 × the equivalent radius √(A/π). An empty ring (tiny object) takes the value of
/// the nearest non-empty ring.</item>
/// <item><c>edge_00..edge_11</c>: mean intensity in 1-pixel bands at signed distance from the boundary,
/// from 6 px inside (edge_00) to 6 px outside (edge_11); the boundary lies between edge_05 and edge_06. Signed
/// distances come from the distance transforms of the mask and of its complement. Empty bands take the
/// nearest non-empty band's value.</item>
/// <item><c>snr</c>: membrane contrast over noise: the range (max − min) of the edge profile, across the
/// boundary, divided by the pooled standard deviation of intensities within each band, along the boundary,
/// plus 1/255 (one 8-bit grey level) so a noiseless crop gives a large finite value.</item>
/// </list>
/// No value is ever NaN or infinite.
/// </summary>
public static class HandcraftedFeatures
{
    public const int HistogramBins = 32;
    public const int RadialRings = 16;
    public const int EdgeBands = 12;

    /// <summary>How far the radial profile reaches, in equivalent radii of the object.</summary>
    public const double RadialExtent = 1.5;

    const int ShapeCount = 13;
    const int HistogramStart = ShapeCount;
    const int RadialStart = HistogramStart + HistogramBins;
    const int EdgeStart = RadialStart + RadialRings;
    const int SnrIndex = EdgeStart + EdgeBands;
    const double NoiseFloor = 1.0 / 255.0;

    /// <summary>Feature names (lowercase snake_case), in the order of every extracted vector; stable across versions.</summary>
    public static IReadOnlyList<string> Names { get; } = BuildNames();

    /// <summary>Length of every feature vector.</summary>
    public static int Count => Names.Count;

    static string[] BuildNames()
    {
        var names = new List<string>
        {
            "area", "perimeter", "circularity", "feret_max", "diameter",
            "mu20", "mu02", "mu30", "mu03", "nu20", "nu02", "nu30", "nu03",
        };
        for (var i = 0; i < HistogramBins; i++)
            names.Add(string.Create(CultureInfo.InvariantCulture, $"hist_{i:D2}"));
        for (var i = 0; i < RadialRings; i++)
            names.Add(string.Create(CultureInfo.InvariantCulture, $"radial_{i:D2}"));
        for (var i = 0; i < EdgeBands; i++)
            names.Add(string.Create(CultureInfo.InvariantCulture, $"edge_{i:D2}"));
        names.Add("snr");
        return [.. names];
    }

    /// <summary>Extracts the features of one crop; <paramref name="mask"/> (same size) marks the object when known.</summary>
    public static double[] Extract(GrayImage image, BinaryMask? mask = null) => Extract(image, mask, out _);

    /// <summary>Extracts the features of one crop and reports how its object was segmented.</summary>
    public static double[] Extract(GrayImage image, BinaryMask? mask, out SegmentationMethod method)
    {
        ArgumentNullException.ThrowIfNull(image);
        var features = new double[Count];
        method = ExtractInto(image, mask, features, FeatureWorkspace.Current);
        return features;
    }

    /// <summary>
    /// Extracts features for a batch on <paramref name="threads"/> threads (0 = all cores). <paramref name="masks"/>,
    /// when given, aligns with <paramref name="images"/> and may hold nulls.
    /// </summary>
    public static FeatureMatrix ExtractAll(IReadOnlyList<GrayImage> images, IReadOnlyList<BinaryMask?>? masks = null,
        int threads = 0, CancellationToken cancellationToken = default) =>
        ExtractAllDetailed(images, masks, threads, cancellationToken).Features;

    /// <summary>As <see cref="ExtractAll"/>, also reporting each crop's <see cref="SegmentationMethod"/>.</summary>
    public static FeatureBatch ExtractAllDetailed(IReadOnlyList<GrayImage> images, IReadOnlyList<BinaryMask?>? masks = null,
        int threads = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (masks is not null && masks.Count != images.Count)
            throw new ArgumentException($"Got {masks.Count} masks for {images.Count} images.", nameof(masks));

        var rows = new double[images.Count][];
        var methods = new SegmentationMethod[images.Count];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, images.Count, options, i =>
        {
            var image = images[i] ?? throw new ArgumentException($"Image {i} is null.", nameof(images));
            var row = new double[Count];
            methods[i] = ExtractInto(image, masks?[i], row, FeatureWorkspace.Current);
            rows[i] = row;
        });
        return new FeatureBatch(new FeatureMatrix(Names, rows), methods);
    }

    internal static SegmentationMethod ExtractInto(GrayImage image, BinaryMask? given, Span<double> features, FeatureWorkspace workspace)
    {
        int width = image.Width, height = image.Height, n = image.Pixels.Length;
        workspace.Ensure(n);
        var mask = workspace.Mask.AsSpan(0, n);
        var method = ObtainMask(image, given, mask, workspace);
        features.Clear();

        var area = 0;
        foreach (var v in mask)
            area += v;

        ShapeFeatures(mask, width, height, area, features);

        Span<double> moments = stackalloc double[24];
        ImageOps.MaskMoments(mask, width, height, moments);
        features[5] = moments[10];  // mu20
        features[6] = moments[12];  // mu02
        features[7] = moments[13];  // mu30
        features[8] = moments[16];  // mu03
        features[9] = moments[17];  // nu20
        features[10] = moments[19]; // nu02
        features[11] = moments[20]; // nu30
        features[12] = moments[23]; // nu03
        double cx = moments[1] / moments[0], cy = moments[2] / moments[0];

        var inside = workspace.InsideDistance.AsSpan(0, n);
        var outside = workspace.OutsideDistance.AsSpan(0, n);
        var complement = workspace.Complement.AsSpan(0, n);
        ImageOps.DistanceTransform(mask, width, height, borderIsBackground: true, inside);
        for (var i = 0; i < n; i++)
            complement[i] = (byte)(1 - mask[i]);
        ImageOps.DistanceTransform(complement, width, height, borderIsBackground: false, outside);

        IntensityFeatures(image, mask, inside, outside, area, cx, cy, features);

        foreach (ref var value in features)
        {
            if (!double.IsFinite(value))
                value = 0;
        }
        return method;
    }

    static SegmentationMethod ObtainMask(GrayImage image, BinaryMask? given, Span<byte> mask, FeatureWorkspace workspace)
    {
        if (given is null)
            return ObjectSegmentation.SegmentInto(image, mask, workspace);
        if (given.Width != image.Width || given.Height != image.Height)
            throw new ArgumentException($"The mask is {given.Width}x{given.Height} but the image is {image.Width}x{image.Height}.", nameof(given));
        var any = false;
        for (var i = 0; i < mask.Length; i++)
        {
            var inside = given.Data[i] != 0;
            mask[i] = inside ? (byte)1 : (byte)0;
            any |= inside;
        }
        if (any)
            return SegmentationMethod.GivenMask;
        ObjectSegmentation.DrawFallbackDisk(mask, image.Width, image.Height);
        return SegmentationMethod.FallbackDisk;
    }

    static void ShapeFeatures(ReadOnlySpan<byte> mask, int width, int height, int area, Span<double> features)
    {
        var contours = ImageOps.FindContours(mask, width, height);
        double perimeter = 0, enclosed = 0;
        var pointCount = 0;
        foreach (var contour in contours)
        {
            perimeter += ContourGeometry.ChainLength(contour.PointArray);
            enclosed += contour.Area;
            pointCount += contour.PointArray.Length;
        }

        var all = new PixelPoint[pointCount];
        var next = 0;
        foreach (var contour in contours)
        {
            contour.PointArray.CopyTo(all, next);
            next += contour.PointArray.Length;
        }

        features[0] = area;
        features[1] = perimeter;
        features[2] = perimeter > 0 ? 4 * Math.PI * enclosed / (perimeter * perimeter) : 0;
        features[3] = MaxFeret(all);
        // diameter is filled with the distance transform below; see IntensityFeatures.
    }

    /// <summary>Largest distance between two of the points, searched over their convex hull.</summary>
    internal static double MaxFeret(PixelPoint[] points)
    {
        if (points.Length < 2)
            return 0;
        var hull = ContourGeometry.ConvexHull(points);
        long best = 0;
        for (var i = 0; i < hull.Count; i++)
        {
            for (var j = i + 1; j < hull.Count; j++)
            {
                long dx = hull[i].X - hull[j].X, dy = hull[i].Y - hull[j].Y;
                best = Math.Max(best, (dx * dx) + (dy * dy));
            }
        }
        return Math.Sqrt(best);
    }

    static void IntensityFeatures(GrayImage image, ReadOnlySpan<byte> mask, ReadOnlySpan<float> inside,
        ReadOnlySpan<float> outside, int area, double cx, double cy, Span<double> features)
    {
        int width = image.Width, height = image.Height;
        var pixels = image.Pixels;
        var histogram = features.Slice(HistogramStart, HistogramBins);
        Span<double> ringSum = stackalloc double[RadialRings];
        Span<int> ringCount = stackalloc int[RadialRings];
        Span<double> bandSum = stackalloc double[EdgeBands];
        Span<double> bandSquares = stackalloc double[EdgeBands];
        Span<int> bandCount = stackalloc int[EdgeBands];

        var reach = Math.Max(1.0, RadialExtent * Math.Sqrt(area / Math.PI));
        var ringScale = RadialRings / reach;
        const double bandOffset = EdgeBands / 2.0;
        double maxInside = 0, total = 0;

        for (var y = 0; y < height; y++)
        {
            var dy = y - cy;
            var row = y * width;
            for (var x = 0; x < width; x++)
            {
                var i = row + x;
                double v = pixels[i];
                total += v;
                double signed;
                if (mask[i] != 0)
                {
                    histogram[Math.Clamp((int)(v * HistogramBins), 0, HistogramBins - 1)] += 1;
                    maxInside = Math.Max(maxInside, inside[i]);
                    signed = 0.5 - inside[i];
                }
                else
                {
                    signed = outside[i] - 0.5;
                }

                var dx = x - cx;
                var ring = (int)(Math.Sqrt((dx * dx) + (dy * dy)) * ringScale);
                if (ring < RadialRings)
                {
                    ringSum[ring] += v;
                    ringCount[ring]++;
                }

                var band = (int)Math.Floor(signed + bandOffset);
                if ((uint)band < EdgeBands)
                {
                    bandSum[band] += v;
                    bandSquares[band] += v * v;
                    bandCount[band]++;
                }
            }
        }

        features[4] = 2 * maxInside;
        for (var b = 0; b < HistogramBins; b++)
            histogram[b] /= area;

        var mean = total / pixels.Length;
        MeansWithNearestFill(ringSum, ringCount, mean, features.Slice(RadialStart, RadialRings));
        var profile = features.Slice(EdgeStart, EdgeBands);
        MeansWithNearestFill(bandSum, bandCount, mean, profile);

        double within = 0;
        long counted = 0;
        for (var b = 0; b < EdgeBands; b++)
        {
            if (bandCount[b] == 0)
                continue;
            within += Math.Max(0, bandSquares[b] - (bandSum[b] * bandSum[b] / bandCount[b]));
            counted += bandCount[b];
        }
        var noise = counted > 0 ? Math.Sqrt(within / counted) : 0;
        double low = double.MaxValue, high = double.MinValue;
        foreach (var value in profile)
        {
            low = Math.Min(low, value);
            high = Math.Max(high, value);
        }
        features[SnrIndex] = (high - low) / (noise + NoiseFloor);
    }

    /// <summary>Bin means; an empty bin copies the nearest non-empty one (the inner one on a tie), or <paramref name="fallback"/>.</summary>
    static void MeansWithNearestFill(ReadOnlySpan<double> sums, ReadOnlySpan<int> counts, double fallback, Span<double> means)
    {
        for (var b = 0; b < means.Length; b++)
        {
            var source = -1;
            for (var d = 0; d < means.Length && source < 0; d++)
            {
                if (b - d >= 0 && counts[b - d] > 0)
                    source = b - d;
                else if (b + d < means.Length && counts[b + d] > 0)
                    source = b + d;
            }
            means[b] = source >= 0 ? sums[source] / counts[source] : fallback;
        }
    }
}
