using System.CommandLine;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Reporting;

namespace AutoClassify.Cli;

internal static class BenchmarkCommand
{
    internal static Command Create()
    {
        var dataset = CommonOptions.DatasetArgument();
        var folds = new Option<int>("--folds") { Description = "Outer stratified cross-validation folds.", DefaultValueFactory = _ => 5 };
        folds.Validators.Add(r => CommonOptions.AtLeast(r, "--folds", 2));
        var seed = CommonOptions.Seed(42);
        var output = new Option<DirectoryInfo>("--out") { Description = "Report folder (default: reports/<dataset name>)." };
        var models = new Option<string>("--models")
        {
            Description = "Comma-separated models: " + string.Join(", ", ModelCatalog.Names) + ".",
            DefaultValueFactory = _ => "svm",
        };
        var crop = CommonOptions.Crop();
        var banner = CommonOptions.Banner();
        var nmPerPixel = new Option<double?>("--nm-per-pixel") { Description = "Physical pixel size in nanometres, recorded in the report (TIFF resolution tags are used when this is absent)." };
        nmPerPixel.Validators.Add(r =>
        {
            if (CommonOptions.Value<double>(r) is { } v && !(v > 0 && double.IsFinite(v)))
                r.AddError("--nm-per-pixel must be a positive number.");
        });
        var threads = CommonOptions.Threads();
        var resume = new Option<bool>("--resume") { Description = $"Continue an interrupted run in the same --out folder: reuse the folds saved in {FoldCheckpoint.DefaultFolderName}/ (refused when settings, data or version changed) and train only the rest." };
        var extraFeatures = new Option<FileInfo>("--features") { Description = "CSV of extra per-image features (a path or file-name column, then numeric columns) added to the SVM's features; images without a row get their training fold's mean; with --tile, every tile takes its image's row." };
        var modelOptions = new ModelCommandOptions();
        var tileOptions = new TileOptions();
        var autoOptions = new AutoMlCommandOptions();

        var command = new Command("benchmark", "Cross-validate every model on the same stratified folds and write an HTML report, results.json and predictions.csv.")
        {
            dataset, folds, seed, output, models, crop, banner, nmPerPixel, threads, resume, extraFeatures, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        modelOptions.AddTo(command);
        tileOptions.AddTo(command);
        autoOptions.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var datasetDir = parse.GetRequiredValue(dataset);
            var modelNames = ModelCatalog.ParseList(parse.GetValue(models)!).ToList();
            if (autoOptions.IsAuto(parse))
            {
                // --auto alone means the search only; with an explicit --models list it joins those models.
                if (parse.GetResult(models) is null or { Implicit: true })
                    modelNames.Clear();
                if (!modelNames.Contains(AutoMlTrainer.ModelName))
                    modelNames.Add(AutoMlTrainer.ModelName);
            }
            var outerFolds = parse.GetValue(folds);
            var outDir = parse.GetValue(output)?.FullName ?? Path.Combine("reports", datasetDir.Name);
            var tiling = tileOptions.Read(parse);
            var options = new BenchmarkOptions
            {
                DatasetPath = datasetDir.FullName,
                Folds = outerFolds,
                Seed = parse.GetValue(seed),
                Models = modelNames,
                Crop = parse.GetValue(crop),
                Banner = parse.GetValue(banner),
                NmPerPixel = parse.GetValue(nmPerPixel),
                Threads = parse.GetValue(threads),
                ModelSettings = modelOptions.Read(parse, parse.GetValue(threads), tiled: tiling.Tile is not null) with
                {
                    AutoMl = autoOptions.Read(parse, fits: outerFolds, autoRuns: modelNames.Contains(AutoMlTrainer.ModelName)),
                },
                Tile = tiling.Tile,
                TileAggregation = tiling.Aggregation,
                MapThreshold = tiling.MapThreshold,
                CommandLine = "autoclassify " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                CheckpointDirectory = Path.Combine(outDir, FoldCheckpoint.DefaultFolderName),
                Resume = parse.GetValue(resume),
                ExtraFeaturesPath = parse.GetValue(extraFeatures)?.FullName,
            };
            // Checked once every argument is known to be valid, and before any work.
            OutputGuard.Folder(outDir, "--out", [datasetDir.FullName]);
            var stdout = parse.InvocationConfiguration.Output;
            var observer = new ConsoleObserver(stdout);
            BenchmarkResult result;
            try
            {
                result = observer.Run(() => BenchmarkRunner.Run(options, observer, cancellationToken));
            }
            catch (OperationCanceledException) when (Directory.Exists(options.CheckpointDirectory))
            {
                parse.InvocationConfiguration.Error.WriteLine($"Interrupted. Finished folds are saved in {options.CheckpointDirectory}; repeat the command with --resume to continue.");
                throw;
            }
            ReportWriter.WriteAll(result, outDir);
            // results.json now holds every fold; the checkpoint only served to survive an interruption.
            FoldCheckpoint.Delete(options.CheckpointDirectory);
            Summary.Print(stdout, result, outDir);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
