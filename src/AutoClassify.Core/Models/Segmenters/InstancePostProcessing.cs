using System.Globalization;
using AutoClassify.Native;
using AutoClassify.Preprocessing;

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

    /// <summary>Instance ids (1..n in scan order, 0 = background) of instance-scheme probabilities at <paramref name="width"/> × <paramref name="height"/> (read in place, never changed).</summary>
    public int[] Apply(float[] probabilities, int width, int height)
    {
        if (FindProblem() is { } problem)
            throw new InvalidOperationException($"Instance post-processing: {problem}.");
        var fields = InstanceFields.From(probabilities, width, height);
        var foreground = fields.Foreground(ForegroundThreshold);
        var seeds = fields.Seeds(foreground, fields.Interior(SeedSigma), SeedThreshold);
        var objects = fields.Flood(fields.Ground(foreground), seeds, MinSeedArea, out var areas);
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
    // The three maps, channel-major, read in place: background, interior, boundary.
    readonly float[] maps;
    readonly Dictionary<double, float[]> smoothed = [];

    InstanceFields(float[] maps, int width, int height)
    {
        this.maps = maps;
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    int PixelCount => Width * Height;

    /// <summary>The fields of <paramref name="probabilities"/>, which they read in place (no copy): the caller must not change them meanwhile.</summary>
    public static InstanceFields From(float[] probabilities, int width, int height)
    {
        if (width <= 0 || height <= 0 || probabilities.Length != 3L * width * height)
            throw new ArgumentException($"Expected 3 x {width}x{height} probabilities, got {probabilities.Length}.", nameof(probabilities));
        return new InstanceFields(probabilities, width, height);
    }

    public byte[] Foreground(double threshold)
    {
        var limit = (float)(1 - threshold);
        var background = maps.AsSpan(0, PixelCount);
        var mask = new byte[background.Length];
        for (var i = 0; i < mask.Length; i++)
            mask[i] = background[i] <= limit ? (byte)1 : (byte)0;
        return mask;
    }

    /// <summary>The interior probability, Gaussian-smoothed by <paramref name="sigma"/> (cached per σ).</summary>
    public ReadOnlySpan<float> Interior(double sigma)
    {
        var interior = maps.AsSpan(PixelCount, PixelCount);
        if (sigma <= 0)
            return interior;
        if (!smoothed.TryGetValue(sigma, out var values))
        {
            values = new float[PixelCount];
            ImageOps.GaussianBlur(interior, Width, Height, values, sigma);
            smoothed[sigma] = values;
        }
        return values;
    }

    /// <summary>4-connected seed regions (1..count) where the foreground's interior value reaches <paramref name="threshold"/>, with their areas (one call into the shim, <c>ac_instance_seeds</c>).</summary>
    public unsafe SeedRegions Seeds(byte[] foreground, ReadOnlySpan<float> interiorValues, double threshold)
    {
        CheckPixels(foreground.Length, nameof(foreground));
        CheckPixels(interiorValues.Length, nameof(interiorValues));
        var labels = new int[foreground.Length];
        int count;
        fixed (byte* mask = foreground)
        fixed (float* values = interiorValues)
        fixed (int* output = labels)
            count = NativeMethods.InstanceSeeds(mask, values, (float)threshold, Width, Height, output);
        NativeShim.CheckForErrors();
        return new SeedRegions(labels, Areas(labels, count));
    }

    /// <summary>
    /// What every flood of <paramref name="foreground"/> shares, whatever its seeds: the foreground's 8-connected
    /// regions and the relief the watershed floods (the boundary probability), made once so that the tuner's floods
    /// of one foreground do not each make them again. One call into the shim (<c>ac_instance_flood_ground</c>).
    /// </summary>
    public unsafe FloodGround Ground(byte[] foreground)
    {
        CheckPixels(foreground.Length, nameof(foreground));
        var regions = new int[PixelCount];
        // 8-bit BGR with a one-pixel frame: what OpenCV's watershed reads, so each flood passes it as it is.
        var relief = new byte[3 * (Width + 2) * (Height + 2)];
        int count;
        fixed (byte* mask = foreground)
        fixed (float* boundary = maps.AsSpan(2 * PixelCount, PixelCount))
        fixed (int* regionLabels = regions)
        fixed (byte* reliefBytes = relief)
            count = NativeMethods.InstanceFloodGround(mask, boundary, Width, Height, regionLabels, reliefBytes);
        NativeShim.CheckForErrors();
        return new FloodGround(foreground, regions, count, relief);
    }

    /// <summary>
    /// Objects 1..n of the ground's foreground: the watershed from the seeds of at least <paramref name="minSeedArea"/>
    /// pixels over the boundary probability, each seedless 8-connected foreground region as one object; foreground
    /// pixels the watershed left unclaimed (its lines, or ground the background marker reached first) join the nearest
    /// object within the foreground. One call into the shim (<c>ac_instance_flood</c>), which runs these steps on
    /// OpenCV's watershed without a copy of the maps.
    /// </summary>
    public unsafe int[] Flood(FloodGround ground, SeedRegions seeds, int minSeedArea, out int[] areas)
    {
        ArgumentNullException.ThrowIfNull(ground);
        CheckPixels(ground.Foreground.Length, nameof(ground));
        CheckPixels(seeds.Labels.Length, nameof(seeds));
        var labels = new int[PixelCount];
        int count;
        fixed (byte* mask = ground.Foreground)
        fixed (int* regions = ground.Regions)
        fixed (byte* relief = ground.Relief)
        fixed (int* seedLabels = seeds.Labels)
        fixed (int* seedAreas = seeds.Areas)
        fixed (int* objects = labels)
            count = NativeMethods.InstanceFlood(mask, regions, ground.RegionCount, relief, seedLabels, seedAreas, seeds.Areas.Length, Width, Height, minSeedArea, objects);
        NativeShim.CheckForErrors();
        areas = Areas(labels, count + 1);
        areas[0] = 0;
        return labels;
    }

    void CheckPixels(int length, string name)
    {
        if (length != PixelCount)
            throw new ArgumentException($"Expected {Width}x{Height} = {PixelCount} values, got {length}.", name);
    }

    // The pixel count of each label 0..count − 1.
    static int[] Areas(int[] labels, int count)
    {
        var areas = new int[count];
        foreach (var label in labels)
            areas[label]++;
        return areas;
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

/// <summary>
/// A foreground mask with what every flood of it shares (<see cref="InstanceFields.Ground"/>): its 8-connected regions
/// (1..<see cref="RegionCount"/> − 1, 0 = background) and the watershed's relief, 8-bit BGR with a one-pixel frame.
/// </summary>
internal sealed record FloodGround(byte[] Foreground, int[] Regions, int RegionCount, byte[] Relief);
