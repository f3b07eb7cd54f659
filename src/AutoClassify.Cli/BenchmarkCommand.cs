using System.CommandLine;
using AutoClassify.Cluster;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Preprocessing;
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
        var nmPerPixel = new Option<double?>("--nm-per-pixel") { Description = "Physical pixel size in nanometres for every image, overriding the files' own metadata (MRC/DM/SER headers, TIFF vendor and resolution tags)." };
        nmPerPixel.Validators.Add(r =>
        {
            if (CommonOptions.Value<double>(r) is { } v && !(v > 0 && double.IsFinite(v)))
                r.AddError("--nm-per-pixel must be a positive number.");
        });
        var resampleNm = CommonOptions.ResampleNm();
        var threads = CommonOptions.Threads();
        var nearDuplicates = new Option<string>("--near-duplicates")
        {
            Description = "Exact and near copies among the images (same pixels, or perceptual hash within 4 bits confirmed by correlation), found before the folds are drawn: group (default; each set of copies stays in one fold), drop (keep the first of each set) or keep (no check). Copies under two labels stop the run.",
            DefaultValueFactory = _ => "group",
        };
        nearDuplicates.AcceptOnlyFromAmong("group", "drop", "keep");
        var resume = new Option<bool>("--resume") { Description = $"Continue an interrupted run in the same --out folder: reuse the folds saved in {FoldCheckpoint.DefaultFolderName}/ (refused when settings, data or version changed) and train only the rest." };
        var noOverlap = new Option<bool>("--no-overlap")
        {
            Description = "Cross-validate the models one after another. By default, with feature models (svm...) and networks (lipnet4...) in one run and 2 or more threads, the two kinds run side by side: the networks on threads - 1 for the whole run (their numbers depend on it), the feature models on the rest, and on all threads once the networks are done.",
        };
        var overlapMinImages = new Option<int>("--overlap-min-images")
        {
            Description = $"Overlap only data sets of at least this many images: below it the feature models finish in moments and the networks would only lose a thread.",
            DefaultValueFactory = _ => BenchmarkOptions.DefaultOverlapMinImages,
        };
        overlapMinImages.Validators.Add(r => CommonOptions.AtLeast(r, "--overlap-min-images", 0));
        var oneProcess = new Option<bool>("--one-process")
        {
            Description = "Keep every fit in this process. By default, once the feature models of an overlapped run are done on 2 threads, a second autoclassify process trains the last network folds on the thread they freed, with the same seeds and thread count, so the numbers are the same.",
        };
        var extraFeatures = new Option<FileInfo>("--features") { Description = "CSV of extra per-image features (a path or file-name column, then numeric columns) added to the SVM's features; images without a row get their training fold's mean; with --tile, every tile takes its image's row." };
        var modelOptions = new ModelCommandOptions();
        var tileOptions = new TileOptions();
        var autoOptions = new AutoMlCommandOptions();
        var slurmOptions = new SlurmCommandOptions();

        var command = new Command("benchmark", "Cross-validate every model on the same stratified folds and write an HTML report, results.json and predictions.csv.")
        {
            dataset, folds, seed, output, models, crop, banner, nmPerPixel, resampleNm, threads, nearDuplicates, resume, noOverlap, overlapMinImages, oneProcess, extraFeatures, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        modelOptions.AddTo(command);
        tileOptions.AddTo(command);
        autoOptions.AddTo(command);
        slurmOptions.AddTo(command);
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
            var role = slurmOptions.Role(parse);
            var threadsGiven = parse.GetResult(threads) is { Implicit: false };
            // Cluster tasks train with --cpus-per-task threads; the submission's fingerprint must count the same.
            var threadCount = role == SlurmRole.Submit ? slurmOptions.TaskThreads(parse, parse.GetValue(threads)) : parse.GetValue(threads);
            var checkpointDir = Path.Combine(outDir, FoldCheckpoint.DefaultFolderName);
            var options = new BenchmarkOptions
            {
                DatasetPath = datasetDir.FullName,
                Folds = outerFolds,
                Seed = parse.GetValue(seed),
                Models = modelNames,
                Crop = parse.GetValue(crop),
                Banner = parse.GetValue(banner),
                NearDuplicates = Enum.Parse<NearDuplicateMode>(parse.GetValue(nearDuplicates)!, ignoreCase: true),
                NmPerPixel = parse.GetValue(nmPerPixel),
                ResampleNm = parse.GetValue(resampleNm),
                Threads = threadCount,
                Overlap = !parse.GetValue(noOverlap),
                OverlapMinImages = parse.GetValue(overlapMinImages),
                ModelSettings = modelOptions.Read(parse, threadCount, tiled: tiling.Tile is not null) with
                {
                    AutoMl = autoOptions.Read(parse, fits: outerFolds, autoRuns: modelNames.Contains(AutoMlTrainer.ModelName)),
                },
                Tile = tiling.Tile,
                TileAggregation = tiling.Aggregation,
                MapThreshold = tiling.MapThreshold,
                CommandLine = "autoclassify " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                CheckpointDirectory = checkpointDir,
                // A repeated submission keeps the folds already saved; one with other settings is refused, naming the change.
                Resume = parse.GetValue(resume) || role == SlurmRole.Submit,
                ExtraFeaturesPath = parse.GetValue(extraFeatures)?.FullName,
                Scope = role switch
                {
                    SlurmRole.Unit => BenchmarkScope.Units,
                    SlurmRole.Report => BenchmarkScope.CheckpointOnly,
                    _ => BenchmarkScope.All,
                },
                Units = role == SlurmRole.Unit ? [slurmOptions.Unit(parse)] : [],
                UnitWorker = role == SlurmRole.None && !parse.GetValue(oneProcess) ? UnitProcess.ForThisProcess(parse, checkpointDir) : null,
            };
            // Checked once every argument is known to be valid, and before any work.
            OutputGuard.Folder(outDir, "--out", [datasetDir.FullName]);
            var stdout = parse.InvocationConfiguration.Output;
            var observer = new ConsoleObserver(stdout);
            switch (role)
            {
                case SlurmRole.Submit:
                    return Task.FromResult(Submit(options, slurmOptions.Request(parse, outDir, threadCount, threadsGiven), observer, stdout, cancellationToken));
                case SlurmRole.Unit:
                    RequireSharedPath(datasetDir.FullName, "data folder");
                    var trained = observer.Run(() => BenchmarkRunner.RunUnits(options, observer, cancellationToken));
                    stdout.WriteLine(trained.Count == 0 ? "Nothing to train: the unit is already saved." : $"Saved {string.Join(", ", trained)} in {options.CheckpointDirectory}.");
                    return Task.FromResult(ExitCodes.Success);
            }
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
            if (role == SlurmRole.Report && ClusterPlan.Read(outDir) is { } plan)
            {
                var arrays = plan.Submissions.Select(p => p.ArrayJob).OfType<string>().ToList();
                result.Settings.Extra["slurm"] = $"{plan.Units.Count} units trained as Slurm array tasks (job array {(arrays.Count == 0 ? "none" : string.Join(", ", arrays))}, " +
                    $"{plan.Submissions.Count(p => !p.DryRun)} submission(s)); this report was built by job {Environment.GetEnvironmentVariable("SLURM_JOB_ID") ?? "(outside Slurm)"} from the checkpoint";
            }
            ReportWriter.WriteAll(result, outDir);
            // results.json now holds every fold; the checkpoint only served to survive an interruption. A cluster run keeps
            // it: 'status' and a repeated submission read it.
            if (role != SlurmRole.Report)
                FoldCheckpoint.Delete(options.CheckpointDirectory);
            Summary.Print(stdout, result, outDir);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    static int Submit(BenchmarkOptions options, SlurmRunRequest request, ConsoleObserver observer, TextWriter stdout, CancellationToken cancellationToken)
    {
        var submitted = SlurmBenchmark.Submit(options, request, new SlurmClient(), observer, cancellationToken);
        if (submitted.AlreadyDone.Count > 0)
            stdout.WriteLine($"{submitted.AlreadyDone.Count} unit(s) already done in the checkpoint: {string.Join(", ", submitted.AlreadyDone)}.");
        if (request.DryRun)
        {
            stdout.WriteLine($"Dry run: nothing submitted. Scripts: {submitted.UnitScript}, {submitted.ReportScript}. To submit by hand:");
            foreach (var line in submitted.Commands)
                stdout.WriteLine("  " + line);
            return ExitCodes.Success;
        }
        if (submitted.ArrayJob is { } array)
            stdout.WriteLine($"Submitted {submitted.Submitted.Count} unit(s) as job array {array}: {string.Join(", ", submitted.Submitted)}.");
        stdout.WriteLine($"Report job {submitted.ReportJob} writes {request.OutputDirectory} when they succeed.");
        stdout.WriteLine($"Follow it with: autoclassify status {request.OutputDirectory}");
        return ExitCodes.Success;
    }

    // A cluster node that does not see the submitting machine's paths would otherwise fail with a bare "not found".
    static void RequireSharedPath(string path, string what)
    {
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"The {what} {path} is not visible on node {Environment.MachineName}: Slurm tasks need the data and the " +
                "--out folder on a file system that every node mounts at the same path.");
        }
    }
}
