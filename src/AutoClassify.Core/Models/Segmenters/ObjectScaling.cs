using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Preprocessing;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// Object-scale normalisation as a trained U-Net applies it: the object size the network works at, and the range of
/// resize factors fitted on the training images (the factors their true masks gave, widened by
/// <see cref="ObjectScaling.Margin"/> each way and clamped to [<see cref="ObjectScaling.SmallestFactor"/>,
/// <see cref="ObjectScaling.LargestFactor"/>]). Prediction tries factors around <see cref="ProbeFactor"/> and never leaves the range.
/// </summary>
public sealed record ObjectScale
{
    /// <summary>The median object size, in pixels of <see cref="Measure"/>, every image's objects are resized to.</summary>
    public required int ObjectSize { get; init; }

    /// <summary>How an object's size is read (packages written before there was a choice read equivalent diameters).</summary>
    public ObjectMeasure Measure { get; init; } = ObjectMeasure.EquivalentDiameter;

    /// <summary>The smallest resize factor prediction may choose.</summary>
    public required double MinFactor { get; init; }

    /// <summary>The largest resize factor prediction may choose.</summary>
    public required double MaxFactor { get; init; }

    /// <summary>The centre of the ladder of factors tried at prediction: the training images' median factor.</summary>
    public required double ProbeFactor { get; init; }

    /// <summary>The most pixels a resized image may have; a larger factor is reduced to fit.</summary>
    public int MaxPixels { get; init; } = ObjectScaling.DefaultMaxPixels;

    /// <summary>How prediction picks a factor of the ladder; tuned on the trainer's validation images (the default weights in packages written before they were).</summary>
    public ScaleSelection Selection { get; init; } = ScaleSelection.Default;

    /// <summary>What makes these settings unusable, or null.</summary>
    public string? FindProblem()
    {
        if (ObjectSize is < ObjectScaling.MinObjectSize or > ObjectScaling.MaxObjectSize)
            return Invariant($"object_size must lie in [{ObjectScaling.MinObjectSize}, {ObjectScaling.MaxObjectSize}], got {ObjectSize}");
        if (!(MinFactor >= ObjectScaling.SmallestFactor && MinFactor <= ProbeFactor && ProbeFactor <= MaxFactor && MaxFactor <= ObjectScaling.LargestFactor))
            return Invariant($"the factors must satisfy {ObjectScaling.SmallestFactor} <= min_factor <= probe_factor <= max_factor <= {ObjectScaling.LargestFactor}, got {MinFactor}, {ProbeFactor}, {MaxFactor}");
        if (!Enum.IsDefined(Measure))
            return Invariant($"measure {(int)Measure} is not equivalent_diameter or thickness");
        if (MaxPixels < 4096)
            return Invariant($"max_pixels must be at least 4096, got {MaxPixels}");
        if (Selection is null)
            return "selection must not be null";
        return Selection.FindProblem();
    }

    /// <summary>
    /// The scale fitted on training images whose true masks asked for <paramref name="factors"/> (one per image with
    /// objects): their median is the probe, their range widened by <see cref="ObjectScaling.Margin"/> the bounds.
    /// </summary>
    public static ObjectScale Fit(int objectSize, IReadOnlyList<double> factors, int maxPixels = ObjectScaling.DefaultMaxPixels, ObjectMeasure measure = ObjectMeasure.EquivalentDiameter)
    {
        ArgumentNullException.ThrowIfNull(factors);
        if (factors.Count == 0)
            throw new ArgumentException("Object scaling needs at least one training image with objects in its mask.", nameof(factors));
        var sorted = factors.Order().ToArray();
        var probe = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : Math.Sqrt(sorted[(sorted.Length / 2) - 1] * sorted[sorted.Length / 2]);
        return new ObjectScale
        {
            ObjectSize = objectSize,
            MinFactor = ObjectScaling.Clamp(sorted[0] / ObjectScaling.Margin),
            MaxFactor = ObjectScaling.Clamp(sorted[^1] * ObjectScaling.Margin),
            ProbeFactor = ObjectScaling.Clamp(probe),
            MaxPixels = maxPixels,
            Measure = measure,
        };
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>How object scaling reads the size of one object, in pixels.</summary>
public enum ObjectMeasure
{
    /// <summary>The diameter √(4A/π) of the disc of the object's area A.</summary>
    EquivalentDiameter,

    /// <summary>
    /// The diameter of the largest disc inside the object (twice the largest distance from one of its pixels to its
    /// outline, plus one):
    /// the equivalent diameter for a disc, the width of a rod or a wire, whatever its length.
    /// </summary>
    Thickness,
}

/// <summary>The command-line names of <see cref="ObjectMeasure"/>.</summary>
public static class ObjectMeasures
{
    /// <summary>The names <see cref="Parse"/> accepts, in option order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["diameter", "thickness"];

    /// <summary>The measure a name of <see cref="Names"/> names; null for anything else.</summary>
    public static ObjectMeasure? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "diameter" => ObjectMeasure.EquivalentDiameter,
        "thickness" => ObjectMeasure.Thickness,
        _ => null,
    };
}

/// <summary>
/// Resizing images so that their objects have one size: the median equivalent diameter √(4A/π) of an image's objects
/// (instances, or connected foreground components of a semantic mask; objects cut by the border are left out when any
/// other remains, since they read small) becomes the object size, with the factor clamped to
/// [<see cref="SmallestFactor"/>, <see cref="LargestFactor"/>] and reduced until the resized image has at most the
/// pixel bound.
/// </summary>
public static class ObjectScaling
{
    /// <summary>The smallest resize factor ever used (a 4,096-px object becomes 256 px at most in practice).</summary>
    public const double SmallestFactor = 1.0 / 16;

    /// <summary>The largest resize factor ever used (beyond it, upsampling invents no detail and costs 64× the pixels).</summary>
    public const double LargestFactor = 8;

    /// <summary>The training images' factor range is widened by this ratio each way for prediction.</summary>
    public const double Margin = 2;

    /// <summary>Default bound on a resized image's pixels (2,048²), which bounds the memory and time of one image.</summary>
    public const int DefaultMaxPixels = 1 << 22;

    /// <summary>The smallest object size accepted (a few pixels across).</summary>
    public const int MinObjectSize = 4;

    /// <summary>The largest object size accepted.</summary>
    public const int MaxObjectSize = 1024;

    /// <summary>A factor within [<see cref="SmallestFactor"/>, <see cref="LargestFactor"/>].</summary>
    public static double Clamp(double factor) => Math.Clamp(factor, SmallestFactor, LargestFactor);

    /// <summary>
    /// The median equivalent diameter in pixels of the objects of <paramref name="mask"/> (instance ids for
    /// <see cref="MaskKind.Instances"/>, otherwise the 8-connected components of the non-zero pixels); null when it has none.
    /// </summary>
    public static double? MedianDiameter(int[] mask, int width, int height, MaskKind kind) =>
        MedianDiameter(ObjectIds(mask, width, height, kind), width, height);

    /// <summary>
    /// The objects of <paramref name="mask"/> as an id map (0 = background): the mask itself for
    /// <see cref="MaskKind.Instances"/>, otherwise the 8-connected components of its non-zero pixels.
    /// </summary>
    public static int[] ObjectIds(int[] mask, int width, int height, MaskKind kind)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} mask values, got {mask.Length}.", nameof(mask));
        if (kind == MaskKind.Instances)
            return mask;
        var foreground = new byte[mask.Length];
        for (var i = 0; i < mask.Length; i++)
            foreground[i] = mask[i] != 0 ? (byte)1 : (byte)0;
        return [.. ImageOps.ConnectedComponents(new BinaryMask(width, height, foreground), connectivity: 8).Labels];
    }

    /// <summary>The median equivalent diameter in pixels of the objects of an id map (0 = background); null when it has none.</summary>
    public static double? MedianDiameter(ReadOnlySpan<int> ids, int width, int height) => MedianDiameter(Areas(ids, width, height));

    /// <summary>
    /// The interquartile range of the log equivalent diameters of the objects of an id map (0 = background) that the
    /// border does not cut; null with fewer than two such objects.
    /// </summary>
    public static double? LogDiameterSpread(ReadOnlySpan<int> ids, int width, int height) => LogDiameterSpread(Areas(ids, width, height));

    /// <summary>
    /// <see cref="MedianDiameter(ReadOnlySpan{int}, int, int)"/> and <see cref="LogDiameterSpread(ReadOnlySpan{int}, int, int)"/>
    /// of one id map, from one pass over it.
    /// </summary>
    public static (double? MedianDiameter, double? Spread) Sizes(ReadOnlySpan<int> ids, int width, int height)
    {
        var objects = Areas(ids, width, height);
        return (MedianDiameter(objects), LogDiameterSpread(objects));
    }

    /// <summary>
    /// The median size in pixels of the objects of <paramref name="mask"/> read by <paramref name="measure"/> (objects as
    /// <see cref="ObjectIds"/> finds them); null when it has none.
    /// </summary>
    public static double? MedianSize(int[] mask, int width, int height, MaskKind kind, ObjectMeasure measure) =>
        measure == ObjectMeasure.EquivalentDiameter
            ? MedianDiameter(mask, width, height, kind)
            : Sizes(ObjectIds(mask, width, height, kind), width, height, measure).Median;

    /// <summary>
    /// The median size of the objects of an id map read by <paramref name="measure"/> (those the border cuts left out
    /// when any other remains), and the interquartile range of the log sizes of those the border does not cut (null
    /// with fewer than two).
    /// </summary>
    public static (double? Median, double? Spread) Sizes(ReadOnlySpan<int> ids, int width, int height, ObjectMeasure measure)
    {
        if (measure == ObjectMeasure.EquivalentDiameter)
            return Sizes(ids, width, height);
        var objects = Areas(ids, width, height);
        if (objects.Count == 0)
            return (null, null);
        var thickness = Thicknesses(ids, width, height);
        var inner = objects.Where(o => !o.Value.AtBorder).Select(o => thickness[o.Key]).Order().ToArray();
        var sizes = inner.Length > 0 ? inner : [.. objects.Keys.Select(id => thickness[id]).Order()];
        var median = OrderStatistics.Median(sizes);
        double? spread = inner.Length < 2 ? null : Math.Log(inner[3 * inner.Length / 4]) - Math.Log(inner[inner.Length / 4]);
        return (median, spread);
    }

    /// <summary>
    /// Every object's <see cref="ObjectMeasure.Thickness"/>: one distance transform of the pixels whose four neighbours
    /// (inside the image) carry their id, so touching objects part at their shared edge and the image border cuts nothing.
    /// </summary>
    static Dictionary<int, double> Thicknesses(ReadOnlySpan<int> ids, int width, int height)
    {
        var core = new byte[ids.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var id = ids[i];
                if (id != 0 && (x == 0 || ids[i - 1] == id) && (x == width - 1 || ids[i + 1] == id)
                    && (y == 0 || ids[i - width] == id) && (y == height - 1 || ids[i + width] == id))
                    core[i] = 1;
            }
        }
        var distances = new float[ids.Length];
        ImageOps.DistanceTransform(core, width, height, borderIsBackground: false, distances);
        var largest = new Dictionary<int, float>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] != 0)
                largest[ids[i]] = Math.Max(largest.GetValueOrDefault(ids[i]), distances[i]);
        }
        // An object with no pixel outside it anywhere in the image reads as wide as the image.
        var widest = (double)Math.Max(width, height);
        return largest.ToDictionary(o => o.Key, o => Math.Min((2.0 * o.Value) + 1, widest));
    }

    static double? MedianDiameter(Dictionary<int, (long Area, bool AtBorder)> objects)
    {
        if (objects.Count == 0)
            return null;
        var inner = objects.Values.Where(o => !o.AtBorder).Select(o => o.Area).ToArray();
        var areas = (inner.Length > 0 ? inner : [.. objects.Values.Select(o => o.Area)]).Order().ToArray();
        var median = areas.Length % 2 == 1 ? areas[areas.Length / 2] : (areas[(areas.Length / 2) - 1] + areas[areas.Length / 2]) / 2.0;
        return Math.Sqrt(4 * median / Math.PI);
    }

    static double? LogDiameterSpread(Dictionary<int, (long Area, bool AtBorder)> objects)
    {
        var logs = objects.Values.Where(o => !o.AtBorder).Select(o => Math.Log(Math.Sqrt(4 * o.Area / Math.PI))).Order().ToArray();
        return logs.Length < 2 ? null : logs[3 * logs.Length / 4] - logs[logs.Length / 4];
    }

    /// <summary>Every object of an id map (0 = background): its area in pixels, and whether it touches the image border.</summary>
    public static Dictionary<int, (long Area, bool AtBorder)> Areas(ReadOnlySpan<int> ids, int width, int height)
    {
        var objects = new Dictionary<int, (long Area, bool AtBorder)>();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var id = ids[(y * width) + x];
                if (id == 0)
                    continue;
                var (area, atBorder) = objects.GetValueOrDefault(id);
                objects[id] = (area + 1, atBorder || x == 0 || y == 0 || x == width - 1 || y == height - 1);
            }
        }
        return objects;
    }

    /// <summary>The factor that brings objects of <paramref name="diameter"/> px to <paramref name="objectSize"/> px, clamped.</summary>
    public static double Factor(double diameter, int objectSize) => Clamp(objectSize / Math.Max(diameter, 1e-6));

    /// <summary>
    /// The size of a <paramref name="width"/> x <paramref name="height"/> image resized by <paramref name="factor"/>
    /// (reduced so the result has at most <paramref name="maxPixels"/> pixels), and the factor actually used.
    /// </summary>
    public static (int Width, int Height, double Factor) Size(int width, int height, double factor, int maxPixels)
    {
        var bound = Math.Sqrt(maxPixels / ((double)width * height));
        var f = Math.Min(factor, bound);
        var w = Math.Max(1, (int)Math.Round(width * f));
        var h = Math.Max(1, (int)Math.Round(height * f));
        while ((long)w * h > maxPixels)
            (w, h) = (Math.Max(1, w - 1), Math.Max(1, (int)Math.Round((w - 1) * (double)height / width)));
        return (w, h, Math.Sqrt((double)w * h / ((double)width * height)));
    }

    /// <summary>A training sample with its image and mask resized by <paramref name="factor"/> (the mask by nearest neighbour).</summary>
    internal static SegmentationSample Sample(SegmentationSample sample, double factor, int maxPixels)
    {
        var (width, height, _) = Size(sample.Width, sample.Height, factor, maxPixels);
        if (width == sample.Width && height == sample.Height)
            return sample;
        return sample with
        {
            Image = InputScaling.Image(sample.Image, width, height),
            Mask = InputScaling.Labels(sample.Mask, sample.Width, sample.Height, width, height),
        };
    }
}
