using AutoClassify.Imaging;

namespace AutoClassify.Segmentation;

/// <summary>Measures of a traced boundary shared by the particle measurements and the handcrafted shape features.</summary>
internal static class ContourGeometry
{
    /// <summary>Vossepoel–Smeulders length of a closed 8-connected boundary (unbiased for straight edges at any angle).</summary>
    internal static double ChainLength(ReadOnlySpan<PixelPoint> points)
    {
        if (points.Length < 2)
            return 0;
        int even = 0, odd = 0, corners = 0, previous = -1, first = -1;
        for (var i = 0; i < points.Length; i++)
        {
            var a = points[i];
            var b = points[(i + 1) % points.Length];
            int dx = b.X - a.X, dy = b.Y - a.Y;
            if (Math.Abs(dx) + Math.Abs(dy) == 1)
                even++;
            else
                odd++;
            var code = ((dx + 1) * 3) + dy + 1;
            if (previous >= 0 && code != previous)
                corners++;
            if (first < 0)
                first = code;
            previous = code;
        }
        if (previous != first)
            corners++;
        return (0.980 * even) + (1.406 * odd) - (0.091 * corners);
    }

    // Andrew's monotone chain; sorts the array in place.
    internal static List<PixelPoint> ConvexHull(PixelPoint[] points)
    {
        Array.Sort(points, static (a, b) => a.X != b.X ? a.X.CompareTo(b.X) : a.Y.CompareTo(b.Y));
        var hull = new List<PixelPoint>(Math.Min(points.Length + 1, 256));
        for (var pass = 0; pass < 2; pass++)
        {
            var start = hull.Count;
            for (var k = 0; k < points.Length; k++)
            {
                var p = pass == 0 ? points[k] : points[points.Length - 1 - k];
                while (hull.Count >= start + 2 && Cross(hull[^2], hull[^1], p) <= 0)
                    hull.RemoveAt(hull.Count - 1);
                hull.Add(p);
            }
            hull.RemoveAt(hull.Count - 1);
        }
        return hull;
    }

    static long Cross(PixelPoint o, PixelPoint a, PixelPoint b) =>
        ((long)(a.X - o.X) * (b.Y - o.Y)) - ((long)(a.Y - o.Y) * (b.X - o.X));
}
