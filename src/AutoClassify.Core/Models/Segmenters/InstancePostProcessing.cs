using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Native;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// How the instance scheme's probabilities ([background, interior, boundary] × height × width) become objects:
/// foreground is where the background probability is at most 1 − <see cref="ForegroundThreshold"/>; seeds are the
/// 4-connected foreground regions where the interior probability (smoothed by <see cref="SeedSigma"/>) reaches
/// <see cref="SeedThreshold"/>, keeping those of at least <see cref="MinSeedArea"/> pixels; a marker-controlled
/// watershed floods the foreground from the seeds over the boundary probability; a foreground region without a seed
/// is one object; objects under <see cref="MinObjectArea"/> pixels are dropped. Areas are in pixels of the resolution
/// the network works at. <see cref="InstancePostProcessingTuner"/> picks the values on validation images.
/// </summary>
public sealed record InstancePostProcessing
{
    /// <summary>Foreground probability (1 − background) a pixel needs to belong to an object.</summary>
    public double ForegroundThreshold { get; init; } = 0.5;

    /// <summary>Interior probability a foreground pixel needs to belong to a seed.</summary>
    public double SeedThreshold { get; init; } = 0.5;

    /// <summary>Gaussian σ in pixels by which the interior probability is smoothed before the seed threshold; 0 leaves it.</summary>
    public double SeedSigma { get; init; }

    /// <summary>Seeds smaller than this many pixels are no seeds (their pixels are flooded from the neighbouring seeds).</summary>
    public int MinSeedArea { get; init; }

    /// <summary>Objects smaller than this many pixels are dropped.</summary>
    public int MinObjectArea { get; init; }

    /// <summary>What makes these settings unusable, or null.</summary>
    public string? FindProblem()
    {
        if (!(ForegroundThreshold > 0 && ForegroundThreshold < 1))
            return Invariant($"the foreground threshold must lie in (0, 1), got {ForegroundThreshold}");
        if (!(SeedThreshold > 0 && SeedThreshold < 1))
            return Invariant($"the seed threshold must lie in (0, 1), got {SeedThreshold}");
        if (!(SeedSigma >= 0 && SeedSigma <= 100))
            return Invariant($"the seed smoothing sigma must lie in [0, 100], got {SeedSigma}");
        if (MinSeedArea < 0 || MinObjectArea < 0)
            return Invariant($"the minimum seed and object areas must not be negative, got {MinSeedArea} and {MinObjectArea}");
        return null;
    }

    /// <summary>The settings as key and invariant value, for facts and reports (prefixed <c>post_</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
    [
        new("post_foreground_threshold", Format(ForegroundThreshold)),
        new("post_seed_threshold", Format(SeedThreshold)),
        new("post_seed_sigma_px", Format(SeedSigma)),
        new("post_min_seed_area_px", MinSeedArea.ToString(CultureInfo.InvariantCulture)),
        new("post_min_object_area_px", MinObjectArea.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>The settings in one line for a report, e.g. "foreground p ≥ 0.5; seeds: interior p ≥ 0.7 (smoothed σ 1 px), ≥ 12 px; objects ≥ 40 px".</summary>
    public string Summary() => Invariant(
        $"foreground p ≥ {ForegroundThreshold}; seeds: interior p ≥ {SeedThreshold}{(SeedSigma > 0 ? Invariant($" (smoothed σ {SeedSigma} px)") : "")}, ≥ {MinSeedArea} px; objects ≥ {MinObjectArea} px");

    /// <summary>
    /// The background / interior / boundary maps that a two-class semantic prediction (background, foreground; channel
    /// major) stands for: p(background), p(foreground), and p(background) again as the boundary the watershed floods
    /// over, so <see cref="Apply"/> splits the foreground where the background (a membrane, say) is most likely.
    /// </summary>
    public static float[] FromSemantic(ReadOnlySpan<float> probabilities, int width, int height)
    {
        var n = width * height;
        if (width <= 0 || height <= 0 || probabilities.Length != 2 * n)
            throw new ArgumentException($"Expected 2 x {width}x{height} semantic probabilities, got {probabilities.Length}.", nameof(probabilities));
        var maps = new float[3 * n];
        probabilities.CopyTo(maps);
        probabilities[..n].CopyTo(maps.AsSpan(2 * n));
        return maps;
    }

    /// <summary>Instance ids of a two-class semantic prediction: <see cref="Apply"/> on its <see cref="FromSemantic"/> maps.</summary>
    public int[] ApplySemantic(ReadOnlySpan<float> probabilities, int width, int height) => Apply(FromSemantic(probabilities, width, height), width, height);

    /// <summary>Instance ids (1..n in scan order, 0 = background) of instance-scheme probabilities at <paramref name="width"/> × <paramref name="height"/>.</summary>
    public int[] Apply(ReadOnlySpan<float> probabilities, int width, int height)
    {
        if (FindProblem() is { } problem)
            throw new InvalidOperationException($"Instance post-processing: {problem}.");
        var fields = InstanceFields.From(probabilities, width, height);
        var foreground = fields.Foreground(ForegroundThreshold);
        var seeds = fields.Seeds(foreground, fields.Interior(SeedSigma), SeedThreshold);
        var objects = fields.Flood(foreground, seeds, MinSeedArea, out var areas);
        return InstanceFields.DropSmall(objects, areas, MinObjectArea);
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// The steps of <see cref="InstancePostProcessing.Apply"/> on one probability map, kept apart so the tuner can share
/// the costly ones (smoothing, seed labelling, the watershed) between the settings that agree on them.
/// </summary>
internal sealed class InstanceFields
{
    const int BackgroundMarker = 1;

    readonly float[] background;
    readonly float[] interior;
    readonly float[] boundary;
    readonly Dictionary<double, float[]> smoothed = [];
    // OpenCV's component statistics, reused between labellings (room for 1,024 components, grown when short).
    double[] componentStats = new double[1024 * NativeMethods.ComponentStatCount];

    InstanceFields(float[] background, float[] interior, float[] boundary, int width, int height)
    {
        this.background = background;
        this.interior = interior;
        this.boundary = boundary;
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    public static InstanceFields From(ReadOnlySpan<float> probabilities, int width, int height)
    {
        var n = width * height;
        if (width <= 0 || height <= 0 || probabilities.Length != 3 * n)
            throw new ArgumentException($"Expected 3 x {width}x{height} probabilities, got {probabilities.Length}.", nameof(probabilities));
        return new InstanceFields(probabilities[..n].ToArray(), probabilities.Slice(n, n).ToArray(), probabilities.Slice(2 * n, n).ToArray(), width, height);
    }

    public byte[] Foreground(double threshold)
    {
        var limit = (float)(1 - threshold);
        var mask = new byte[background.Length];
        for (var i = 0; i < mask.Length; i++)
            mask[i] = background[i] <= limit ? (byte)1 : (byte)0;
        return mask;
    }

    /// <summary>The interior probability, Gaussian-smoothed by <paramref name="sigma"/> (cached per σ).</summary>
    public float[] Interior(double sigma)
    {
        if (sigma <= 0)
            return interior;
        if (!smoothed.TryGetValue(sigma, out var values))
        {
            values = ImageOps.GaussianBlur(new GrayImage(Width, Height, interior), sigma).Pixels;
            smoothed[sigma] = values;
        }
        return values;
    }

    /// <summary>4-connected seed regions (1..count) where the foreground's interior value reaches <paramref name="threshold"/>, with their areas.</summary>
    public SeedRegions Seeds(byte[] foreground, float[] interiorValues, double threshold)
    {
        var mask = new byte[foreground.Length];
        var limit = (float)threshold;
        for (var i = 0; i < mask.Length; i++)
            mask[i] = foreground[i] != 0 && interiorValues[i] >= limit ? (byte)1 : (byte)0;
        // Four-connectivity, so seeds do not join diagonally through a thin boundary line.
        var labels = new int[mask.Length];
        var count = ImageOps.ConnectedComponents(mask, Width, Height, 4, labels, ref componentStats);
        return new SeedRegions(labels, ImageOps.ComponentAreas(componentStats, count));
    }

    /// <summary>
    /// Objects 1..n of the foreground: the watershed from the seeds of at least <paramref name="minSeedArea"/> pixels
    /// over the boundary probability, each seedless 8-connected foreground region as one object; foreground pixels the
    /// watershed left unclaimed (its lines, or ground the background marker reached first) join the nearest object
    /// within the foreground.
    /// </summary>
    public int[] Flood(byte[] foreground, SeedRegions seeds, int minSeedArea, out int[] areas)
    {
        var n = foreground.Length;
        var markers = new int[n];
        var kept = new int[seeds.Areas.Length];
        var next = BackgroundMarker;
        for (var s = 1; s < kept.Length; s++)
            kept[s] = seeds.Areas[s] >= Math.Max(1, minSeedArea) ? ++next : 0;
        var flood = new GrayImage(Width, Height);
        for (var i = 0; i < n; i++)
        {
            if (foreground[i] == 0)
            {
                markers[i] = BackgroundMarker;
                continue;
            }
            markers[i] = kept[seeds.Labels[i]];
            // Background sits below every object pixel, so each object fills from its seeds first.
            flood.Pixels[i] = 0.5f + (0.5f * Math.Clamp(boundary[i], 0f, 1f));
        }

        var regionLabels = new int[n];
        var regionCount = ImageOps.ConnectedComponents(foreground, Width, Height, 8, regionLabels, ref componentStats);
        var seeded = new bool[regionCount];
        for (var i = 0; i < n; i++)
        {
            if (markers[i] > BackgroundMarker)
                seeded[regionLabels[i]] = true;
        }
        var ownSeed = new int[seeded.Length];
        for (var i = 0; i < n; i++)
        {
            var region = regionLabels[i];
            if (region > 0 && !seeded[region])
            {
                if (ownSeed[region] == 0)
                    ownSeed[region] = ++next;
                markers[i] = ownSeed[region];
            }
        }

        var basins = next > BackgroundMarker ? SegmentationOps.Watershed(flood, markers) : markers;
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            if (foreground[i] != 0 && basins[i] > BackgroundMarker)
                labels[i] = basins[i] - BackgroundMarker;
        }
        Claim(labels, foreground);
        areas = new int[next - BackgroundMarker + 1];
        foreach (var label in labels)
            areas[label]++;
        areas[0] = 0;
        return labels;
    }

    // Breadth-first from every object pixel in scan order, 8-connected: unclaimed foreground pixels take the label of the
    // object that reaches them first. Only object pixels beside an unclaimed one start in the queue: the others would
    // find nothing to claim when their turn came, so leaving them out changes no label and saves the pass over every object pixel.
    void Claim(int[] labels, byte[] foreground)
    {
        var start = new bool[labels.Length];
        var any = false;
        for (var i = 0; i < labels.Length; i++)
        {
            if (foreground[i] == 0 || labels[i] != 0)
                continue;
            any = true;
            int x = i % Width, y = i / Width;
            for (var v = Math.Max(0, y - 1); v <= Math.Min(Height - 1, y + 1); v++)
            {
                for (var u = Math.Max(0, x - 1); u <= Math.Min(Width - 1, x + 1); u++)
                {
                    if (labels[(v * Width) + u] != 0)
                        start[(v * Width) + u] = true;
                }
            }
        }
        if (!any)
            return;
        var queue = new Queue<int>();
        for (var i = 0; i < start.Length; i++)
        {
            if (start[i])
                queue.Enqueue(i);
        }
        while (queue.Count > 0)
        {
            var i = queue.Dequeue();
            int x = i % Width, y = i / Width;
            for (var dy = -1; dy <= 1; dy++)
            {
                for (var dx = -1; dx <= 1; dx++)
                {
                    int u = x + dx, v = y + dy;
                    if (u < 0 || v < 0 || u >= Width || v >= Height)
                        continue;
                    var j = (v * Width) + u;
                    if (foreground[j] != 0 && labels[j] == 0)
                    {
                        labels[j] = labels[i];
                        queue.Enqueue(j);
                    }
                }
            }
        }
    }

    /// <summary>The objects of at least <paramref name="minArea"/> pixels, renumbered 1..n in scan order; the rest become background.</summary>
    public static int[] DropSmall(int[] labels, int[] areas, int minArea)
    {
        var ids = new int[areas.Length];
        var next = 0;
        var result = new int[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label == 0 || areas[label] < minArea)
                continue;
            if (ids[label] == 0)
                ids[label] = ++next;
            result[i] = ids[label];
        }
        return result;
    }
}

/// <summary>Seed regions 1..n (0 = none) and their areas, indexed by label (index 0 holds the pixels outside every seed).</summary>
internal sealed record SeedRegions(int[] Labels, int[] Areas);
