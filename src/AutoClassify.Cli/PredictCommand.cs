using System.CommandLine;
using AutoClassify.Packaging;

namespace AutoClassify.Cli;

internal static class PredictCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A registry model name (its champion is used) or a package file (*.acpkg)." };
        var inputs = new Argument<string[]>("inputs") { Description = "Image files and/or folders (searched recursively).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<FileInfo>("--out") { Description = "CSV to write (path, predicted_class, p_<class>..., abstained, error).", Required = true };
        var registry = ModelsCommand.RegistryOption();
        var threads = CommonOptions.Threads();
        var batch = new Option<int>("--batch-size") { Description = "Images decoded and predicted at once (memory stays proportional to it).", DefaultValueFactory = _ => 256 };
        batch.Validators.Add(r => CommonOptions.AtLeast(r, "--batch-size", 1));

        var command = new Command("predict", "Classify images with a packaged model; one CSV row per image, unreadable images get a row with their error.")
        {
            model, inputs, output, registry, threads, batch,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var packagePath = ResolvePackage(parse.GetRequiredValue(model), parse.GetValue(registry)!.FullName);
            var files = PackagePredictor.CollectInputs(parse.GetRequiredValue(inputs));
            var outPath = parse.GetRequiredValue(output).FullName;
            var stdout = parse.InvocationConfiguration.Output;
            using var package = ModelPackage.Open(packagePath);
            var observer = new ConsoleObserver(stdout);
            var options = new PredictionOptions { Threads = parse.GetValue(threads), BatchSize = parse.GetValue(batch) };
            const string stage = "Predicting";
            var summary = observer.Run(() =>
            {
                observer.StageStarted(stage, files.Count);
                return PackagePredictor.PredictToCsv(package, files, outPath, options, _ => observer.StepCompleted(stage), cancellationToken);
            });
            stdout.WriteLine($"{summary.Total} images, {summary.Failed} failed. Model: {package.Manifest.ModelKind} from {packagePath}. Predictions: {outPath}");
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
