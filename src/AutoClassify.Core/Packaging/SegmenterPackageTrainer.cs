using System.Globalization;
using AutoClassify.Imaging.Formats;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>Settings of <see cref="SegmenterPackageTrainer.Train"/>.</summary>
public sealed class SegmenterPackageOptions
{
    /// <summary>Folder of annotated micrographs (any layout <see cref="SegmentationDataLoader"/> reads).</summary>
    public required string DataPath { get; init; }

    /// <summary><c>unet</c>, <c>resunet</c> or <c>pixel-forest</c> (<see cref="Names"/>).</summary>
    public string Model { get; init; } = "unet";

    /// <summary>The models <see cref="SegmenterPackageTrainer"/> can package.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. UNetTrainer.Names, "pixel-forest"];

    /// <summary>Feature bank and forest settings when <see cref="Model"/> is <c>pixel-forest</c>.</summary>
    public PixelForestOptions PixelForest { get; init; } = new();

    /// <summary>Network, training and tiling settings; <see cref="UNetOptions.Residual"/> follows <see cref="Model"/>.</summary>
    public UNetOptions UNet { get; init; } = new();

    public string? MasksDirectory { get; init; }

    /// <summary>The mask kind; null detects it.</summary>
    public MaskKind? MaskKind { get; init; }

    public BannerMode Banner { get; init; } = BannerMode.Crop;

    public int Seed { get; init; } = 42;

    /// <summary>libtorch and decoding threads (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>The command line, for provenance.</summary>
    public string CommandLine { get; init; } = "";
}

/// <summary>
/// Trains a production segmenter: reads and validates the annotated micrographs (every problem listed at once),
/// fits a U-Net, residual U-Net or pixel forest on all of them (the U-Net's early stopping and the instance forest's
/// split tuning hold out whole images, as in <c>segment-benchmark</c>), and returns it with a manifest that records the training files' hashes, the data
/// folders, the mask kind, the seed, this build's versions, the command line and the fit's facts, so the registry
/// stores it like any classifier. The early-stopping validation score is a fact, not a metric: it chose the epoch,
/// so it is optimistic; <c>segment-benchmark</c> gives honest figures.
/// </summary>
public static class SegmenterPackageTrainer
{
    public static TrainedPackage Train(SegmenterPackageOptions options, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = DateTimeOffset.UtcNow;
        ISegmenterTrainer trainer = options.Model == "pixel-forest"
            ? new PixelForestTrainer(options.PixelForest)
            : UNetTrainer.Create(options.Model, options.UNet);
        var set = SegmentationDataLoader.Load(options.DataPath, new SegmentationDataOptions
        {
            MasksDirectory = options.MasksDirectory,
            Kind = options.MaskKind,
            Banner = options.Banner,
            Threads = options.Threads,
        }, cancellationToken);
        var data = set.Data;
        var inv = CultureInfo.InvariantCulture;
        log?.Invoke(string.Create(inv, $"{data.Samples.Count} annotated images, {KindName(data.Kind)} masks ({(set.KindDecision.Detected ? "detected: " : "")}{set.KindDecision.Reason}); classes: {string.Join(", ", data.ClassNames)}."));
        log?.Invoke(string.Create(inv, $"Data banners: {set.BannersFound} of {data.Samples.Count} images (--banner {BannerDetector.ModeName(set.Banner)})."));
        foreach (var warning in set.Warnings)
            log?.Invoke(warning.ToString());

        var (files, roots) = HashFiles(set, options.MasksDirectory);
        var summary = new SegmenterTrainingSummary();
        var context = new TrainingContext { Seed = options.Seed, Threads = options.Threads, Log = log, CancellationToken = cancellationToken };
        var segmenter = trainer.Train(data, context, summary);
        IPackagedModel packaged = segmenter switch
        {
            UNetSegmenter unet => new SegmenterPackagedModel(unet),
            PixelForestSegmenter forest => new PixelForestPackagedModel(forest),
            _ => throw new InvalidOperationException($"{trainer.Name} gave a {segmenter.GetType().Name}, which cannot be packaged."),
        };
        try
        {
            var facts = new Dictionary<string, string>(summary.Facts, StringComparer.Ordinal)
            {
                ["mask_kind"] = KindName(data.Kind),
                ["mask_kind_reason"] = set.KindDecision.Reason,
                ["training_images"] = data.Samples.Count.ToString(inv),
                ["training_seconds"] = summary.TrainingTime.TotalSeconds.ToString("F1", inv),
                ["banners_found"] = set.BannersFound.ToString(inv),
            };
            foreach (var (name, curve) in summary.Curves)
                facts[name + "_curve"] = string.Join(",", curve.Select(v => v.ToString("G5", inv)));
            var manifest = new ModelPackageManifest
            {
                ModelKind = packaged.Kind,
                ClassNames = packaged.ClassNames,
                Preprocessing = packaged.Preprocessing with
                {
                    BannerMode = BannerDetector.ModeName(options.Banner),
                    IntensityMapping = IntensityMapping.Name,
                },
                Provenance = PackageTrainer.Provenance(files, roots, null, options.Seed, options.CommandLine, started, facts),
            };
            return new TrainedPackage(manifest, packaged);
        }
        catch
        {
            packaged.Dispose();
            throw;
        }
    }

    /// <summary><c>binary</c>, <c>class-map</c> or <c>instances</c>, as <c>--mask-kind</c> spells them.</summary>
    public static string KindName(MaskKind kind) => kind switch
    {
        MaskKind.Binary => "binary",
        MaskKind.ClassMap => "class-map",
        _ => "instances",
    };

    // Images relative to the data folder (root 0); masks in a separate --masks folder relative to it (root 1).
    static (List<TrainingFile> Files, List<string> Roots) HashFiles(SegmentationDataSet set, string? masksDirectory)
    {
        var roots = new List<string> { set.Root };
        var maskRoot = masksDirectory is null ? null : Path.GetFullPath(masksDirectory);
        if (maskRoot is not null)
            roots.Add(maskRoot);
        var paths = set.Data.Samples.SelectMany(s => s.SourceFiles).Distinct(StringComparer.Ordinal).ToArray();
        var files = new TrainingFile[paths.Length];
        Parallel.For(0, paths.Length, i =>
        {
            var path = paths[i];
            var inMasks = maskRoot is not null && path.StartsWith(maskRoot.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            var root = inMasks ? 1 : 0;
            var relative = Path.GetRelativePath(roots[root], path).Replace(Path.DirectorySeparatorChar, '/');
            files[i] = new TrainingFile(relative, ModelPackage.Sha256Hex(path), root);
        });
        return ([.. files.OrderBy(f => f.Root).ThenBy(f => f.Path, StringComparer.Ordinal)], roots);
    }
}
