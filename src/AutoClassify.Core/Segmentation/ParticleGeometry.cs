using AutoClassify.Imaging;

namespace AutoClassify.Segmentation;

/// <summary>Caliper diameters and hull area of a particle, measured on the squares of its boundary pixels.</summary>
internal static class ParticleGeometry
{
    /// <summary>
    /// Feret max and min and the convex-hull area of the union of the pixel squares whose centres are
    /// <paramref name="boundary"/>. Works in doubled coordinates so the pixel corners stay integers.
    /// </summary>
    internal static (double FeretMax, double FeretMin, double HullArea) Measure(ReadOnlySpan<PixelPoint> boundary)
    {
        if (boundary.IsEmpty)
            return (0, 0, 0);
        var corners = new PixelPoint[boundary.Length * 4];
        for (var i = 0; i < boundary.Length; i++)
        {
            int x = boundary[i].X * 2, y = boundary[i].Y * 2;
            corners[4 * i] = new PixelPoint(x - 1, y - 1);
            corners[(4 * i) + 1] = new PixelPoint(x + 1, y - 1);
            corners[(4 * i) + 2] = new PixelPoint(x - 1, y + 1);
            corners[(4 * i) + 3] = new PixelPoint(x + 1, y + 1);
        }
        var hull = ContourGeometry.ConvexHull(corners);
        var (max, min) = Calipers(hull);
        return (max / 2, min / 2, HullArea(hull) / 4);
    }

    /// <summary>Largest vertex-to-vertex distance and smallest edge-to-farthest-vertex width of a convex polygon.</summary>
    internal static (double Max, double Min) Calipers(IReadOnlyList<PixelPoint> hull)
    {
        var n = hull.Count;
        if (n < 2)
            return (0, 0);
        long maxSquared = 0;
        var min = double.PositiveInfinity;
        for (var i = 0; i < n; i++)
        {
            var a = hull[i];
            var b = hull[(i + 1) % n];
            double ex = b.X - a.X, ey = b.Y - a.Y;
            var length = Math.Sqrt((ex * ex) + (ey * ey));
            var width = 0.0;
            for (var j = 0; j < n; j++)
            {
                long dx = hull[j].X - a.X, dy = hull[j].Y - a.Y;
                maxSquared = Math.Max(maxSquared, (dx * dx) + (dy * dy));
                if (length > 0)
                    width = Math.Max(width, Math.Abs((ex * dy) - (ey * dx)) / length);
            }
            if (length > 0)
                min = Math.Min(min, width);
        }
        return (Math.Sqrt(maxSquared), double.IsFinite(min) ? min : 0);
    }

    /// <summary>Shoelace area of a polygon.</summary>
    internal static double HullArea(IReadOnlyList<PixelPoint> hull)
    {
        long twice = 0;
        for (var i = 0; i < hull.Count; i++)
        {
            var a = hull[i];
            var b = hull[(i + 1) % hull.Count];
            twice += ((long)a.X * b.Y) - ((long)b.X * a.Y);
        }
        return Math.Abs(twice) / 2.0;
    }
}
