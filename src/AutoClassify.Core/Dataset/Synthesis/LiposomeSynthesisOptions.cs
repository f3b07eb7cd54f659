using System.Globalization;

namespace AutoClassify.Dataset.Synthesis;

/// <summary>A closed interval from which a synthesis parameter is drawn uniformly per image.</summary>
public readonly record struct SynthesisRange(double Min, double Max)
{
    internal double Sample(Random rng) => Min + (Max - Min) * rng.NextDouble();

    internal void Check(string name, double lowest, double highest)
    {
        if (double.IsNaN(Min) || double.IsNaN(Max))
            throw new ArgumentOutOfRangeException(name, "Range bounds must be numbers, not NaN.");
        if (Min > Max)
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"Range minimum {Min} exceeds its maximum {Max}."));
        if (Min < lowest || Max > highest)
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"Range [{Min}, {Max}] must lie within [{lowest}, {highest}]."));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Min}, {Max}]");
}

/// <summary>
/// Settings for <see cref="LiposomeSynthesizer"/>. Lengths (radius, blur) are fractions of <see cref="ImageSize"/>
/// so the look stays the same at any resolution. Call <see cref="Validate"/> (the synthesizer does) before use.
/// </summary>
public sealed class LiposomeSynthesisOptions
{
    /// <summary>Default values, also used by the shipped demo dataset.</summary>
    public static class Defaults
    {
        public const int ImageSize = 64;
        public const int Count = 400;
        public const double UnilamellarFraction = 0.874;
        public const double MultilamellarFraction = 0.12;
        public const double UncertainFraction = 0.006;
        public const int MinPerClass = 15;
        public const int Seed = 7;
        public static readonly SynthesisRange RadiusRange = new(0.19, 0.36);
        public static readonly SynthesisRange ContrastRange = new(0.12, 0.26);
        public static readonly SynthesisRange NoiseRange = new(0.03, 0.075);
        public static readonly SynthesisRange BlurRange = new(0.006, 0.013);
        public static readonly SynthesisRange DefocusRange = new(0.3, 1.4);
        public const double CenterJitter = 0.04;
    }

    /// <summary>Width and height of every crop in pixels.</summary>
    public int ImageSize { get; set; } = Defaults.ImageSize;

    /// <summary>Total number of crops over all classes.</summary>
    public int Count { get; set; } = Defaults.Count;

    /// <summary>Relative share of unilamellar crops (fractions are normalised by their sum).</summary>
    public double UnilamellarFraction { get; set; } = Defaults.UnilamellarFraction;

    /// <summary>Relative share of multilamellar crops.</summary>
    public double MultilamellarFraction { get; set; } = Defaults.MultilamellarFraction;

    /// <summary>Relative share of uncertain (overlapped, ice-covered, deformed) crops.</summary>
    public double UncertainFraction { get; set; } = Defaults.UncertainFraction;

    /// <summary>Every minority class gets at least this many crops; the majority class takes the remainder.</summary>
    public int MinPerClass { get; set; } = Defaults.MinPerClass;

    /// <summary>Seed from which every crop's randomness is derived.</summary>
    public int Seed { get; set; } = Defaults.Seed;

    /// <summary>Outer vesicle radius as a fraction of <see cref="ImageSize"/>.</summary>
    public SynthesisRange RadiusRange { get; set; } = Defaults.RadiusRange;

    /// <summary>Darkening of the membrane's peak projected density, in intensity units (0..1).</summary>
    public SynthesisRange ContrastRange { get; set; } = Defaults.ContrastRange;

    /// <summary>Standard deviation of the (slightly correlated) detector noise, in intensity units.</summary>
    public SynthesisRange NoiseRange { get; set; } = Defaults.NoiseRange;

    /// <summary>Gaussian point-spread sigma as a fraction of <see cref="ImageSize"/>.</summary>
    public SynthesisRange BlurRange { get; set; } = Defaults.BlurRange;

    /// <summary>Strength of the bright Fresnel fringe that defocus puts beside dark edges (0 = in focus).</summary>
    public SynthesisRange DefocusRange { get; set; } = Defaults.DefocusRange;

    /// <summary>Largest offset of the object's centre from the crop centre, as a fraction of <see cref="ImageSize"/>.</summary>
    public double CenterJitter { get; set; } = Defaults.CenterJitter;

    /// <summary>Worker threads for generation; output does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Replace crops left in the class folders by an earlier run instead of refusing to write.</summary>
    public bool Overwrite { get; set; }

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        if (ImageSize is < 16 or > 2048)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "ImageSize must be between 16 and 2048 pixels.");
        if (MinPerClass < 0)
            throw new ArgumentOutOfRangeException(nameof(MinPerClass), MinPerClass, "MinPerClass must not be negative.");
        CheckFraction(UnilamellarFraction, nameof(UnilamellarFraction));
        CheckFraction(MultilamellarFraction, nameof(MultilamellarFraction));
        CheckFraction(UncertainFraction, nameof(UncertainFraction));
        if (UnilamellarFraction + MultilamellarFraction + UncertainFraction <= 0)
            throw new ArgumentOutOfRangeException(nameof(UnilamellarFraction), "At least one class fraction must be positive.");
        var classes = LiposomeSynthesizer.ClassNames.Count;
        if (Count < Math.Max(1, MinPerClass * classes))
            throw new ArgumentOutOfRangeException(nameof(Count), Count,
                string.Create(CultureInfo.InvariantCulture, $"Count must be at least {Math.Max(1, MinPerClass * classes)} to give each of the {classes} classes MinPerClass = {MinPerClass} crops."));
        RadiusRange.Check(nameof(RadiusRange), 0.05, 0.42);
        ContrastRange.Check(nameof(ContrastRange), 0, 1);
        if (ContrastRange.Max <= 0)
            throw new ArgumentOutOfRangeException(nameof(ContrastRange), "ContrastRange must allow some contrast (Max > 0).");
        NoiseRange.Check(nameof(NoiseRange), 0, 1);
        BlurRange.Check(nameof(BlurRange), 0, 0.1);
        DefocusRange.Check(nameof(DefocusRange), 0, 3);
        if (double.IsNaN(CenterJitter) || CenterJitter is < 0 or > 0.1)
            throw new ArgumentOutOfRangeException(nameof(CenterJitter), CenterJitter, "CenterJitter must be between 0 and 0.1 of the image size.");
        if (MaxDegreeOfParallelism is 0 or < -1)
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "MaxDegreeOfParallelism must be positive, or -1 for no limit.");
    }

    static void CheckFraction(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite, non-negative share.");
    }
}
