using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// What a network learns from a mask, and the way back from its prediction to instances: per-pixel class targets of
/// either output scheme, and the marker-controlled watershed that splits the instance scheme's foreground.
/// </summary>
public static class SegmentationTargets
{
    /// <summary>Channel names of the instance scheme, in output order.</summary>
    public static IReadOnlyList<string> InstanceChannels { get; } = ["background", "interior", "boundary"];

    public const int Background = 0;
    public const int Interior = 1;
    public const int Boundary = 2;

    /// <summary>The output channels a network of <paramref name="scheme"/> has for <paramref name="data"/>.</summary>
    public static IReadOnlyList<string> ChannelNames(OutputScheme scheme, SegmentationData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return scheme == OutputScheme.Instance ? InstanceChannels : data.ClassNames;
    }

    /// <summary>
    /// Per-pixel class indices for one sample: for the instance scheme background, interior, or boundary (object pixels
    /// within <paramref name="boundaryWidth"/> pixels, chessboard distance, of a different object); for the semantic
    /// scheme the class map itself (instance and binary masks: 0 background, 1 foreground). Throws naming the file
    /// when a value falls outside the classes.
    /// </summary>
    public static byte[] For(SegmentationSample sample, MaskKind kind, OutputScheme scheme, int classCount, int boundaryWidth)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var mask = sample.Mask;
        if (mask.Length != sample.Width * sample.Height)
            throw new ArgumentException($"{sample.Path}: the mask has {mask.Length} values for a {sample.Width}x{sample.Height} image.", nameof(sample));
        if (scheme == OutputScheme.Instance)
        {
            if (kind != MaskKind.Instances)
                throw new ArgumentException($"{sample.Path}: the instance scheme needs instance masks, but the data has {kind.ToString().ToLowerInvariant()} masks.", nameof(kind));
            return InstanceTargets(mask, sample.Width, sample.Height, boundaryWidth);
        }

        var targets = new byte[mask.Length];
        for (var i = 0; i < mask.Length; i++)
        {
            var value = mask[i];
            if (value < 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{sample.Path}: mask value {value} is negative."), nameof(sample));
            var target = kind == MaskKind.ClassMap ? value : value > 0 ? 1 : 0;
            if (target >= classCount)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{sample.Path}: mask value {value} is outside the {classCount} classes."), nameof(sample));
            targets[i] = (byte)target;
        }
        return targets;
    }

    /// <summary>Background (id 0), interior, or boundary: an object pixel with a different object within <paramref name="boundaryWidth"/>.</summary>
    public static byte[] InstanceTargets(ReadOnlySpan<int> instances, int width, int height, int boundaryWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(boundaryWidth, 1);
        if (instances.Length != width * height)
            throw new ArgumentException($"Expected {width}x{height} instance ids, got {instances.Length}.", nameof(instances));
        var targets = new byte[instances.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var id = instances[(y * width) + x];
                if (id == 0)
                    continue;
                targets[(y * width) + x] = TouchesOther(instances, width, height, x, y, id, boundaryWidth) ? (byte)Boundary : (byte)Interior;
            }
        }
        return targets;
    }

    static bool TouchesOther(ReadOnlySpan<int> instances, int width, int height, int x, int y, int id, int radius)
    {
        int y0 = Math.Max(0, y - radius), y1 = Math.Min(height - 1, y + radius);
        int x0 = Math.Max(0, x - radius), x1 = Math.Min(width - 1, x + radius);
        for (var v = y0; v <= y1; v++)
        {
            var row = instances.Slice(v * width, width);
            for (var u = x0; u <= x1; u++)
            {
                var other = row[u];
                if (other != 0 && other != id)
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Instances from instance-scheme probabilities ([3 × height × width]): each connected interior region seeds one
    /// object (a foreground region with no interior gets a seed of its own), and OpenCV's watershed floods the
    /// foreground from the seeds over the boundary probability, so touching objects part where the boundary is most
    /// certain. Objects below <paramref name="minArea"/> pixels are dropped; ids are 1..n in scan order.
    /// </summary>
    public static int[] SplitInstances(ReadOnlySpan<float> probabilities, int width, int height, int minArea)
    {
        var n = width * height;
        if (probabilities.Length != 3 * n)
            throw new ArgumentException($"Expected 3 x {width}x{height} probabilities, got {probabilities.Length}.", nameof(probabilities));
        ArgumentOutOfRangeException.ThrowIfNegative(minArea);
        var classes = new byte[n];
        for (var i = 0; i < n; i++)
        {
            float b = probabilities[i], inner = probabilities[n + i], edge = probabilities[(2 * n) + i];
            classes[i] = inner >= b && inner >= edge ? (byte)Interior : edge > b ? (byte)Boundary : (byte)Background;
        }

        var interior = new BinaryMask(width, height);
        var foreground = new BinaryMask(width, height);
        for (var i = 0; i < n; i++)
        {
            interior.Data[i] = classes[i] == Interior ? (byte)1 : (byte)0;
            foreground.Data[i] = classes[i] != Background ? (byte)1 : (byte)0;
        }
        // Four-connectivity, so seeds do not join diagonally through a thin boundary line.
        var seeds = ImageOps.ConnectedComponents(interior, connectivity: 4);
        const int backgroundMarker = 1;
        var markers = new int[n];
        var next = seeds.Components.Count + backgroundMarker;
        for (var i = 0; i < n; i++)
            markers[i] = classes[i] == Background ? backgroundMarker : seeds.Labels[i] > 0 ? seeds.Labels[i] + backgroundMarker : 0;

        var regions = ImageOps.ConnectedComponents(foreground, connectivity: 8);
        var seeded = new bool[regions.Components.Count + 1];
        for (var i = 0; i < n; i++)
        {
            if (markers[i] > backgroundMarker)
                seeded[regions.Labels[i]] = true;
        }
        var ownSeed = new int[seeded.Length];
        for (var i = 0; i < n; i++)
        {
            var region = regions.Labels[i];
            if (region > 0 && !seeded[region])
            {
                if (ownSeed[region] == 0)
                    ownSeed[region] = next++;
                markers[i] = ownSeed[region];
            }
        }

        // Background sits below every object pixel, so flooding fills each object from its seeds first.
        var flood = new GrayImage(width, height);
        for (var i = 0; i < n; i++)
            flood.Pixels[i] = classes[i] == Background ? 0f : 0.5f + (0.5f * Math.Clamp(probabilities[(2 * n) + i], 0f, 1f));
        var basins = SegmentationOps.Watershed(flood, markers);
        return Compact(basins, foreground.Data, width, height, backgroundMarker, minArea);
    }

    // Watershed basins to ids 1..n: line pixels inside the foreground join a neighbouring object, small objects go.
    static int[] Compact(int[] basins, byte[] foreground, int width, int height, int backgroundMarker, int minArea)
    {
        var n = basins.Length;
        var labels = new int[n];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                if (foreground[i] == 0)
                    continue;
                var basin = basins[i];
                labels[i] = basin > backgroundMarker ? basin : Neighbour(basins, width, height, x, y, backgroundMarker);
            }
        }

        var areas = new Dictionary<int, int>();
        foreach (var label in labels)
        {
            if (label > 0)
                areas[label] = areas.GetValueOrDefault(label) + 1;
        }
        var ids = new Dictionary<int, int>();
        for (var i = 0; i < n; i++)
        {
            var label = labels[i];
            if (label == 0)
                continue;
            if (areas[label] < minArea)
            {
                labels[i] = 0;
                continue;
            }
            if (!ids.TryGetValue(label, out var id))
            {
                id = ids.Count + 1;
                ids[label] = id;
            }
            labels[i] = id;
        }
        return labels;
    }

    static int Neighbour(int[] basins, int width, int height, int x, int y, int backgroundMarker)
    {
        for (var dy = -1; dy <= 1; dy++)
        {
            for (var dx = -1; dx <= 1; dx++)
            {
                int u = x + dx, v = y + dy;
                if (u < 0 || v < 0 || u >= width || v >= height)
                    continue;
                var basin = basins[(v * width) + u];
                if (basin > backgroundMarker)
                    return basin;
            }
        }
        return 0;
    }
}
