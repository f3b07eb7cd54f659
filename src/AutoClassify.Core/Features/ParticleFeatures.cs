using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Segmentation;

namespace AutoClassify.Features;

/// <summary>
/// Per-image features for whole-field micrographs: particle statistics from <see cref="ParticleSegmenter"/>
/// followed by <see cref="TextureFeatures"/>. In order (see <see cref="Names"/>):
/// <list type="bullet">
/// <item><c>particle_count</c>: particles found, border ones included.</item>
/// <item><c>particle_density</c>: that count per megapixel, or per µm² when the segmenter knows nm per pixel.</item>
/// <item><c>particle_area_fraction</c>: share of the image covered by particles.</item>
/// <item><c>particle_border_fraction</c>: share of particles cut by the image edge.</item>
/// <item><c>particle_diameter_q10, _q50, _q90</c>: equivalent-diameter quantiles of the particles not touching the
/// border (px or nm).</item>
/// <item><c>particle_circularity_q10, _q50, _q90</c> and <c>particle_solidity_q50</c>: shape quantiles of the same.</item>
/// <item>then <see cref="TextureFeatures.Names"/>.</item>
/// </list>
/// Statistics of an image with no measured particle are 0; no value is NaN.
/// </summary>
public static class ParticleFeatures
{
    static readonly string[] ParticleNames =
    [
        "particle_count", "particle_density", "particle_area_fraction", "particle_border_fraction",
        "particle_diameter_q10", "particle_diameter_q50", "particle_diameter_q90",
        "particle_circularity_q10", "particle_circularity_q50", "particle_circularity_q90", "particle_solidity_q50",
    ];

    /// <summary>Feature names (snake_case), in the order of every vector; stable across versions.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ParticleNames, .. TextureFeatures.Names];

    /// <summary>Extracts the features of one image with the given segmenter (default options when null).</summary>
    public static double[] Extract(GrayImage image, ParticleSegmenter? segmenter = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Extract(image, (segmenter ?? new ParticleSegmenter()).Segment(image));
    }

    /// <summary>Features from a segmentation already made of <paramref name="image"/>.</summary>
    public static double[] Extract(GrayImage image, ParticleSegmentation segmentation)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(segmentation);
        if (image.Width != segmentation.Width || image.Height != segmentation.Height)
            throw new ArgumentException($"Image is {image.Width}x{image.Height} but the segmentation is {segmentation.Width}x{segmentation.Height}.", nameof(segmentation));
        var features = new double[Names.Count];
        var particles = segmentation.Particles;
        var measured = particles.Where(p => !p.TouchesBorder).ToList();
        var scale = segmentation.Scale;
        var pixels = (double)segmentation.Width * segmentation.Height;
        // Per µm² when scaled: (nm per px)² × pixels / 10⁶ nm² per µm².
        var field = scale.NmPerPixel is { } s ? pixels * s * s / 1e6 : pixels / 1e6;
        features[0] = particles.Count;
        features[1] = particles.Count / field;
        features[2] = segmentation.Summary.AreaFraction;
        features[3] = particles.Count > 0 ? (double)segmentation.Summary.BorderCount / particles.Count : 0;
        var diameters = measured.Select(p => scale.Length(p.EquivalentDiameter)).Order().ToArray();
        var circularity = measured.Select(p => p.Circularity).Order().ToArray();
        var solidity = measured.Select(p => p.Solidity).Order().ToArray();
        features[4] = Q(diameters, 0.1);
        features[5] = Q(diameters, 0.5);
        features[6] = Q(diameters, 0.9);
        features[7] = Q(circularity, 0.1);
        features[8] = Q(circularity, 0.5);
        features[9] = Q(circularity, 0.9);
        features[10] = Q(solidity, 0.5);
        TextureFeatures.ExtractInto(image, features.AsSpan(ParticleNames.Length));
        return features;
    }

    /// <summary>Extracts features for a batch on <paramref name="threads"/> threads (0 = all cores).</summary>
    public static FeatureMatrix ExtractAll(IReadOnlyList<GrayImage> images, int threads = 0, ParticleSegmenter? segmenter = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        segmenter ??= new ParticleSegmenter();
        var rows = new double[images.Count][];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, images.Count, options, i =>
        {
            var image = images[i] ?? throw new ArgumentException($"Image {i} is null.", nameof(images));
            rows[i] = Extract(image, segmenter);
        });
        return new FeatureMatrix(Names, rows);
    }

    static double Q(double[] sorted, double q) => sorted.Length == 0 ? 0 : OrderStatistics.Quantile(sorted, q);
}
