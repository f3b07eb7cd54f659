using System.CommandLine;
using System.Globalization;
using AutoClassify.Packaging;

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
        var inputs = new Argument<string[]>("inputs") { Description = "Image files and/or folders (searched recursively).", Arity = ArgumentArity.OneOrMore };
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

        var command = new Command(name, description)
        {
            model, inputs, output, registry, threads, batch, maps, mapClass, mapThreshold, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var packagePath = ResolvePackage(parse.GetRequiredValue(model), parse.GetValue(registry)!.FullName);
            var given = parse.GetRequiredValue(inputs);
            var stderr = parse.InvocationConfiguration.Error;
            var files = PackagePredictor.CollectInputs(given, (path, reason) => stderr.WriteLine($"skipped {path}: {reason}"));
            var folders = given.Where(Directory.Exists).ToList();
            var mapsDir = parse.GetValue(maps) is { } m ? OutputGuard.Folder(m.ToString(), "--maps", folders) : null;
            var outPath = OutputGuard.File(parse.GetValue(output)?.ToString() ?? Path.Combine(mapsDir!, "predictions.csv"), "--out", [.. files, packagePath], folders);
            var stdout = parse.InvocationConfiguration.Output;
            using var package = ModelPackage.Open(packagePath);
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
            return Task.FromResult(summary.Failed > 0 ? ExitCodes.Failure : ExitCodes.Success);
        });
        return command;
    }

    /// <summary>A path to an existing file or ending in the package extension is a package; anything else a registry name.</summary>
    internal static string ResolvePackage(string model, string registry)
    {
        if (File.Exists(model) || model.EndsWith(ModelPackage.Extension, StringComparison.OrdinalIgnoreCase))
            return Path.GetFullPath(model);
        return new ModelRegistry(registry).ResolveChampion(model);
    }
}
