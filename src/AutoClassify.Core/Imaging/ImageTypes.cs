using System.Globalization;

namespace AutoClassify.Imaging;

/// <summary>The image file formats the codec reads and writes.</summary>
public enum ImageFileFormat
{
    Png,
    Tiff,
    Bmp,
    Jpeg,
}

/// <summary>How <c>ImageOps.Resize</c> interpolates (values match the native codes).</summary>
public enum ResizeInterpolation
{
    /// <summary>Pixel-area averaging: the right choice for shrinking.</summary>
    Area = 0,
    Linear = 1,
    Cubic = 2,
}

/// <summary>The local mean used by <c>ImageOps.AdaptiveThreshold</c>.</summary>
public enum AdaptiveThresholdMethod
{
    Mean = 0,
    Gaussian = 1,
}

/// <summary>Binary morphology operations.</summary>
public enum MorphologyOperation
{
    Erode = 0,
    Dilate = 1,

    /// <summary>Erode then dilate: removes specks smaller than the kernel.</summary>
    Open = 2,

    /// <summary>Dilate then erode: bridges gaps narrower than the kernel.</summary>
    Close = 3,
}

/// <summary>Structuring element shapes for <c>ImageOps.Morphology</c>.</summary>
public enum KernelShape
{
    Ellipse = 0,
    Rectangle = 1,
    Cross = 2,
}

/// <summary>The result of Otsu thresholding: the mask and the threshold chosen, in [0, 1] intensity units.</summary>
public sealed record OtsuThreshold(BinaryMask Mask, double Threshold);

/// <summary>A pixel position (column <see cref="X"/>, row <see cref="Y"/>).</summary>
public readonly record struct PixelPoint(int X, int Y);

/// <summary>One connected component: its pixel count, bounding box and centroid (pixel-centre coordinates).</summary>
public readonly record struct ComponentStats(int Label, int Area, int Left, int Top, int Width, int Height, double CentroidX, double CentroidY);

/// <summary>Connected-component labelling of a mask.</summary>
public sealed class ComponentLabeling
{
    internal ComponentLabeling(int width, int height, int[] labels, ComponentStats[] components)
    {
        Width = width;
        Height = height;
        Labels = labels;
        Components = components;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major label per pixel: 0 for background, 1..<see cref="ObjectCount"/> for objects.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Stats indexed by label; entry 0 describes the background.</summary>
    public IReadOnlyList<ComponentStats> Components { get; }

    /// <summary>Number of objects, not counting the background.</summary>
    public int ObjectCount => Components.Count - 1;
}

/// <summary>
/// An external contour of a mask: its polygon area, perimeter (OpenCV arc length through the boundary
/// pixel centres), the same two for its convex hull, and the boundary pixels in order.
/// </summary>
public sealed class Contour
{
    internal Contour(double area, double perimeter, double hullArea, double hullPerimeter, PixelPoint[] points)
    {
        Area = area;
        Perimeter = perimeter;
        HullArea = hullArea;
        HullPerimeter = hullPerimeter;
        PointArray = points;
    }

    public double Area { get; }
    public double Perimeter { get; }
    public double HullArea { get; }
    public double HullPerimeter { get; }
    public IReadOnlyList<PixelPoint> Points => PointArray;

    internal PixelPoint[] PointArray { get; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Contour(area {Area:F1}, perimeter {Perimeter:F1}, {PointArray.Length} points)");
}

/// <summary>
/// Image moments as OpenCV computes them: spatial (m), central (mu) and scale-normalised central (nu)
/// moments, where nu_pq = mu_pq / m00^(1 + (p + q) / 2).
/// </summary>
public sealed record ImageMoments(
    double M00, double M10, double M01, double M20, double M11, double M02, double M30, double M21, double M12, double M03,
    double Mu20, double Mu11, double Mu02, double Mu30, double Mu21, double Mu12, double Mu03,
    double Nu20, double Nu11, double Nu02, double Nu30, double Nu21, double Nu12, double Nu03)
{
    internal static ImageMoments FromNative(ReadOnlySpan<double> m) => new(
        m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9],
        m[10], m[11], m[12], m[13], m[14], m[15], m[16],
        m[17], m[18], m[19], m[20], m[21], m[22], m[23]);

    /// <summary>Centroid column (m10 / m00); 0 when the image has no mass.</summary>
    public double CentroidX => M00 != 0 ? M10 / M00 : 0;

    /// <summary>Centroid row (m01 / m00); 0 when the image has no mass.</summary>
    public double CentroidY => M00 != 0 ? M01 / M00 : 0;
}
