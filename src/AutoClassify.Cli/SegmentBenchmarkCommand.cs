using System.CommandLine;
using System.Globalization;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Tensors;

namespace AutoClassify.Cli;

/// <summary>
/// <c>autoclassify segment-benchmark</c>: cross-validates segmenters on annotated micrographs (whole images per fold)
/// and writes results.json, per_image.csv, folds.csv and an HTML report. Bad data exits 2 listing every problem.
/// </summary>
internal static class SegmentBenchmarkCommand
{
    internal static Command Create()
    {
        var data = new Argument<DirectoryInfo>("data")
        {
            Description = "Folder of images with masks beside them (<name>.mask.png), an images/ + masks/ pair, or images with --masks.",
        };
        var masks = new Option<DirectoryInfo?>("--masks") { Description = "Folder of masks matched to the images by relative path and file stem." };
        var maskKind = new Option<string?>("--mask-kind") { HelpName = "binary|class-map|instances", Description = "Mask kind (default: detected from the values and reported)." };
        maskKind.AcceptOnlyFromAmong("binary", "class-map", "instances");
        var models = new Option<string>("--models")
        {
            Description = $"Comma-separated segmenters to compare (known: {string.Join(", ", SegmenterCatalog.Names)}).",
            DefaultValueFactory = _ => string.Join(",", SegmenterCatalog.Names),
        };
        models.Validators.Add(r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!SegmenterCatalog.Contains(name))
                    r.AddError($"Unknown segmenter '{name}' in --models; known: {string.Join(", ", SegmenterCatalog.Names)}.");
            }
        });
        var folds = new Option<int>("--folds") { Description = "Folds over whole images.", DefaultValueFactory = _ => 5 };
        folds.Validators.Add(r => CommonOptions.AtLeast(r, "--folds", 2));
        var groups = new Option<FileInfo?>("--groups") { Description = "CSV of image,group: images of a group share a fold (default: contiguous blocks in natural image order, for stacks)." };
        var seed = CommonOptions.Seed(42);
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for results.json, per_image.csv, folds.csv and index.html.", Required = true };
        var banner = CommonOptions.Banner();
        var scale = CommonOptions.NmPerPixel("Pixel size; particle sizes are then in nm, else in pixels.");
        var overlays = new Option<int>("--overlay-images") { Description = "Images (the first in order) shown with overlays in the report.", DefaultValueFactory = _ => 8 };
        overlays.Validators.Add(r => CommonOptions.NonNegative(r, "--overlay-images"));
        var threads = CommonOptions.Threads();
        var precision = CommonOptions.Precision();
        var flips = CommonOptions.Flips();
        var unet = new UNetCommandOptions();
        var forest = new PixelForestCommandOptions();

        var command = new Command("segment-benchmark", "Cross-validate segmenters on annotated micrographs (same folds for every model) and write an HTML report, results.json and CSVs.")
        {
            data, masks, maskKind, models, folds, groups, seed, output, banner, scale, overlays, threads, precision, flips,
        };
        unet.AddTo(command);
        forest.AddTo(command);
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var inv = CultureInfo.InvariantCulture;
            var (unetOptions, forestOptions) = forest.ReadWith(unet, parse, parse.GetValue(threads));
            var names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            void RequireUNet(string setting)
            {
                if (!names.Any(n => UNetTrainer.Names.Contains(n, StringComparer.OrdinalIgnoreCase)))
                    throw new ArgumentException($"{setting} applies to U-Net models (unet, resunet); --models {string.Join(",", names)} has none.");
            }
            var format = parse.GetValue(precision);
            if (format != InferencePrecision.Float32)
            {
                RequireUNet($"--precision {format.Name()}");
                CommonOptions.RequireFastPrecision(format);
            }
            var views = parse.GetValue(flips);
            if (views != 1)
                RequireUNet($"--flips {views}");
            var set = SegmentationDataLoader.Load(parse.GetRequiredValue(data).FullName, new SegmentationDataOptions
            {
                MasksDirectory = parse.GetValue(masks)?.FullName,
                Kind = parse.GetValue(maskKind) switch
                {
                    "binary" => MaskKind.Binary,
                    "class-map" => MaskKind.ClassMap,
                    "instances" => MaskKind.Instances,
                    _ => null,
                },
                Banner = parse.GetValue(banner),
                NmPerPixel = parse.GetValue(scale),
                Threads = parse.GetValue(threads),
            });
            var d = set.Data;
            o.WriteLine(string.Create(inv, $"{d.Samples.Count} images, {SegmentBenchmarkFiles.KindName(d.Kind)} masks ({(set.KindDecision.Detected ? "detected: " : "")}{set.KindDecision.Reason}); classes: {string.Join(", ", d.ClassNames)}."));
            o.WriteLine(string.Create(inv, $"Data banners: {set.BannersFound} of {d.Samples.Count} images (--banner {BannerDetector.ModeName(set.Banner)})."));
            foreach (var w in set.Warnings)
                parse.InvocationConfiguration.Error.WriteLine(w.ToString());
            var groupFile = parse.GetValue(groups);
            var trainers = names
                .Select(n => n.Equals("pixel-forest", StringComparison.OrdinalIgnoreCase) ? new PixelForestTrainer(forestOptions)
                    : UNetTrainer.Names.Contains(n, StringComparer.OrdinalIgnoreCase) ? UNetTrainer.Create(n, unetOptions) : SegmenterCatalog.Create(n)).ToList();
            var outDir = parse.GetRequiredValue(output).FullName;
            var result = SegmentBenchmarkRunner.Run(set, trainers, new SegmentBenchmarkOptions
            {
                Folds = parse.GetValue(folds),
                Seed = parse.GetValue(seed),
                Groups = groupFile is null ? null : SegmentationGroups.Read(groupFile.FullName, [.. d.Samples.Select(s => s.Path)]),
                Threads = parse.GetValue(threads),
                OverlayImages = parse.GetValue(overlays),
                Precision = format,
                TestTimeFlips = views,
                Log = o.WriteLine,
            });
            SegmentBenchmarkFiles.WriteAll(result, outDir);
            foreach (var m in result.Models)
            {
                if (m.Error is not null)
                {
                    o.WriteLine($"{m.Model}: failed: {m.Error}");
                    continue;
                }
                var s = m.Scores;
                o.WriteLine(string.Create(inv, $"{m.Model}: foreground Dice {s["foreground_dice"].Mean:F3} ± {s["foreground_dice"].Sd:F3}, V_rand {s["v_rand"].Mean:F3} ± {s["v_rand"].Sd:F3}, V_info {s["v_info"].Mean:F3}, object F1 {s["instance_f1"].Mean:F3} ± {s["instance_f1"].Sd:F3}, median diameter error {s["median_diameter_error"].Mean:F3}"));
            }
            o.WriteLine($"Report: {Path.Combine(outDir, "index.html")}");
            return result.Models.All(m => m.Error is not null) ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }
}
