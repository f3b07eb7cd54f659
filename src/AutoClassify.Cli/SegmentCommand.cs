using System.CommandLine;
using System.Globalization;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Cli;

/// <summary>
/// <c>autoclassify segment</c>: particle segmentation of every image under a folder. Exit code 0 when every image
/// was segmented, 0 with a warning summary when some could not be read, 1 when none could.
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
        var resampleNm = CommonOptions.ResampleNm();

        var command = new Command("segment", "Segment the particles of whole-field micrographs; write label masks, overlays, particle CSV and an HTML report.")
        {
            folder, output, scale, minArea, crop, banner, threads, resampleNm, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        command.SetAction(parse =>
        {
            var options = new ParticleBatchOptions
            {
                Crop = parse.GetValue(crop),
                Banner = parse.GetValue(banner),
                Threads = parse.GetValue(threads),
                ResampleNm = parse.GetValue(resampleNm),
                Segmentation = new ParticleSegmentationOptions { NmPerPixel = parse.GetValue(scale), MinArea = parse.GetValue(minArea) },
            };
            var outDir = OutputGuard.Folder(parse.GetRequiredValue(output).ToString(), "--out", [parse.GetRequiredValue(folder).FullName]);
            var result = ParticleBatch.Run(parse.GetRequiredValue(folder).FullName, outDir, options);
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
                return ExitCodes.Success;
            if (result.Images.Count == 0)
            {
                e.WriteLine(string.Create(inv, $"error: none of the {result.Errors.Count} images could be segmented."));
                return ExitCodes.Failure;
            }
            e.WriteLine(string.Create(inv, $"warning: {result.Errors.Count} of {result.Errors.Count + result.Images.Count} images could not be read; they are listed in the report."));
            return ExitCodes.Success;
        });
        return command;
    }
}
