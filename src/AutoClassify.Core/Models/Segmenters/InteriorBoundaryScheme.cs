using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// The instance-aware scheme: every pixel is background (0), object interior (1) or object boundary (2). Targets come
/// from instance masks (an object's pixels within the boundary width of any pixel outside it are boundary, so touching
/// objects are parted by a band); predictions go back to instances by a marker-controlled watershed seeded by the
/// interior regions, flooding the boundary probability inside the predicted foreground.
/// </summary>
public static class InteriorBoundaryScheme
{
    public const int Background = 0;
    public const int Interior = 1;
    public const int Boundary = 2;

    /// <summary>Channel names in class order.</summary>
    public static IReadOnlyList<string> ChannelNames { get; } = ["background", "interior", "boundary"];

    /// <summary>Per-pixel targets 0/1/2 of an instance map (0 = background) for a boundary <paramref name="width"/> px wide.</summary>
    public static int[] Targets(ReadOnlySpan<int> instances, int imageWidth, int imageHeight, int width = 2)
    {
        if (instances.Length != (long)imageWidth * imageHeight)
            throw new ArgumentException($"Expected {imageWidth}x{imageHeight} ids, got {instances.Length}.");
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var targets = new int[instances.Length];
        for (var y = 0; y < imageHeight; y++)
        {
            for (var x = 0; x < imageWidth; x++)
            {
                var i = (y * imageWidth) + x;
                var id = instances[i];
                if (id == 0)
                    continue;
                targets[i] = Interior;
                for (var dy = -width; dy <= width && targets[i] == Interior; dy++)
                {
                    for (var dx = -width; dx <= width; dx++)
                    {
                        int nx = x + dx, ny = y + dy;
                        if ((dx * dx) + (dy * dy) > width * width || nx < 0 || ny < 0 || nx >= imageWidth || ny >= imageHeight)
                            continue;
                        if (instances[(ny * imageWidth) + nx] != id)
                        {
                            targets[i] = Boundary;
                            break;
                        }
                    }
                }
            }
        }
        return targets;
    }

    /// <summary>
    /// Instances (1..n, 0 = background) from per-pixel classes and the boundary probability (row-major). Seeds are the
    /// 8-connected interior regions of at least <paramref name="minSeedArea"/> px; objects under <paramref name="minArea"/> px are dropped.
    /// </summary>
    public static int[] ToInstances(ReadOnlySpan<int> classes, ReadOnlySpan<float> boundaryProbability, int width, int height, int minSeedArea = 4, int minArea = 10)
    {
        if (classes.Length != (long)width * height || boundaryProbability.Length != classes.Length)
            throw new ArgumentException($"Expected {width}x{height} classes and probabilities.");
        var interior = new int[classes.Length];
        for (var i = 0; i < interior.Length; i++)
            interior[i] = classes[i] == Interior ? 1 : 0;
        var seeds = LabelRegions.Components(interior, width, height, eightConnected: true, out var seedCount);
        var seedArea = LabelRegions.Areas(seeds, seedCount);
        // Marker 1 is the background; seeds are 2.. (OpenCV's watershed needs positive markers).
        var markers = new int[classes.Length];
        var flood = new GrayImage(width, height);
        for (var i = 0; i < markers.Length; i++)
        {
            var foreground = classes[i] != Background;
            markers[i] = !foreground ? 1 : seeds[i] > 0 && seedArea[seeds[i]] >= minSeedArea ? seeds[i] + 1 : 0;
            flood.Pixels[i] = foreground ? 0.5f + (0.5f * Math.Clamp(boundaryProbability[i], 0f, 1f)) : 0f;
        }
        var basins = SegmentationOps.Watershed(flood, markers);
        var ids = new int[basins.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                if (classes[i] == Background)
                    continue;
                var b = basins[i];
                if (b <= 1)
                    b = NeighbourBasin(basins, width, height, x, y);
                ids[i] = b > 1 ? b - 1 : 0;
            }
        }
        var compact = LabelRegions.Compact(ids, out var count);
        var area = LabelRegions.Areas(compact, count);
        var keep = new int[count + 1];
        var next = 0;
        for (var l = 1; l <= count; l++)
            keep[l] = area[l] >= minArea ? ++next : 0;
        for (var i = 0; i < compact.Length; i++)
            compact[i] = keep[compact[i]];
        return compact;
    }

    static int NeighbourBasin(int[] basins, int width, int height, int x, int y)
    {
        for (var dy = -1; dy <= 1; dy++)
        {
            for (var dx = -1; dx <= 1; dx++)
            {
                int nx = x + dx, ny = y + dy;
                if (nx >= 0 && ny >= 0 && nx < width && ny < height && basins[(ny * width) + nx] > 1)
                    return basins[(ny * width) + nx];
            }
        }
        return 0;
    }
}
