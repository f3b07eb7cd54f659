using System.CommandLine;
using System.Globalization;
using AutoClassify.IO;
using AutoClassify.Packaging;
using Spectre.Console;

namespace AutoClassify.Cli;

internal static class ModelsCommand
{
    internal static Option<DirectoryInfo> RegistryOption() => new("--registry")
    {
        Description = "Model registry folder.",
        DefaultValueFactory = _ => new DirectoryInfo(ModelRegistry.DefaultFolder),
        Validators =
        {
            r =>
            {
                if (r.Tokens.Count == 1 && File.Exists(r.Tokens[0].Value))
                    r.AddError($"--registry '{r.Tokens[0].Value}' is a file; give the registry folder.");
            },
        },
    };

    internal static Command Create()
    {
        var list = new Command("list", "List the models in the registry with their champion and latest validation figures.") { RegistryOption() };
        list.SetAction(parse =>
        {
            var registry = new ModelRegistry(parse.GetValue<DirectoryInfo>("--registry")!.FullName);
            var models = registry.List();
            var console = Console(parse.InvocationConfiguration.Output);
            if (models.Count == 0)
            {
                console.WriteLine($"No models in {registry.Root}.");
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns("name", "versions", "champion", "kind", "created (UTC)", "accuracy", "macro-F1");
            foreach (var m in models)
            {
                var champion = m.Versions.FirstOrDefault(v => v.IsChampion);
                var manifest = champion?.Manifest;
                table.AddRow(
                    Markup.Escape(m.Name),
                    m.Versions.Count.ToString(CultureInfo.InvariantCulture),
                    m.Champion is { } c ? "v" + c.ToString(CultureInfo.InvariantCulture) : "none",
                    Markup.Escape(manifest?.ModelKind ?? "-"),
                    manifest is null ? "-" : Date(manifest),
                    Metric(manifest, "accuracy"),
                    Metric(manifest, "macro_f1"));
            }
            console.Write(table);
            return ExitCodes.Success;
        });

        var showName = new Argument<string>("name") { Description = "Model name." };
        var showHtml = new Option<bool>("--html") { Description = "Write the model card of one version (the champion unless --version) as a self-contained HTML page instead of the table." };
        var showOut = new Option<FileInfo?>("--out") { Description = "With --html: the file to write (default: standard output)." };
        var showVersion = new Option<int?>("--version") { Description = "With --html: the version whose card to write (default: the champion, else the latest)." };
        var show = new Command("show", "Show every version of a model: kind, date, validation figures, training set, champion; or one version's model card with --html.")
        {
            showName, RegistryOption(), showHtml, showOut, showVersion,
        };
        show.Validators.Add(r =>
        {
            if (!r.GetValue(showHtml) && (r.GetResult(showOut) is not null || r.GetResult(showVersion) is not null))
                r.AddError("--out and --version only apply with --html.");
        });
        show.SetAction(parse =>
        {
            var registry = new ModelRegistry(parse.GetValue<DirectoryInfo>("--registry")!.FullName);
            var model = registry.Show(parse.GetRequiredValue(showName));
            if (parse.GetValue(showHtml))
                return WriteCard(model, parse.GetValue(showVersion), parse.GetValue(showOut), parse.InvocationConfiguration.Output);
            var console = Console(parse.InvocationConfiguration.Output);
            console.WriteLine($"{model.Name} in {registry.Root}: {model.Versions.Count} version(s), champion {(model.Champion is { } c ? "v" + c.ToString(CultureInfo.InvariantCulture) : "none")}");
            var table = new Table().AddColumns("version", "champion", "kind", "created (UTC)", "classes", "training files", "seed", "metrics", "thresholds", "size");
            foreach (var v in model.Versions)
            {
                var m = v.Manifest;
                table.AddRow(
                    "v" + v.Version.ToString(CultureInfo.InvariantCulture),
                    v.IsChampion ? "*" : "",
                    Markup.Escape(m?.ModelKind ?? "refused"),
                    m is null ? "-" : Date(m),
                    m is null ? "-" : Markup.Escape(string.Join(", ", m.ClassNames)),
                    m is null ? "-" : m.Provenance.TrainingFiles.Count.ToString(CultureInfo.InvariantCulture),
                    m is null ? "-" : m.Provenance.Seed.ToString(CultureInfo.InvariantCulture),
                    m is null ? Markup.Escape(v.Problem ?? "") : Markup.Escape(string.Join(", ", m.Metrics.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Key} {x.Value.Mean:F3}")))),
                    m is null || m.Thresholds.Count == 0 ? "-" : Markup.Escape(string.Join(", ", m.Thresholds.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}={t.Value:G3}")))),
                    string.Create(CultureInfo.InvariantCulture, $"{v.SizeBytes / 1024.0:F1} KiB"));
            }
            console.Write(table);
            WriteThresholds(console, model);
            return ExitCodes.Success;
        });

        var promoteName = new Argument<string>("name") { Description = "Model name." };
        var promoteVersion = new Argument<int>("version") { Description = "Version number to make champion." };
        var promote = new Command("promote", "Make a version the champion that 'predict <name>' uses.") { promoteName, promoteVersion, RegistryOption() };
        promote.SetAction(parse =>
        {
            var registry = new ModelRegistry(parse.GetValue<DirectoryInfo>("--registry")!.FullName);
            var name = parse.GetRequiredValue(promoteName);
            var version = parse.GetValue(promoteVersion);
            registry.Promote(name, version);
            parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"'{name}' champion is now version {version}."));
            return ExitCodes.Success;
        });

        var growName = new Argument<string>("name") { Description = "Model name." };
        var growAdd = new Option<DirectoryInfo>("--add") { Description = "Labelled images to add: a folder with one subfolder per class; images any stored version trained on are refused.", Required = true };
        var grow = new Command("grow-reference", "Add new labelled images to a model's frozen reference set, so that retrain compares champion and challenger on more images.") { growName, growAdd, RegistryOption(), CommonOptions.Threads() };
        grow.SetAction(parse =>
        {
            var registry = new ModelRegistry(parse.GetValue<DirectoryInfo>("--registry")!.FullName);
            var name = parse.GetRequiredValue(growName);
            var result = ReferenceGrowth.Add(registry, name, parse.GetRequiredValue(growAdd).FullName, parse.GetValue<int>("--threads"));
            var output = parse.InvocationConfiguration.Output;
            foreach (var refused in result.Refused)
                output.WriteLine("refused " + refused);
            output.WriteLine($"Reference set of '{name}' ({result.Path}): {ReferenceGrowth.Describe(result)}.");
            return ExitCodes.Success;
        });

        return new Command("models", "Inspect and manage the model registry.") { list, show, promote, grow };
    }

    // The card is rendered from the manifest, so packages written before cards existed get one too.
    static int WriteCard(RegisteredModel model, int? version, FileInfo? output, TextWriter console)
    {
        var inv = CultureInfo.InvariantCulture;
        var chosen = version is { } n
            ? model.Versions.FirstOrDefault(v => v.Version == n)
                ?? throw new ArgumentException($"Model '{model.Name}' has no version {n.ToString(inv)} (versions: {string.Join(", ", model.Versions.Select(v => v.Version.ToString(inv)))}).")
            : model.Versions.FirstOrDefault(v => v.IsChampion) ?? model.Versions.MaxBy(v => v.Version)
                ?? throw new ArgumentException($"Model '{model.Name}' has no versions.");
        if (chosen.Manifest is not { } manifest)
            throw new InvalidModelPackageException(chosen.PackagePath, chosen.Problem ?? "its manifest does not read");
        var html = ModelCard.Html(manifest, $"{model.Name} v{chosen.Version.ToString(inv)}");
        if (output is null)
        {
            console.Write(html);
            return ExitCodes.Success;
        }
        AtomicFile.WriteAllText(output.FullName, html);
        console.WriteLine($"Model card of {model.Name} v{chosen.Version.ToString(inv)} written to {output.FullName}");
        return ExitCodes.Success;
    }

    static IAnsiConsole Console(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (System.Console.IsOutputRedirected || output != System.Console.Out)
            console.Profile.Width = 200;
        return console;
    }

    // Per class of every version that abstains: the stored threshold and, for auto:P thresholds, the cross-fitted expectation.
    static void WriteThresholds(IAnsiConsole console, RegisteredModel model)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var v in model.Versions)
        {
            if (v.Manifest is not { } m || (m.Thresholds.Count == 0 && m.ThresholdEstimates is not { Count: > 0 }))
                continue;
            console.WriteLine($"Thresholds of v{v.Version.ToString(inv)} (a prediction below its class's threshold is answered 'uncertain'):");
            var table = new Table().AddColumns("class", "threshold", "target precision", "expected coverage", "expected precision", "validation predictions");
            foreach (var name in m.ClassNames)
            {
                var estimate = m.ThresholdEstimates?.GetValueOrDefault(name);
                table.AddRow(
                    Markup.Escape(name),
                    m.Thresholds.TryGetValue(name, out var t) ? t.ToString("F3", inv) : "none",
                    estimate is null ? "-" : estimate.TargetPrecision.ToString("F2", inv),
                    estimate is null ? "-" : estimate.ExpectedCoverage.ToString("P1", inv),
                    estimate is null ? "-" : estimate.ExpectedPrecision.ToString("F3", inv),
                    estimate is null ? "-" : estimate.Predictions.ToString(inv));
            }
            console.Write(table);
        }
    }

    static string Date(ModelPackageManifest manifest) =>
        manifest.Provenance.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    static string Metric(ModelPackageManifest? manifest, string name) =>
        manifest is not null && manifest.Metrics.TryGetValue(name, out var m) ? m.Mean.ToString("F3", CultureInfo.InvariantCulture) : "-";
}
