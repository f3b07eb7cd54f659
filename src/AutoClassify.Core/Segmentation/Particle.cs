using AutoClassify.Imaging;
using AutoClassify.IO;

namespace AutoClassify.Segmentation;

/// <summary>
/// One segmented particle, in pixel units: <see cref="Area"/> is its pixel count, lengths are measured on the
/// pixel squares (a w x h rectangle has Feret diameters √(w²+h²) and h). Use <see cref="ParticleScale"/> for nm.
/// </summary>
/// <param name="Label">Its value in the label image (1-based).</param>
/// <param name="Area">Pixel count.</param>
/// <param name="EquivalentDiameter">Diameter of the disk with the same area, √(4A/π).</param>
/// <param name="FeretMax">Largest caliper width.</param>
/// <param name="FeretMin">Smallest caliper width (rotating calipers over the convex hull).</param>
/// <param name="Perimeter">Boundary length through the boundary pixel centres (Vossepoel–Smeulders estimator).</param>
/// <param name="Circularity">4π·(polygon area)/perimeter², 1 for a disk, capped at 1.</param>
/// <param name="Solidity">Area over the area of the convex hull of its pixel squares: 1 for a convex particle.</param>
/// <param name="MeanIntensity">Mean grey level of the input image over the particle, in [0, 1].</param>
/// <param name="CentroidX">Mean pixel column.</param>
/// <param name="CentroidY">Mean pixel row.</param>
/// <param name="Left">Bounding box: first column.</param>
/// <param name="Top">Bounding box: first row.</param>
/// <param name="Width">Bounding box width in pixels.</param>
/// <param name="Height">Bounding box height in pixels.</param>
/// <param name="TouchesBorder">True when the particle reaches the image edge, so its size is cut off.</param>
public sealed record Particle(
    int Label,
    int Area,
    double EquivalentDiameter,
    double FeretMax,
    double FeretMin,
    double Perimeter,
    double Circularity,
    double Solidity,
    double MeanIntensity,
    double CentroidX,
    double CentroidY,
    int Left,
    int Top,
    int Width,
    int Height,
    bool TouchesBorder);

/// <summary>Converts pixel measures to physical units when the scale is known.</summary>
public readonly record struct ParticleScale(double? NmPerPixel)
{
    /// <summary>"nm" or "px".</summary>
    public string LengthUnit => NmPerPixel is null ? "px" : "nm";

    /// <summary>"nm2" or "px2".</summary>
    public string AreaUnit => NmPerPixel is null ? "px2" : "nm2";

    public double Length(double pixels) => NmPerPixel is { } s ? pixels * s : pixels;

    public double Area(double pixels) => NmPerPixel is { } s ? pixels * s * s : pixels;
}

/// <summary>Per-image totals: particles cut by the border are counted but left out of the size statistics.</summary>
/// <param name="Count">All particles, border ones included.</param>
/// <param name="BorderCount">Particles touching the image edge.</param>
/// <param name="DiameterQ10">10th percentile of equivalent diameter (unit of <see cref="Unit"/>); NaN with no measured particle.</param>
/// <param name="DiameterQ50">Median equivalent diameter.</param>
/// <param name="DiameterQ90">90th percentile of equivalent diameter.</param>
/// <param name="MeanDiameter">Mean equivalent diameter.</param>
/// <param name="AreaFraction">Share of the image covered by particles (border ones included).</param>
/// <param name="Unit">"nm" or "px".</param>
public sealed record ParticleSummary(
    int Count,
    int BorderCount,
    double DiameterQ10,
    double DiameterQ50,
    double DiameterQ90,
    double MeanDiameter,
    double AreaFraction,
    string Unit)
{
    /// <summary>Particles used for the size statistics.</summary>
    public int MeasuredCount => Count - BorderCount;
}

/// <summary>The result of <see cref="ParticleSegmenter.Segment"/> for one image.</summary>
public sealed class ParticleSegmentation
{
    internal ParticleSegmentation(int width, int height, int[] labels, Particle[] particles, ParticlePolarity polarity,
        double threshold, ParticleScale scale)
    {
        Width = width;
        Height = height;
        LabelArray = labels;
        ParticleArray = particles;
        Polarity = polarity;
        Threshold = threshold;
        Scale = scale;
        Summary = Summarise(particles, labels, scale);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major label per pixel: 0 background, particle i at index i - 1 of <see cref="Particles"/>.</summary>
    public IReadOnlyList<int> Labels => LabelArray;

    public IReadOnlyList<Particle> Particles => ParticleArray;

    /// <summary>The polarity the classical segmenter used (never Auto there); Auto when the labels came from a trained model.</summary>
    public ParticlePolarity Polarity { get; }

    /// <summary>The Otsu threshold on the normalised image in [0, 1]; NaN for the adaptive threshold and for a trained model's labels.</summary>
    public double Threshold { get; }

    public ParticleScale Scale { get; }

    public ParticleSummary Summary { get; }

    internal int[] LabelArray { get; }
    internal Particle[] ParticleArray { get; }

    /// <summary>Equivalent diameters (in <see cref="Scale"/> units) of the particles not touching the border, ascending.</summary>
    public double[] MeasuredDiameters() => SegmentedImage.From("", this).MeasuredDiameters();

    /// <summary>The particles as a 0/1 mask.</summary>
    public BinaryMask ToMask()
    {
        var mask = new BinaryMask(Width, Height);
        for (var i = 0; i < LabelArray.Length; i++)
            mask.Data[i] = LabelArray[i] > 0 ? (byte)1 : (byte)0;
        return mask;
    }

    static ParticleSummary Summarise(Particle[] particles, int[] labels, ParticleScale scale)
    {
        var border = particles.Count(p => p.TouchesBorder);
        var diameters = particles.Where(p => !p.TouchesBorder).Select(p => scale.Length(p.EquivalentDiameter)).Order().ToArray();
        var covered = labels.Count(l => l > 0);
        return new ParticleSummary(
            particles.Length, border,
            OrderStatistics.Quantile(diameters, 0.1), OrderStatistics.Quantile(diameters, 0.5), OrderStatistics.Quantile(diameters, 0.9),
            diameters.Length > 0 ? diameters.Average() : double.NaN,
            labels.Length > 0 ? (double)covered / labels.Length : 0,
            scale.LengthUnit);
    }
}
