using System.CommandLine;
using System.Globalization;
using AutoClassify.Cluster;
using AutoClassify.Imaging;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Cli;

internal static class PredictCommand
{
    internal static Command Create() => Build("predict",
        "Classify images with a packaged model; one CSV row per image, unreadable images get a row with their error. A tiled model writes per-image maps with --maps.",
        mapCommand: false);

    /// <summary><c>map</c>: <c>predict</c> with the per-image maps always on.</summary>
    internal static Command CreateMap() => Build("map",
        "Write per-image prediction maps (heat map, thresholded overlay, per-tile CSV) with a model trained on tiles, plus the predictions CSV.",
        mapCommand: true);

    static Command Build(string name, string description, bool mapCommand)
    {
        var model = new Argument<string>("model") { Description = "A registry model name (its champion is used) or a package file (*.acpkg)." };
        var inputs = new Argument<string[]>("inputs") { Description = "Image files and/or folders (searched recursively).", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<FileInfo>("--out")
        {
            Description = "CSV to write (path, predicted_class, p_<class>..., abstained, error)" + (mapCommand ? "; default <maps>/predictions.csv." : "."),
            Required = !mapCommand,
        };
        var registry = ModelsCommand.RegistryOption();
        var threads = CommonOptions.Threads();
        var batch = new Option<int>("--batch-size") { Description = "Images decoded and predicted at once (memory stays proportional to it).", DefaultValueFactory = _ => 256 };
        batch.Validators.Add(r => CommonOptions.AtLeast(r, "--batch-size", 1));
        var maps = new Option<DirectoryInfo>("--maps")
        {
            Description = "Folder for per-image maps of a model trained on tiles: <name>.heatmap.png, <name>.overlay.png and <name>.tiles.csv.",
            Required = mapCommand,
        };
        var mapClass = new Option<string?>("--map-class") { Description = "Class the heat map shows and the overlay tints (default: each image's predicted class in the heat map, every class in the overlay)." };
        var mapThreshold = new Option<double?>("--map-threshold") { Description = "The overlay tints where a class's probability exceeds this (default: the package's, set by train --map-threshold)." };
        mapThreshold.Validators.Add(r =>
        {
            if (CommonOptions.Value<double>(r) is { } v && !(v > 0 && v < 1))
                r.AddError($"--map-threshold must lie strictly between 0 and 1, not {v.ToString(CultureInfo.InvariantCulture)}.");
        });

        var engine = new Option<string>("--engine")
        {
            Description = "What runs the network: native (libtorch, LIBSVM) or onnx (the package exported on the fly and run by ONNX Runtime; CNN and transfer packages).",
            DefaultValueFactory = _ => "native",
        };
        engine.AcceptOnlyFromAmong("native", "onnx");
        var slurm = new Option<bool>("--slurm") { Description = "Predict on a Slurm cluster: the file list is fixed now and cut into --shards slices, one array task each; a dependent job merges their CSVs into --out in input order. See 'autoclassify status <out>'." };
        var shards = new Option<int>("--shards") { Description = "With --slurm: number of array tasks (each predicts one contiguous slice of the files).", DefaultValueFactory = _ => 4 };
        shards.Validators.Add(r => CommonOptions.AtLeast(r, "--shards", 1));
        var resources = new SlurmResourceOptions();
        resources.AddValidators();
        var fileList = new Option<FileInfo>("--slurm-file-list") { Hidden = true };
        var shard = new Option<string>("--slurm-shard") { Hidden = true };
        var merge = new Option<DirectoryInfo>("--slurm-merge") { Hidden = true };

        var command = new Command(name, description)
        {
            model, inputs, output, registry, threads, batch, maps, mapClass, mapThreshold, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(), engine,
        };
        if (!mapCommand)
        {
            foreach (var option in new Option[] { slurm, shards, fileList, shard, merge }.Concat(resources.All))
                command.Options.Add(option);
            command.Validators.Add(r =>
            {
                if (!r.GetValue(slurm))
                {
                    resources.RefuseWithout(r, "--slurm");
                    if (r.GetResult(shards) is { Implicit: false })
                        r.AddError("--shards works only with --slurm.");
                }
                if (r.GetValue(merge) is null && r.GetValue(fileList) is null && r.GetValue(inputs) is not { Length: > 0 })
                    r.AddError("Name at least one image file or folder to predict.");
            });
        }
        else
        {
            command.Validators.Add(r =>
            {
                if (r.GetValue(inputs) is not { Length: > 0 })
                    r.AddError("Name at least one image file or folder to predict.");
            });
        }
        command.SetAction((parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            if (!mapCommand && parse.GetValue(merge) is { } shardFolder)
            {
                var mergedPath = parse.GetRequiredValue(output).FullName;
                var (rows, failedRows) = PredictionShards.Merge(shardFolder.FullName, mergedPath);
                PredictionShards.MarkMerged(shardFolder.FullName, mergedPath);
                stdout.WriteLine($"{rows} images, {failedRows} failed. Merged the shards of {shardFolder.FullName} into {mergedPath}.");
                return Task.FromResult(failedRows > 0 ? ExitCodes.Failure : ExitCodes.Success);
            }
            var packagePath = ResolvePackage(parse.GetRequiredValue(model), parse.GetValue(registry)!.FullName);
            var shardOf = !mapCommand && parse.GetValue(shard) is { } shardText ? ParseShard(shardText) : default((int, int)?);
            var given = shardOf is null ? parse.GetRequiredValue(inputs) : [];
            var stderr = parse.InvocationConfiguration.Error;
            var files = shardOf is var (k, n)
                ? PredictionShards.ShardFiles(parse.GetRequiredValue(fileList).FullName, k, n)
                : PackagePredictor.CollectInputs(given, (path, reason) => stderr.WriteLine($"skipped {path}: {reason}"));
            var folders = given.Where(Directory.Exists).ToList();
            var mapsDir = parse.GetValue(maps) is { } m ? OutputGuard.Folder(m.ToString(), "--maps", folders) : null;
            var outPath = OutputGuard.File(parse.GetValue(output)?.ToString() ?? Path.Combine(mapsDir!, "predictions.csv"), "--out", [.. files, packagePath], folders);
            if (!mapCommand && parse.GetValue(slurm))
            {
                var taskThreads = resources.TaskThreads(parse, parse.GetValue(threads));
                var taskCommand = new List<string>(SlurmResourceOptions.Executable())
                {
                    "predict", packagePath, "--threads", taskThreads.ToString(CultureInfo.InvariantCulture),
                    "--batch-size", parse.GetValue(batch).ToString(CultureInfo.InvariantCulture),
                    CommonOptions.MaxImagePixelsName, parse.GetValue<long>(CommonOptions.MaxImagePixelsName).ToString(CultureInfo.InvariantCulture),
                };
                if (parse.GetValue<bool>(CommonOptions.KeepDamagedJpegName))
                    taskCommand.Add(CommonOptions.KeepDamagedJpegName);
                if (parse.GetValue(engine) == "onnx")
                    taskCommand.AddRange(["--engine", "onnx"]);
                if (mapsDir is not null)
                    taskCommand.AddRange(["--maps", mapsDir]);
                if (parse.GetValue(mapClass) is { } cls)
                    taskCommand.AddRange(["--map-class", cls]);
                if (parse.GetValue(mapThreshold) is { } threshold)
                    taskCommand.AddRange(["--map-threshold", threshold.ToString("R", CultureInfo.InvariantCulture)]);
                var request = new SlurmPredictRequest
                {
                    OutputCsv = outPath,
                    Command = taskCommand,
                    Files = files,
                    Shards = parse.GetValue(shards),
                    Resources = resources.Read(parse, taskThreads),
                    TemplatePath = resources.Template(parse),
                    DryRun = resources.DryRun(parse),
                };
                var submitted = PredictionShards.Submit(request, new SlurmClient());
                if (request.DryRun)
                {
                    stdout.WriteLine($"Dry run: nothing submitted. Scripts: {submitted.UnitScript}, {submitted.ReportScript}. To submit by hand:");
                    foreach (var line in submitted.Commands)
                        stdout.WriteLine("  " + line);
                    return Task.FromResult(ExitCodes.Success);
                }
                if (submitted.ArrayJob is { } arrayJob)
                    stdout.WriteLine($"Submitted {submitted.Submitted.Count} shard(s) of {files.Count} images as job array {arrayJob}.");
                stdout.WriteLine($"Merge job {submitted.ReportJob} writes {outPath} when they succeed. Follow it with: autoclassify status {outPath}");
                return Task.FromResult(ExitCodes.Success);
            }
            using var package = parse.GetValue(engine) == "onnx"
                ? Onnx.OnnxEngine.Open(packagePath, parse.GetValue(threads))
                : ModelPackage.Open(packagePath);
            if (package.Model is SegmenterPackagedModel or PixelForestPackagedModel)
                throw new ArgumentException($"{packagePath} holds a segmentation model ({package.Manifest.ModelKind}): it labels pixels, not whole images, so predict cannot use it.");
            var observer = new ConsoleObserver(stdout);
            var options = new PredictionOptions
            {
                Threads = parse.GetValue(threads),
                BatchSize = parse.GetValue(batch),
                MapsDirectory = mapsDir,
                MapClass = parse.GetValue(mapClass),
                MapThreshold = parse.GetValue(mapThreshold),
            };
            const string stage = "Predicting";
            var summary = observer.Run(() =>
            {
                observer.StageStarted(stage, files.Count);
                return PackagePredictor.PredictToCsv(package, files, outPath, options, _ => observer.StepCompleted(stage), cancellationToken);
            });
            stdout.WriteLine($"{summary.Total} images, {summary.Failed} failed. Model: {package.Manifest.ModelKind} from {packagePath}. Predictions: {outPath}"
                + (mapsDir is null ? "" : $". Maps: {mapsDir}"));
            if (package.Manifest.Preprocessing.ReduceAbovePixels is { } bound
                && ImageReduction.Describe([.. summary.Reduced.Select(r => r.Path)], [.. summary.Reduced.Select(r => r.Factor)], bound) is { } note)
                stdout.WriteLine(note + " (the package's reduce_above_pixels, as in training).");
            if (shardOf is not null)
            {
                // A shard task succeeds with failed rows too: they are rows of the merged CSV, not a failed task.
                PredictionShards.MarkDone(outPath, summary.Total, summary.Failed);
                return Task.FromResult(ExitCodes.Success);
            }
            return Task.FromResult(summary.Failed > 0 ? ExitCodes.Failure : ExitCodes.Success);
        });
        return command;
    }

    static (int Shard, int Shards) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var k) &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && k < n)
        {
            return (k, n);
        }
        throw new FormatException($"'{text}' is not a shard (expected k/n with k < n).");
    }

    /// <summary>A path to an existing file or ending in the package extension is a package; anything else a registry name.</summary>
    internal static string ResolvePackage(string model, string registry)
    {
        if (File.Exists(model) || model.EndsWith(ModelPackage.Extension, StringComparison.OrdinalIgnoreCase))
            return Path.GetFullPath(model);
        return new ModelRegistry(registry).ResolveChampion(model);
    }
}
