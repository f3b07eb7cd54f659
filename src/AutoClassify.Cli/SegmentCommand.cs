using System.CommandLine;
using System.Globalization;
using AutoClassify.Models.Segmenters;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Segmentation;
using AutoClassify.Tensors;

namespace AutoClassify.Cli;

/// <summary>
/// <c>autoclassify segment</c>: particle segmentation of every image under a folder, by the classical pipeline or,
/// with <c>--model</c>, by a trained segmenter from the registry or a package file. Exit code 0 when every image was
/// segmented, 0 with a warning summary when some could not be read, 1 when none could, 2 for an unusable package.
/// </summary>
internal static class SegmentCommand
{
    internal static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("folder") { Description = "Folder of images, searched recursively (no class folders needed)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for labels/, overlays/, particles.csv, summary.csv and index.html.", Required = true };
        var scale = new Option<double?>("--nm-per-pixel") { Description = "Image scale; sizes are then reported in nm, else in pixels." };
        scale.Validators.Add(r =>
        {
            if (CommonOptions.Value<double>(r) is { } v && (!(v > 0) || !double.IsFinite(v)))
                r.AddError("--nm-per-pixel must be a positive number.");
        });
        var minArea = new Option<int>("--min-area")
        {
            Description = "Smallest particle kept, in pixels.",
            DefaultValueFactory = _ => ParticleSegmentationOptions.Defaults.MinArea,
            Validators = { r => CommonOptions.AtLeast(r, "--min-area", 1) },
        };
        var crop = CommonOptions.Crop();
        var banner = CommonOptions.Banner();
        var threads = CommonOptions.Threads();
        var model = new Option<string?>("--model")
        {
            Description = "A trained segmenter (train-segmenter): a registry name (its champion is used) or a package file (*.acpkg). Absent: the classical pipeline.",
        };
        var registry = ModelsCommand.RegistryOption();
        var resampleNm = CommonOptions.ResampleNm();
        var precision = CommonOptions.Precision();
        var flips = CommonOptions.Flips();

        var command = new Command("segment", "Segment the particles of whole-field micrographs; write label masks, overlays, particle CSV and an HTML report.")
        {
            folder, output, scale, minArea, crop, banner, threads, resampleNm, model, registry, precision, flips, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var outDir = OutputGuard.Folder(parse.GetRequiredValue(output).ToString(), "--out", [parse.GetRequiredValue(folder).FullName]);
            var format = parse.GetValue(precision);
            using var package = parse.GetValue(model) is { } modelText ? OpenSegmenter(modelText, parse.GetValue(registry)!.FullName) : null;
            if (format != InferencePrecision.Float32)
                RequirePrecision(format, package);
            var views = parse.GetValue(flips);
            if (views != 1)
                RequireNetwork($"--flips {views}", package);
            var options = new ParticleBatchOptions
            {
                Crop = parse.GetValue(crop),
                Banner = parse.GetValue(banner),
                Threads = parse.GetValue(threads),
                ResampleNm = parse.GetValue(resampleNm),
                Segmentation = new ParticleSegmentationOptions { NmPerPixel = parse.GetValue(scale), MinArea = parse.GetValue(minArea) },
                Labeler = package is null ? null : Labeler(package, parse.GetValue(model)!, format, views),
            };
            var result = ParticleBatch.Run(parse.GetRequiredValue(folder).FullName, outDir, options, cancellationToken);
            var o = parse.InvocationConfiguration.Output;
            var inv = CultureInfo.InvariantCulture;
            var particles = result.Images.Sum(i => i.Summary.Count);
            var border = result.Images.Sum(i => i.Summary.BorderCount);
            o.WriteLine(string.Create(inv, $"Segmented {result.Images.Count} images: {particles} particles ({border} cut by the border, left out of the sizes) in {result.WallTime.TotalSeconds:F1} s."));
            o.WriteLine(string.Create(inv, $"Data banners: {result.BannersFound} of {result.Images.Count} images (--banner {BannerDetector.ModeName(result.Options.Banner)})."));
            o.WriteLine($"Report: {Path.Combine(outDir, "index.html")}");
            var e = parse.InvocationConfiguration.Error;
            foreach (var error in result.Errors)
                e.WriteLine($"unreadable {error.Path}: {error.Reason}");
            if (result.Errors.Count == 0)
                return Task.FromResult(ExitCodes.Success);
            if (result.Images.Count == 0)
            {
                e.WriteLine(string.Create(inv, $"error: none of the {result.Errors.Count} images could be segmented."));
                return Task.FromResult(ExitCodes.Failure);
            }
            e.WriteLine(string.Create(inv, $"warning: {result.Errors.Count} of {result.Errors.Count + result.Images.Count} images could not be read; they are listed in the report."));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>Opens the package <paramref name="model"/> names; throws (exit code 2) when it holds no segmenter.</summary>
    static LoadedModelPackage OpenSegmenter(string model, string registry)
    {
        var path = PredictCommand.ResolvePackage(model, registry);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such model package.", path);
        var package = ModelPackage.Open(path);
        if (package.Model is not (SegmenterPackagedModel or PixelForestPackagedModel))
        {
            var kind = package.Manifest.ModelKind;
            package.Dispose();
            throw new ArgumentException($"{path} holds an image classifier ({kind}): segment --model needs a segmenter trained with train-segmenter ({string.Join(", ", SegmenterPackageOptions.Names)}).");
        }
        return package;
    }

    /// <summary>Refuses a reduced <paramref name="precision"/> without a U-Net to run it, or on a CPU that would emulate it.</summary>
    static void RequirePrecision(InferencePrecision precision, LoadedModelPackage? package)
    {
        RequireNetwork($"--precision {precision.Name()}", package);
        CommonOptions.RequireFastPrecision(precision);
    }

    /// <summary>Refuses <paramref name="setting"/> (an option and its value) unless <paramref name="package"/> holds a U-Net.</summary>
    static void RequireNetwork(string setting, LoadedModelPackage? package)
    {
        if (package?.Model is SegmenterPackagedModel)
            return;
        throw new ArgumentException(package is null
            ? $"{setting} applies to a U-Net segmenter (--model); the classical pipeline has no network."
            : $"{setting} applies to U-Net segmenters; {package.Path} holds a pixel forest, which has no network.");
    }

    static SegmenterParticleLabeler Labeler(LoadedModelPackage package, string given, InferencePrecision precision, int flips)
    {
        if (package.Model is PixelForestPackagedModel forestModel)
            return ForestLabeler(package, forestModel.Segmenter, given);
        var segmenter = ((SegmenterPackagedModel)package.Model).Segmenter;
        segmenter.Precision = precision;
        segmenter.TestTimeFlips = flips;
        var info = segmenter.Info;
        var inv = CultureInfo.InvariantCulture;
        var facts = package.Manifest.Provenance.Facts;
        var settings = new List<KeyValuePair<string, string>>
        {
            new("Package", package.Path),
            new("Architecture", facts.GetValueOrDefault("architecture") ?? info.Model),
            new("Output scheme", SchemeText(info.Scheme == OutputScheme.Instance, info.PostProcessing is not null)),
            new("Tiling", string.Create(inv, $"the fewest equal tiles within {info.PredictionPixels} px a pass and {info.EffectiveTileSize} px a side (one pass when the image fits), overlapping by {info.TileOverlap} px, Hann-blended, mirrored at the borders")),
            new("Instance post-processing", info.Scheme != OutputScheme.Instance
                ? info.PostProcessing is { } split ? SplitText(split, instances: false, " at the network's resolution", facts) : "none"
                : info.Format < 2 ? "arg-max interior regions as seeds, at the image's resolution (a format-1 package)"
                : SplitText(segmenter.PostProcessing, instances: true, " at the network's resolution", facts)),
            new("Precision", precision == InferencePrecision.Float32 ? "fp32"
                : $"{precision.Name()} forward passes (--precision); softmax, blending and post-processing in fp32"),
            new("Test-time flips", flips == 1 ? "none" : string.Create(inv, $"probabilities averaged over {flips} views, each mirrored back (--flips)")),
            new("Local contrast normalisation", info.LocalContrastSigma is { } sigma ? string.Create(inv, $"sigma {sigma} px") : "off"),
            new("Working resolution", info.ObjectScale is { } scale
                ? string.Create(inv, $"object scale: each image resized so its objects' median diameter is {scale.ObjectSize} px, the factor estimated per image within {scale.MinFactor:G3}-{scale.MaxFactor:G3} (probe {scale.ProbeFactor:G3}; summary.csv's scale_factor)")
                : info.InputLongSide is { } side ? string.Create(inv, $"long side {side} px") : "native"),
            new("Trained", TrainedText(package)),
        };
        return new SegmenterParticleLabeler(segmenter, $"{given} ({info.Model})", settings);
    }

    /// <summary>A tuned split for the report: its settings, what it reads as interior, where it runs and what it was tuned on.</summary>
    static string SplitText(InstancePostProcessing post, bool instances, string where, IReadOnlyDictionary<string, string> facts) =>
        $"{post.Summary()}{(instances ? "" : " (foreground as interior)")}{where}; tuned on: {facts.GetValueOrDefault("post_tuned_on") ?? "not recorded"}";

    /// <summary>When, on how many images and with which seed a package's model was trained, for the report.</summary>
    static string TrainedText(LoadedModelPackage package)
    {
        var inv = CultureInfo.InvariantCulture;
        var provenance = package.Manifest.Provenance;
        return $"{provenance.CreatedUtc.UtcDateTime.ToString("u", inv)} on {provenance.Facts.GetValueOrDefault("training_images") ?? "?"} images, seed {provenance.Seed.ToString(inv)}";
    }

    /// <summary>How a segmenter's output becomes particles, for the report: the instance scheme, or a semantic one with or without its split.</summary>
    static string SchemeText(bool instances, bool split) =>
        instances ? "instance: background, interior, boundary; marker-controlled watershed splits touching particles"
        : split ? "semantic, one foreground class: a seeded watershed over the foreground splits it into particles"
        : "semantic: one channel per class; each connected non-background region is one particle";

    static SegmenterParticleLabeler ForestLabeler(LoadedModelPackage package, PixelForestSegmenter segmenter, string given)
    {
        var info = segmenter.Info;
        var inv = CultureInfo.InvariantCulture;
        var facts = package.Manifest.Provenance.Facts;
        var settings = new List<KeyValuePair<string, string>>
        {
            new("Package", package.Path),
            new("Model", string.Create(inv, $"pixel forest: {info.Trees} trees of depth up to {info.MaxDepth} on {info.Features} pixel features")),
            new("Feature scales", string.Join(", ", info.Scales.Select(s => s.ToString("0.##", inv))) + " px"),
            new("Output scheme", SchemeText(info.Instances, info.PostProcessing is not null)),
            new("Instance post-processing", info.PostProcessing is { } post
                ? SplitText(post, info.Instances, "", facts)
                : info.Instances ? "arg-max interior regions as seeds (a format-1 package)" : "none"),
            new("Trained", TrainedText(package)),
        };
        return new SegmenterParticleLabeler(segmenter, $"{given} ({info.Model})", settings);
    }
}
