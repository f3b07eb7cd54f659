using System.CommandLine;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Features;
using AutoClassify.Preprocessing;

namespace AutoClassify.Cli;

internal static class FeaturesCommand
{
    internal static Command Create()
    {
        var dataset = CommonOptions.DatasetArgument();
        var output = new Option<FileInfo>("--out") { Description = "CSV file to write (one row per image).", Required = true };
        var crop = CommonOptions.Crop();
        var banner = CommonOptions.Banner();
        var threads = CommonOptions.Threads();
        var nmPerPixel = CommonOptions.NmPerPixel("Physical pixel size in nanometres for every image, overriding the files' own (metadata, banner scale bar); used by --resample-nm.");
        var resampleNm = CommonOptions.ResampleNm();

        var command = new Command("features", "Export the handcrafted features of every image to CSV, with stable column names.")
        {
            dataset, output, crop, banner, threads, nmPerPixel, resampleNm, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        command.SetAction(parse =>
        {
            var path = OutputGuard.File(parse.GetRequiredValue(output).ToString(), "--out", [], [parse.GetRequiredValue(dataset).FullName]);
            var cropMargins = parse.GetValue(crop);
            var workers = parse.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount;
            // Export needs only one image per class; fold counts do not apply here.
            var data = DatasetLoader.Load(parse.GetRequiredValue(dataset).FullName, new DatasetOptions { Folds = 1, Crop = cropMargins, Threads = workers });
            var bannerMode = parse.GetValue(banner);
            var prepared = ImagePreparation.PrepareAll(data, cropMargins, bannerMode, workers);
            if (parse.GetValue(resampleNm) is { } target)
            {
                var scales = ScaleSurvey.Build(data, parse.GetValue(nmPerPixel), target);
                foreach (var warning in scales.Warnings)
                    parse.InvocationConfiguration.Error.WriteLine("warning: " + warning);
                prepared = ScaleSurvey.Resample(prepared, scales, target);
            }
            var matrix = HandcraftedFeatures.ExtractAll(prepared.Select(p => p.Image).ToList(), prepared.Select(p => p.Mask).ToList(), workers);
            FeatureCsv.Write(path, matrix, data.Items.Select(i => i.RelativePath).ToList(), data.Items.Select(i => data.ClassNames[i.Label]).ToList());
            parse.InvocationConfiguration.Output.WriteLine($"Wrote {matrix.Count} rows × {matrix.Dimension} features to {path}");
            var found = prepared.Count(p => p.Banner is not null);
            parse.InvocationConfiguration.Output.WriteLine($"Data banners: {found} of {prepared.Length} images (--banner {BannerDetector.ModeName(bannerMode)})");
            if (bannerMode == BannerMode.Keep && found > 0)
                parse.InvocationConfiguration.Error.WriteLine("warning: data banners were kept; their text (dates, sample names) can leak the labels.");
            foreach (var s in data.Skipped)
                parse.InvocationConfiguration.Error.WriteLine($"skipped {s.RelativePath}: {s.Reason}");
            return ExitCodes.Success;
        });
        return command;
    }
}
