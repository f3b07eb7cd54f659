using System.CommandLine;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Features;
using AutoClassify.Imaging;
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
            var target = parse.GetValue(resampleNm);
            ScaleSummary? scales = null;
            if (target is not null)
            {
                scales = ScaleSurvey.Build(data, parse.GetValue(nmPerPixel), target, workers);
                foreach (var warning in scales.Warnings)
                    parse.InvocationConfiguration.Error.WriteLine("warning: " + warning);
            }
            var export = Export(data, path, cropMargins, bannerMode, workers, scales, target, ImageReduction.BoundFor(tiled: false, resampled: target is not null));
            var stdout = parse.InvocationConfiguration.Output;
            stdout.WriteLine($"Wrote {export.Rows} rows × {HandcraftedFeatures.Count} features to {path}");
            if (export.Reduced is { } reduced)
                stdout.WriteLine(reduced + " (as benchmark, train and predict do).");
            stdout.WriteLine($"Data banners: {export.Banners} of {export.Rows} images (--banner {BannerDetector.ModeName(bannerMode)})");
            if (bannerMode == BannerMode.Keep && export.Banners > 0)
                parse.InvocationConfiguration.Error.WriteLine("warning: data banners were kept; their text (dates, sample names) can leak the labels.");
            foreach (var s in data.Skipped)
                parse.InvocationConfiguration.Error.WriteLine($"skipped {s.RelativePath}: {s.Reason}");
            foreach (var (relative, reason) in export.Failed)
                parse.InvocationConfiguration.Error.WriteLine($"skipped {relative}: {reason}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>What <see cref="Export"/> wrote: rows, banners found, the reduction line (null when none) and the images that failed.</summary>
    internal sealed record ExportSummary(int Rows, int Banners, string? Reduced, IReadOnlyList<(string Path, string Reason)> Failed);

    /// <summary>
    /// Prepares, measures and drops one image at a time on each of <paramref name="workers"/> workers (only the feature
    /// rows are kept), reducing images above <paramref name="reduceAbovePixels"/> and reading resampled ones reduced by the
    /// whole part of their shrink, as the other commands do; then writes the CSV atomically in data set order. An image
    /// that fails to prepare is left out and listed, not fatal.
    /// </summary>
    internal static ExportSummary Export(LabeledDataset data, string path, CropMargins crop, BannerMode banner, int workers,
        ScaleSummary? scales, double? resampleNm, long? reduceAbovePixels)
    {
        var resample = resampleNm is { } target ? ScaleSurvey.Resampler(scales!, target) : null;
        var decodeFactor = resampleNm is { } shrinkTo ? ScaleSurvey.DecodeFactors(scales!, shrinkTo) : null;
        var count = data.Items.Count;
        var rows = new double[count][];
        var reductions = new int[count];
        var banners = new bool[count];
        var errors = new string?[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
        {
            var item = data.Items[i];
            try
            {
                var prepared = ImagePreparation.Prepare(item.FullPath, item.MaskPath, crop, banner, reduceAbovePixels, decodeFactor?.Invoke(i) ?? 1);
                if (resample is not null)
                    prepared = resample(i, prepared);
                rows[i] = HandcraftedFeatures.Extract(prepared.Image, prepared.Mask);
                (reductions[i], banners[i]) = (prepared.Reduction, prepared.Banner is not null);
            }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                errors[i] = e is ImageDecodeException decode ? decode.Reason : Messages.Plain(e.Message);
            }
        });
        var kept = Enumerable.Range(0, count).Where(i => errors[i] is null).ToArray();
        FeatureCsv.Write(path, new FeatureMatrix(HandcraftedFeatures.Names, [.. kept.Select(i => rows[i])]),
            [.. kept.Select(i => data.Items[i].RelativePath)], [.. kept.Select(i => data.ClassNames[data.Items[i].Label])]);
        var reduced = reduceAbovePixels is { } bound
            ? ImageReduction.Describe([.. kept.Select(i => data.Items[i].RelativePath)], [.. kept.Select(i => reductions[i])], bound)
            : null;
        return new ExportSummary(kept.Length, kept.Count(i => banners[i]), reduced,
            [.. Enumerable.Range(0, count).Where(i => errors[i] is not null).Select(i => (data.Items[i].RelativePath, errors[i]!))]);
    }
}
