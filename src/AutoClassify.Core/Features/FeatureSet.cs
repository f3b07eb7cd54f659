using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Features;

/// <summary>
/// Which per-image feature vector a feature model reads, and how to compute it from a prepared image:
/// <list type="bullet">
/// <item><see cref="HandcraftedName"/>: the thesis's object features (<see cref="HandcraftedFeatures"/>), for crops
/// of one object.</item>
/// <item><see cref="FieldName"/>: the whole-field particle statistics and texture (<see cref="ParticleFeatures"/>),
/// for fields of view. Lengths are in nm and densities per µm² when <see cref="NmPerPixel"/> is known, else in
/// pixels and per megapixel.</item>
/// </list>
/// Training and prediction compute rows through the same instance, so a package predicts on exactly the features
/// it was trained on. Thread-safe.
/// </summary>
public sealed class FeatureSet : IEquatable<FeatureSet>
{
    public const string HandcraftedName = "handcrafted";
    public const string FieldName = "field";

    readonly ParticleSegmenter? segmenter;

    FeatureSet(string name, double? nmPerPixel)
    {
        Name = name;
        NmPerPixel = nmPerPixel;
        if (name == FieldName)
            segmenter = new ParticleSegmenter(new ParticleSegmentationOptions { NmPerPixel = nmPerPixel });
    }

    /// <summary>The thesis's handcrafted object features.</summary>
    public static FeatureSet Handcrafted { get; } = new(HandcraftedName, null);

    /// <summary>The whole-field particle and texture features at <paramref name="nmPerPixel"/> (null = in pixels).</summary>
    public static FeatureSet Field(double? nmPerPixel)
    {
        if (nmPerPixel is { } nm && !(nm > 0 && double.IsFinite(nm)))
            throw new ArgumentOutOfRangeException(nameof(nmPerPixel), nm, "nm per pixel must be a positive number.");
        return new FeatureSet(FieldName, nmPerPixel);
    }

    /// <summary>The set called <paramref name="name"/> (as written by <see cref="Name"/>); throws naming an unknown one.</summary>
    public static FeatureSet Parse(string name, double? nmPerPixel) => name switch
    {
        HandcraftedName when nmPerPixel is null => Handcrafted,
        HandcraftedName => throw new ArgumentException("The handcrafted features are measured in pixels; they take no nm per pixel.", nameof(nmPerPixel)),
        FieldName => Field(nmPerPixel),
        _ => throw new ArgumentException($"Unknown feature set '{name}'; known: {HandcraftedName}, {FieldName}.", nameof(name)),
    };

    /// <summary><see cref="HandcraftedName"/> or <see cref="FieldName"/>.</summary>
    public string Name { get; }

    /// <summary>Pixel size the lengths and densities are measured at; null when in pixels (always for the handcrafted set).</summary>
    public double? NmPerPixel { get; }

    /// <summary><c>nm</c> or <c>px</c>: the unit of the set's lengths.</summary>
    public string LengthUnit => NmPerPixel is null ? "px" : "nm";

    /// <summary>Feature names, in the order of every row.</summary>
    public IReadOnlyList<string> Names => segmenter is null ? HandcraftedFeatures.Names : ParticleFeatures.Names;

    /// <summary>One line for reports and manifests, e.g. <c>field (33 features, lengths in px and density per megapixel: no pixel size known)</c>.</summary>
    public string Describe() => segmenter is null
        ? string.Create(CultureInfo.InvariantCulture, $"{Name} ({Names.Count} features, in px)")
        : NmPerPixel is { } nm
            ? string.Create(CultureInfo.InvariantCulture, $"{Name} ({Names.Count} features, lengths in nm at {nm:G6} nm/px, density per µm²)")
            : string.Create(CultureInfo.InvariantCulture, $"{Name} ({Names.Count} features, lengths in px and density per megapixel: no pixel size known)");

    /// <summary>The feature row of one prepared image; <paramref name="mask"/> is used by the handcrafted set only.</summary>
    public double[] Extract(GrayImage image, BinaryMask? mask = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return segmenter is null ? HandcraftedFeatures.Extract(image, mask) : ParticleFeatures.Extract(image, segmenter);
    }

    /// <summary>
    /// The set that measures an image reduced by <paramref name="reduction"/> (<see cref="ImageReduction"/>): with a known
    /// pixel size, lengths are in nm at <paramref name="reduction"/> times the size; in pixels, this set (the reduced image's pixels).
    /// </summary>
    public FeatureSet At(int reduction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reduction);
        return reduction == 1 || NmPerPixel is not { } nm ? this : Field(nm * reduction);
    }

    /// <summary>The feature row of a prepared image, measured at the pixel size it was reduced to (<see cref="At"/>).</summary>
    public double[] Extract(PreparedImage prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        return At(prepared.Reduction).Extract(prepared.Image, prepared.Mask);
    }

    /// <summary>Rows for a batch on <paramref name="threads"/> threads (0 = all cores), in input order; cancellable between images.</summary>
    public FeatureMatrix ExtractAll(IReadOnlyList<GrayImage> images, IReadOnlyList<BinaryMask?>? masks, int threads,
        CancellationToken cancellationToken = default) => ExtractAll(images, masks, null, threads, cancellationToken);

    /// <summary>
    /// As <see cref="ExtractAll(IReadOnlyList{GrayImage}, IReadOnlyList{BinaryMask?}?, int, CancellationToken)"/>, each image
    /// measured at the pixel size its <paramref name="reductions"/> entry gave it (<see cref="At"/>; null: none reduced).
    /// </summary>
    public FeatureMatrix ExtractAll(IReadOnlyList<GrayImage> images, IReadOnlyList<BinaryMask?>? masks, IReadOnlyList<int>? reductions, int threads,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (reductions is not null && NmPerPixel is not null && reductions.Any(r => r != 1))
        {
            var rows = new double[images.Count][];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount, CancellationToken = cancellationToken };
            Parallel.For(0, images.Count, parallel, i => rows[i] = At(reductions[i]).Extract(images[i], masks?[i]));
            return new FeatureMatrix(Names, rows);
        }
        return segmenter is null
            ? HandcraftedFeatures.ExtractAll(images, masks, threads, cancellationToken)
            : ParticleFeatures.ExtractAll(images, threads, segmenter, cancellationToken);
    }

    public bool Equals(FeatureSet? other) => other is not null && Name == other.Name && NmPerPixel == other.NmPerPixel;

    public override bool Equals(object? obj) => Equals(obj as FeatureSet);

    public override int GetHashCode() => HashCode.Combine(Name, NmPerPixel);

    public override string ToString() => Describe();
}
