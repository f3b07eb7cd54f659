using System.Globalization;
using AutoClassify.Imaging;

namespace AutoClassify.Dataset.Synthesis;

/// <summary>The three liposome classes the synthesizer draws.</summary>
public enum LiposomeClass
{
    /// <summary>One membrane.</summary>
    Unilamellar = 0,

    /// <summary>Several nested membranes.</summary>
    Multilamellar = 1,

    /// <summary>Overlapped, ice-covered, deformed or clustered objects that defy the other two labels.</summary>
    Uncertain = 2,
}

/// <summary>One synthetic crop with the filled outline of its central object.</summary>
public sealed record SynthesizedCrop(GrayImage Image, BinaryMask Mask, LiposomeClass Class);

/// <summary>How many crops of one class were written, and where.</summary>
public sealed record LiposomeClassCount(string ClassName, int Count, string Directory);

/// <summary>What <see cref="LiposomeSynthesizer.Generate(string, LiposomeSynthesisOptions, CancellationToken)"/> wrote.</summary>
public sealed record LiposomeSynthesisSummary(string OutputDirectory, int Seed, int ImageSize, IReadOnlyList<LiposomeClassCount> Classes)
{
    public int Total => Classes.Sum(c => c.Count);
}

/// <summary>
/// Generates artificial cryo-TEM liposome crops (unilamellar, multilamellar, uncertain) with object masks,
/// as a deterministic function of <see cref="LiposomeSynthesisOptions"/>: the same options give byte-identical files.
/// </summary>
public sealed class LiposomeSynthesizer
{
    const string MaskSuffix = ".mask.png";

    /// <summary>Folder and file-name prefix of each class, indexed by <see cref="LiposomeClass"/>.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["unilamellar", "multilamellar", "uncertain"];

    readonly LiposomeSynthesisOptions _options;

    /// <summary>Validates <paramref name="options"/>; later changes to the options object are not seen.</summary>
    public LiposomeSynthesizer(LiposomeSynthesisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = Snapshot(options);
    }

    /// <summary>Writes <c>&lt;out&gt;/&lt;class&gt;/&lt;class&gt;_00000.png</c> plus <c>.mask.png</c> siblings for every crop.</summary>
    public static LiposomeSynthesisSummary Generate(string outputDirectory, LiposomeSynthesisOptions options, CancellationToken cancellationToken = default)
        => new LiposomeSynthesizer(options).Generate(outputDirectory, cancellationToken);

    /// <summary>Crops per class (in <see cref="LiposomeClass"/> order) for the given options.</summary>
    public static IReadOnlyList<int> PlanCounts(LiposomeSynthesisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        double[] fractions = [options.UnilamellarFraction, options.MultilamellarFraction, options.UncertainFraction];
        var sum = fractions.Sum();
        var majority = Array.IndexOf(fractions, fractions.Max());
        var counts = new int[fractions.Length];
        for (var c = 0; c < counts.Length; c++)
        {
            if (c != majority)
                counts[c] = Math.Max(options.MinPerClass, (int)Math.Round(options.Count * fractions[c] / sum, MidpointRounding.AwayFromZero));
        }
        counts[majority] = options.Count - counts.Sum();
        if (counts[majority] < options.MinPerClass)
            throw new ArgumentOutOfRangeException(nameof(options), string.Create(CultureInfo.InvariantCulture,
                $"Count {options.Count} leaves the majority class {ClassNames[majority]} only {counts[majority]} crops, fewer than MinPerClass {options.MinPerClass}."));
        return counts;
    }

    /// <summary>Renders crop <paramref name="index"/> of <paramref name="kind"/> in memory, exactly as <see cref="Generate(string, CancellationToken)"/> writes it.</summary>
    public SynthesizedCrop Render(LiposomeClass kind, int index)
    {
        if (!Enum.IsDefined(kind))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown liposome class.");
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return CropRenderer.Render(_options, kind, Seeds.Derive(_options.Seed, "synth-liposome", (int)kind, index));
    }

    /// <summary>Writes the whole dataset under <paramref name="outputDirectory"/> and returns the counts.</summary>
    public LiposomeSynthesisSummary Generate(string outputDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        var root = Path.GetFullPath(outputDirectory);
        var counts = PlanCounts(_options);

        var jobs = new List<(LiposomeClass Kind, int Index, string Path)>();
        var classes = new List<LiposomeClassCount>();
        for (var c = 0; c < counts.Count; c++)
        {
            var name = ClassNames[c];
            var dir = Path.Combine(root, name);
            PrepareClassDirectory(dir, name);
            classes.Add(new LiposomeClassCount(name, counts[c], dir));
            for (var i = 0; i < counts[c]; i++)
                jobs.Add(((LiposomeClass)c, i, Path.Combine(dir, FileStem(name, i))));
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.ForEach(jobs, parallel, job =>
        {
            var crop = Render(job.Kind, job.Index);
            PngWriter.Write(job.Path + ".png", crop.Image);
            PngWriter.Write(job.Path + MaskSuffix, crop.Mask);
        });
        return new LiposomeSynthesisSummary(root, _options.Seed, _options.ImageSize, classes);
    }

    /// <summary>File name without extension of crop <paramref name="index"/>, e.g. <c>unilamellar_00042</c>.</summary>
    public static string FileStem(string className, int index)
        => string.Create(CultureInfo.InvariantCulture, $"{className}_{index:D5}");

    void PrepareClassDirectory(string dir, string className)
    {
        Directory.CreateDirectory(dir);
        var stale = Directory.GetFiles(dir, className + "_*.png");
        if (stale.Length == 0)
            return;
        if (!_options.Overwrite)
            throw new IOException($"'{dir}' already holds {stale.Length} generated files (e.g. '{Path.GetFileName(stale[0])}'); set Overwrite to replace them.");
        // Remove the old run entirely so a smaller count does not leave extra crops behind.
        foreach (var file in stale)
            File.Delete(file);
    }

    static LiposomeSynthesisOptions Snapshot(LiposomeSynthesisOptions o) => new()
    {
        ImageSize = o.ImageSize,
        Count = o.Count,
        UnilamellarFraction = o.UnilamellarFraction,
        MultilamellarFraction = o.MultilamellarFraction,
        UncertainFraction = o.UncertainFraction,
        MinPerClass = o.MinPerClass,
        Seed = o.Seed,
        RadiusRange = o.RadiusRange,
        ContrastRange = o.ContrastRange,
        NoiseRange = o.NoiseRange,
        BlurRange = o.BlurRange,
        DefocusRange = o.DefocusRange,
        CenterJitter = o.CenterJitter,
        MaxDegreeOfParallelism = o.MaxDegreeOfParallelism,
        Overwrite = o.Overwrite,
    };
}
