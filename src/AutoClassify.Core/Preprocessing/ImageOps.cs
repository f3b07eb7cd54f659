using AutoClassify.Imaging;
using AutoClassify.Native;

namespace AutoClassify.Preprocessing;

/// <summary>
/// OpenCV image operations on <see cref="GrayImage"/> (float grey in [0, 1]) and <see cref="BinaryMask"/>
/// (0/1 bytes). Each call returns new objects; the inputs are never modified.
/// </summary>
public static unsafe class ImageOps
{
    /// <summary>OpenCV's worker-thread count for the whole process (1 = run each call on its caller's thread).</summary>
    public static int OpenCvThreads
    {
        get
        {
            var threads = NativeMethods.ImageGetNumThreads();
            NativeShim.CheckForErrors();
            return threads;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            NativeMethods.ImageSetNumThreads(value);
            NativeShim.CheckForErrors();
        }
    }

    /// <summary>Resizes to <paramref name="width"/> x <paramref name="height"/>; cubic results are clipped to [0, 1].</summary>
    public static GrayImage Resize(GrayImage image, int width, int height, ResizeInterpolation interpolation = ResizeInterpolation.Area)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (!Enum.IsDefined(interpolation))
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "Unknown interpolation.");
        var result = new GrayImage(width, height);
        fixed (float* source = image.Pixels)
        fixed (float* destination = result.Pixels)
            NativeMethods.ImageResize(source, image.Width, image.Height, destination, width, height, (int)interpolation);
        NativeShim.CheckForErrors();
        return result;
    }

    /// <summary>Gaussian smoothing with standard deviation <paramref name="sigma"/> pixels (reflecting border).</summary>
    public static GrayImage GaussianBlur(GrayImage image, double sigma)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new GrayImage(image.Width, image.Height);
        GaussianBlur(image.Pixels, image.Width, image.Height, result.Pixels, sigma);
        return result;
    }

    /// <summary>
    /// Otsu's threshold on the 8-bit quantised image: the mask is 1 where a pixel is at or above the
    /// threshold (below it when <paramref name="invert"/>).
    /// </summary>
    public static OtsuThreshold ThresholdOtsu(GrayImage image, bool invert = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        var mask = new BinaryMask(image.Width, image.Height);
        var threshold = ThresholdOtsu(image.Pixels, image.Width, image.Height, mask.Data, invert);
        return new OtsuThreshold(mask, threshold);
    }

    /// <summary>
    /// Adaptive threshold: 1 where a pixel exceeds its local mean over a <paramref name="blockSize"/> square
    /// (odd, at least 3) minus <paramref name="c"/> (intensity units); below it when <paramref name="invert"/>.
    /// </summary>
    public static BinaryMask AdaptiveThreshold(GrayImage image, int blockSize, double c,
        AdaptiveThresholdMethod method = AdaptiveThresholdMethod.Gaussian, bool invert = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (blockSize < 3 || blockSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "Block size must be odd and at least 3.");
        if (!double.IsFinite(c))
            throw new ArgumentOutOfRangeException(nameof(c), c, "C must be a finite number.");
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown adaptive method.");
        var mask = new BinaryMask(image.Width, image.Height);
        fixed (float* source = image.Pixels)
        fixed (byte* destination = mask.Data)
            NativeMethods.ImageAdaptiveThreshold(source, image.Width, image.Height, destination, (int)method, blockSize, c, invert ? 1 : 0);
        NativeShim.CheckForErrors();
        return mask;
    }

    /// <summary>Binary morphology with a <paramref name="kernelSize"/>-pixel structuring element, repeated <paramref name="iterations"/> times.</summary>
    public static BinaryMask Morphology(BinaryMask mask, MorphologyOperation operation, int kernelSize,
        KernelShape shape = KernelShape.Ellipse, int iterations = 1)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var result = new BinaryMask(mask.Width, mask.Height);
        Morphology(mask.Data, mask.Width, mask.Height, result.Data, operation, kernelSize, shape, iterations);
        return result;
    }

    /// <summary>Fills every background region not connected (4-neighbourhood) to the image border.</summary>
    public static BinaryMask FillHoles(BinaryMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var result = new BinaryMask(mask.Width, mask.Height);
        FillHoles(mask.Data, mask.Width, mask.Height, result.Data);
        return result;
    }

    /// <summary>Labels the connected components (<paramref name="connectivity"/> 4 or 8) with their stats.</summary>
    public static ComponentLabeling ConnectedComponents(BinaryMask mask, int connectivity = 8)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var labels = new int[mask.Data.Length];
        var stats = new double[16 * NativeMethods.ComponentStatCount];
        var count = ConnectedComponents(mask.Data, mask.Width, mask.Height, connectivity, labels, ref stats);
        var components = new ComponentStats[count];
        for (var i = 0; i < count; i++)
            components[i] = ReadComponent(stats, i);
        return new ComponentLabeling(mask.Width, mask.Height, labels, components);
    }

    /// <summary>The external contours of the mask's objects (holes are ignored), every boundary pixel kept.</summary>
    public static IReadOnlyList<Contour> FindContours(BinaryMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return FindContours(mask.Data, mask.Width, mask.Height);
    }

    /// <summary>Intensity-weighted moments of an image.</summary>
    public static ImageMoments Moments(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Span<double> values = stackalloc double[NativeMethods.MomentCount];
        fixed (float* source = image.Pixels)
        fixed (double* output = values)
            NativeMethods.ImageMoments(source, image.Width, image.Height, output);
        NativeShim.CheckForErrors();
        return ImageMoments.FromNative(values);
    }

    /// <summary>Moments of a mask's shape: every inside pixel weighs 1.</summary>
    public static ImageMoments Moments(BinaryMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        Span<double> values = stackalloc double[NativeMethods.MomentCount];
        MaskMoments(mask.Data, mask.Width, mask.Height, values);
        return ImageMoments.FromNative(values);
    }

    /// <summary>
    /// Exact Euclidean distance (row-major, in pixels) from each inside pixel to the nearest outside pixel;
    /// 0 outside. With <paramref name="borderIsBackground"/> the area beyond the image counts as outside, so
    /// a mask with no outside pixel still gets finite distances.
    /// </summary>
    public static float[] DistanceTransform(BinaryMask mask, bool borderIsBackground = false)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var distances = new float[mask.Data.Length];
        DistanceTransform(mask.Data, mask.Width, mask.Height, borderIsBackground, distances);
        return distances;
    }

    // Span-based cores, shared with the feature extractor so it can reuse its buffers.

    internal static void GaussianBlur(ReadOnlySpan<float> source, int width, int height, Span<float> destination, double sigma)
    {
        if (!(sigma > 0) || !double.IsFinite(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Sigma must be a positive number of pixels.");
        CheckLength(source.Length, width, height, nameof(source));
        CheckLength(destination.Length, width, height, nameof(destination));
        fixed (float* src = source)
        fixed (float* dst = destination)
            NativeMethods.ImageGaussianBlur(src, width, height, dst, sigma);
        NativeShim.CheckForErrors();
    }

    internal static double ThresholdOtsu(ReadOnlySpan<float> source, int width, int height, Span<byte> mask, bool invert)
    {
        CheckLength(source.Length, width, height, nameof(source));
        CheckLength(mask.Length, width, height, nameof(mask));
        double threshold;
        fixed (float* src = source)
        fixed (byte* dst = mask)
            NativeMethods.ImageThresholdOtsu(src, width, height, dst, invert ? 1 : 0, out threshold);
        NativeShim.CheckForErrors();
        return threshold;
    }

    internal static void Morphology(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination,
        MorphologyOperation operation, int kernelSize, KernelShape shape, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        if (!Enum.IsDefined(operation))
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "Unknown morphology operation.");
        if (!Enum.IsDefined(shape))
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "Unknown kernel shape.");
        CheckLength(source.Length, width, height, nameof(source));
        CheckLength(destination.Length, width, height, nameof(destination));
        fixed (byte* src = source)
        fixed (byte* dst = destination)
            NativeMethods.MaskMorphology(src, width, height, dst, (int)operation, (int)shape, kernelSize, iterations);
        NativeShim.CheckForErrors();
    }

    internal static void FillHoles(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination)
    {
        CheckLength(source.Length, width, height, nameof(source));
        CheckLength(destination.Length, width, height, nameof(destination));
        fixed (byte* src = source)
        fixed (byte* dst = destination)
            NativeMethods.MaskFillHoles(src, width, height, dst);
        NativeShim.CheckForErrors();
    }

    /// <summary>Labels components; grows <paramref name="stats"/> (7 doubles per label) when it is too small.</summary>
    internal static int ConnectedComponents(ReadOnlySpan<byte> mask, int width, int height, int connectivity,
        Span<int> labels, ref double[] stats)
    {
        if (connectivity is not (4 or 8))
            throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity, "Connectivity must be 4 or 8.");
        CheckLength(mask.Length, width, height, nameof(mask));
        CheckLength(labels.Length, width, height, nameof(labels));
        while (true)
        {
            int count;
            var capacity = stats.Length / NativeMethods.ComponentStatCount;
            fixed (byte* src = mask)
            fixed (int* labelOutput = labels)
            fixed (double* statOutput = stats)
                count = NativeMethods.MaskConnectedComponents(src, width, height, connectivity, labelOutput, statOutput, capacity);
            NativeShim.CheckForErrors();
            if (count <= capacity)
                return count;
            stats = new double[count * NativeMethods.ComponentStatCount];
        }
    }

    /// <summary>The pixel count of each label 0..<paramref name="count"/> − 1 (0 = background) from <see cref="ConnectedComponents(ReadOnlySpan{byte}, int, int, int, Span{int}, ref double[])"/>'s statistics.</summary>
    internal static int[] ComponentAreas(ReadOnlySpan<double> stats, int count)
    {
        var areas = new int[count];
        for (var label = 0; label < count; label++)
            areas[label] = (int)stats[label * NativeMethods.ComponentStatCount];
        return areas;
    }

    internal static ComponentStats ReadComponent(ReadOnlySpan<double> stats, int label)
    {
        var row = stats.Slice(label * NativeMethods.ComponentStatCount, NativeMethods.ComponentStatCount);
        return new ComponentStats(label, (int)row[0], (int)row[1], (int)row[2], (int)row[3], (int)row[4], row[5], row[6]);
    }

    internal static Contour[] FindContours(ReadOnlySpan<byte> mask, int width, int height)
    {
        CheckLength(mask.Length, width, height, nameof(mask));
        ContourSetHandle handle;
        fixed (byte* src = mask)
            handle = NativeMethods.MaskFindContours(src, width, height);
        return ReadContours(handle);
    }

    /// <summary>Copies a native contour set out and frees it.</summary>
    internal static Contour[] ReadContours(ContourSetHandle handle)
    {
        using (handle)
        {
            NativeShim.CheckForErrors();
            var count = NativeMethods.ContoursCount(handle);
            NativeShim.CheckForErrors();
            // An empty array pins to a null pointer, which the copy rightly refuses: an empty set has nothing to copy.
            if (count == 0)
                return [];
            var total = NativeMethods.ContoursPointTotal(handle);
            NativeShim.CheckForErrors();
            var stats = new double[count * NativeMethods.ContourStatCount];
            var offsets = new int[count + 1];
            var points = new PixelPoint[total];
            fixed (double* statOutput = stats)
            fixed (int* offsetOutput = offsets)
            fixed (PixelPoint* pointOutput = points)
                NativeMethods.ContoursCopy(handle, statOutput, offsetOutput, (int*)pointOutput);
            NativeShim.CheckForErrors();

            var contours = new Contour[count];
            for (var i = 0; i < count; i++)
            {
                var s = stats.AsSpan(i * NativeMethods.ContourStatCount);
                contours[i] = new Contour(s[0], s[1], s[2], s[3], points[offsets[i]..offsets[i + 1]]);
            }
            return contours;
        }
    }

    internal static void MaskMoments(ReadOnlySpan<byte> mask, int width, int height, Span<double> moments)
    {
        CheckLength(mask.Length, width, height, nameof(mask));
        if (moments.Length < NativeMethods.MomentCount)
            throw new ArgumentException("Moment buffer too small.", nameof(moments));
        fixed (byte* src = mask)
        fixed (double* output = moments)
            NativeMethods.MaskMoments(src, width, height, output);
        NativeShim.CheckForErrors();
    }

    internal static void DistanceTransform(ReadOnlySpan<byte> mask, int width, int height, bool borderIsBackground, Span<float> distances)
    {
        CheckLength(mask.Length, width, height, nameof(mask));
        CheckLength(distances.Length, width, height, nameof(distances));
        fixed (byte* src = mask)
        fixed (float* output = distances)
            NativeMethods.MaskDistanceTransform(src, width, height, borderIsBackground ? 1 : 0, output);
        NativeShim.CheckForErrors();
    }

    static void CheckLength(int length, int width, int height, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} = {(long)width * height} values, got {length}.", name);
    }
}
