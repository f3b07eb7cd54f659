namespace AutoClassify.Segmentation;

/// <summary>How <see cref="ParticleSegmenter"/> evens out uneven illumination before thresholding.</summary>
public enum ContrastNormalization
{
    None = 0,

    /// <summary>Contrast-limited adaptive histogram equalisation (OpenCV CLAHE).</summary>
    Clahe = 1,

    /// <summary>Subtract the Gaussian-weighted local mean and divide by the local standard deviation.</summary>
    LocalMeanStd = 2,
}

/// <summary>The global or local threshold that separates particles from background.</summary>
public enum ParticleThreshold
{
    Otsu = 0,

    /// <summary>Gaussian-weighted local mean over <see cref="ParticleSegmentationOptions.AdaptiveBlockSize"/> pixels.</summary>
    Adaptive = 1,
}

/// <summary>Whether particles are brighter or darker than the background.</summary>
public enum ParticlePolarity
{
    /// <summary>The phase that covers most of the image border is background.</summary>
    Auto = 0,
    Bright = 1,
    Dark = 2,
}

/// <summary>How watershed seeds are found on the distance transform of the particle mask.</summary>
public enum MarkerMethod
{
    /// <summary>h-maxima: a distance peak is a seed if it rises <see cref="ParticleSegmentationOptions.PeakHeight"/> pixels above the saddle to any higher peak.</summary>
    HMaxima = 0,

    /// <summary>Pixels whose distance reaches <see cref="ParticleSegmentationOptions.PeakFraction"/> of their blob's maximum.</summary>
    FractionOfMax = 1,
}

/// <summary>Settings of <see cref="ParticleSegmenter"/>; <see cref="Validate"/> names the first bad one.</summary>
public sealed record ParticleSegmentationOptions
{
    /// <summary>The default values, in one place.</summary>
    public static class Defaults
    {
        public const ContrastNormalization Normalization = ContrastNormalization.Clahe;
        public const double ClaheClipLimit = 2.0;
        public const int ClaheTiles = 8;
        public const double LocalSigma = 32;
        public const double BlurSigma = 1.0;
        public const ParticleThreshold Threshold = ParticleThreshold.Otsu;
        public const int AdaptiveBlockSize = 51;
        public const double AdaptiveOffset = 0.02;
        public const ParticlePolarity Polarity = ParticlePolarity.Auto;
        public const int OpenRadius = 1;
        public const int MaxHoleArea = 400;
        public const int MinArea = 20;
        public const MarkerMethod Markers = MarkerMethod.HMaxima;
        public const double PeakHeight = 1.0;
        public const double PeakFraction = 0.6;
    }

    public ContrastNormalization Normalization { get; init; } = Defaults.Normalization;

    /// <summary>CLAHE clip limit (OpenCV units; higher = more contrast, more noise).</summary>
    public double ClaheClipLimit { get; init; } = Defaults.ClaheClipLimit;

    /// <summary>CLAHE tiles along each axis.</summary>
    public int ClaheTiles { get; init; } = Defaults.ClaheTiles;

    /// <summary>Gaussian window (pixels) of the local mean/std normalisation.</summary>
    public double LocalSigma { get; init; } = Defaults.LocalSigma;

    /// <summary>Gaussian smoothing (pixels) after normalisation, before the threshold; 0 = none.</summary>
    public double BlurSigma { get; init; } = Defaults.BlurSigma;

    public ParticleThreshold Threshold { get; init; } = Defaults.Threshold;

    /// <summary>Adaptive threshold window in pixels (odd, at least 3).</summary>
    public int AdaptiveBlockSize { get; init; } = Defaults.AdaptiveBlockSize;

    /// <summary>How far (intensity units) a particle pixel must stand above (bright) or below (dark) its local mean.</summary>
    public double AdaptiveOffset { get; init; } = Defaults.AdaptiveOffset;

    public ParticlePolarity Polarity { get; init; } = Defaults.Polarity;

    /// <summary>Radius of the opening that removes specks and thin bridges; 0 = none.</summary>
    public int OpenRadius { get; init; } = Defaults.OpenRadius;

    /// <summary>Holes inside particles up to this many pixels are filled (bigger ones are gaps between particles).</summary>
    public int MaxHoleArea { get; init; } = Defaults.MaxHoleArea;

    /// <summary>Particles smaller than this many pixels are dropped.</summary>
    public int MinArea { get; init; } = Defaults.MinArea;

    public MarkerMethod Markers { get; init; } = Defaults.Markers;

    /// <summary>h of the h-maxima markers, in pixels of distance: larger merges more.</summary>
    public double PeakHeight { get; init; } = Defaults.PeakHeight;

    /// <summary>Fraction (0, 1) of a blob's largest distance that its seeds must reach.</summary>
    public double PeakFraction { get; init; } = Defaults.PeakFraction;

    /// <summary>Image scale; when set, lengths are reported in nm and areas in nm², else in pixels.</summary>
    public double? NmPerPixel { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Normalization))
            throw new ArgumentOutOfRangeException(nameof(Normalization), Normalization, "Unknown contrast normalisation.");
        if (!(ClaheClipLimit > 0) || !double.IsFinite(ClaheClipLimit))
            throw new ArgumentOutOfRangeException(nameof(ClaheClipLimit), ClaheClipLimit, "CLAHE clip limit must be a positive number.");
        if (ClaheTiles is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(ClaheTiles), ClaheTiles, "CLAHE tiles must be in 1..64.");
        if (!(LocalSigma > 0) || !double.IsFinite(LocalSigma))
            throw new ArgumentOutOfRangeException(nameof(LocalSigma), LocalSigma, "Local sigma must be a positive number of pixels.");
        if (!(BlurSigma >= 0) || !double.IsFinite(BlurSigma))
            throw new ArgumentOutOfRangeException(nameof(BlurSigma), BlurSigma, "Blur sigma must be zero or a positive number of pixels.");
        if (!Enum.IsDefined(Threshold))
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "Unknown threshold method.");
        if (AdaptiveBlockSize < 3 || AdaptiveBlockSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(AdaptiveBlockSize), AdaptiveBlockSize, "Adaptive block size must be odd and at least 3.");
        if (!double.IsFinite(AdaptiveOffset) || Math.Abs(AdaptiveOffset) > 1)
            throw new ArgumentOutOfRangeException(nameof(AdaptiveOffset), AdaptiveOffset, "Adaptive offset must be a number in [-1, 1].");
        if (!Enum.IsDefined(Polarity))
            throw new ArgumentOutOfRangeException(nameof(Polarity), Polarity, "Unknown polarity.");
        if (OpenRadius is < 0 or > 50)
            throw new ArgumentOutOfRangeException(nameof(OpenRadius), OpenRadius, "Opening radius must be in 0..50 pixels.");
        ArgumentOutOfRangeException.ThrowIfNegative(MaxHoleArea, nameof(MaxHoleArea));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinArea, 1, nameof(MinArea));
        if (!Enum.IsDefined(Markers))
            throw new ArgumentOutOfRangeException(nameof(Markers), Markers, "Unknown marker method.");
        if (!(PeakHeight > 0) || !double.IsFinite(PeakHeight))
            throw new ArgumentOutOfRangeException(nameof(PeakHeight), PeakHeight, "Peak height must be a positive number of pixels.");
        if (!(PeakFraction > 0 && PeakFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(PeakFraction), PeakFraction, "Peak fraction must lie strictly between 0 and 1.");
        if (NmPerPixel is { } scale && (!(scale > 0) || !double.IsFinite(scale)))
            throw new ArgumentOutOfRangeException(nameof(NmPerPixel), scale, "nm per pixel must be a positive number.");
    }
}
