using System.CommandLine;
using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Packaging;

namespace AutoClassify.Cli;

internal static class TrainCommand
{
    internal static Command Create()
    {
        var dataset = CommonOptions.DatasetArgument();
        var model = new Option<string>("--model") { Description = "Model to train: " + string.Join(", ", PackagedModelKinds.Names) + ".", DefaultValueFactory = _ => "svm" };
        var name = new Option<string>("--name") { Description = "Registry name of the model (letters, digits, '.', '_', '-').", Required = true };
        var registry = ModelsCommand.RegistryOption();
        var crop = CommonOptions.Crop();
        var banner = CommonOptions.Banner();
        var seed = CommonOptions.Seed(42);
        var threads = CommonOptions.Threads();
        var validation = new Option<double>("--validation")
        {
            Description = "Share of each class held out to score the model before the final fit on everything (0 = none).",
            DefaultValueFactory = _ => 0.2,
        };
        var threshold = new Option<string?>("--threshold")
        {
            Description = "Abstain below this top probability: one value for every class (e.g. 0.6), class=value pairs (e.g. uncertain=0.8,unilamellar=0.5), or auto:P to derive each class's threshold for precision P on the validation split (e.g. auto:0.95).",
        };
        var nmPerPixel = CommonOptions.NmPerPixel(
            "Pixel size in nm for every image, overriding the files' metadata; whole-field features (svm-field) then measure sizes in nm and densities per µm². Absent: the files' own pixel size when every image declares one and they agree, else pixels. Prediction reuses it.");
        var resampleNm = CommonOptions.ResampleNm();
        var reference = new Option<double>("--reference")
        {
            Description = "Share of each class held out as the model's frozen reference set when the name is new (retrain compares models on it; 0 = none).",
            DefaultValueFactory = _ => ReferenceSet.DefaultShare,
        };
        var modelOptions = new ModelCommandOptions();
        var tileOptions = new TileOptions();
        var autoOptions = new AutoMlCommandOptions();

        var command = new Command("train", "Train a production model on all the data and store it in the model registry as the next version (the first version becomes champion).")
        {
            dataset, model, name, registry, crop, banner, seed, threads, validation, threshold, nmPerPixel, resampleNm, reference, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        modelOptions.AddTo(command);
        tileOptions.AddTo(command);
        autoOptions.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var modelName = parse.GetRequiredValue(name);
            ModelRegistry.CheckName(modelName);
            var thresholdText = parse.GetValue(threshold);
            var autoThreshold = ParseAutoThreshold(thresholdText);
            var (defaultThreshold, thresholds) = autoThreshold is null ? ParseThresholds(thresholdText) : (0, new Dictionary<string, double>());
            var tiling = tileOptions.Read(parse);
            // A read-only or misplaced registry must fail now, not after training.
            var datasetPath = parse.GetRequiredValue(dataset).FullName;
            var registryPath = OutputGuard.Folder(parse.GetValue(registry)!.ToString(), "--registry", [datasetPath]);
            if (Directory.Exists(Path.Combine(registryPath, modelName)))
                OutputGuard.Folder(Path.Combine(registryPath, modelName), "--registry", [datasetPath]);
            var models = new ModelRegistry(registryPath);
            // The reference set is drawn once, when a name is first trained; later versions leave the same images out.
            var existingReference = ReferenceSet.TryRead(models, modelName);
            var isNew = !models.List().Any(m => m.Name == modelName && m.Versions.Count > 0);
            var kind = parse.GetValue(model)!.ToLowerInvariant();
            if (autoOptions.IsAuto(parse))
            {
                if (parse.GetResult(model) is { Implicit: false } && kind != AutoMlTrainer.ModelName)
                    throw new ArgumentException($"--auto chooses the model itself; drop --model {kind}.");
                kind = AutoMlTrainer.ModelName;
            }
            var validationShare = parse.GetValue(validation);
            // The validation fit searches too, so a validated run shares its budget between two searches.
            var fits = validationShare > 0 ? 2 : 1;
            var options = new PackageTrainingOptions
            {
                DatasetPath = parse.GetRequiredValue(dataset).FullName,
                Model = kind,
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                Crop = parse.GetValue(crop),
                Banner = parse.GetValue(banner),
                ValidationShare = validationShare,
                ModelSettings = modelOptions.Read(parse, parse.GetValue(threads), tiled: tiling.Tile is not null) with
                {
                    AutoMl = autoOptions.Read(parse, fits, autoRuns: kind == AutoMlTrainer.ModelName),
                },
                DefaultThreshold = defaultThreshold,
                Thresholds = thresholds,
                AutoThresholdPrecision = autoThreshold,
                NmPerPixel = parse.GetValue(nmPerPixel),
                ResampleNm = parse.GetValue(resampleNm),
                Tile = tiling.Tile,
                TileAggregation = tiling.Aggregation,
                MapThreshold = tiling.MapThreshold,
                Reference = existingReference,
                ReferenceShare = existingReference is null && isNew ? parse.GetValue(reference) : 0,
                CommandLine = "autoclassify " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            var stdout = parse.InvocationConfiguration.Output;
            var observer = new ConsoleObserver(stdout);
            using var trained = observer.Run(() => PackageTrainer.Train(options, observer, cancellationToken));
            if (trained.CarvedReference is { } carved)
            {
                carved.WriteTo(models, modelName);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Reference set: {carved.Items.Count} images held out of training for later comparisons ({ReferenceSet.PathIn(models, modelName)})."));
            }
            var version = models.Add(modelName, stream => trained.WriteTo(stream));
            var champion = models.PromoteIfNoChampion(modelName, version);
            var inv = CultureInfo.InvariantCulture;
            if (trained.Manifest.AutoMl is { } search)
            {
                stdout.WriteLine(string.Create(inv,
                    $"AutoML chose {search.Winner}{(search.Representation.Length > 0 ? " on " + search.Representation : "")} ({search.WinnerSettings}) out of {search.Trials.Count} trials, inner-validation macro-F1 {search.ValidationMacroF1:F3}, stopped by {search.StoppedBy}."));
                if (search.Choice.Length > 0)
                    stdout.WriteLine(search.Choice);
                if (search.Notes.Length > 0)
                    stdout.WriteLine("AutoML notes: " + search.Notes.Replace(" | ", "; ", StringComparison.Ordinal));
            }
            var metrics = trained.Manifest.Metrics;
            if (metrics.Count > 0)
            {
                stdout.WriteLine(string.Create(inv, $"Validation ({trained.Manifest.Provenance.Facts.GetValueOrDefault("validation_items")} held-out images): ")
                    + string.Join(", ", metrics.Select(m => string.Create(inv, $"{m.Key} {m.Value.Mean:F3}"))));
            }
            var tiled = trained.Manifest.Preprocessing.Tiling is { } t ? string.Create(inv, $" on {t.Size}-px tiles") : "";
            stdout.WriteLine(string.Create(inv,
                $"Stored '{modelName}' version {version} ({trained.Manifest.ModelKind}{tiled}, {trained.Manifest.Provenance.TrainingFiles.Count} training files) at {models.PackagePath(modelName, version)}") +
                (champion ? "; it is the champion." : $"; the champion stays version {models.ChampionVersion(modelName)} (promote with 'autoclassify models promote {modelName} {version}')."));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>The target precision of <c>auto:P</c>, or null when the text is not of that form.</summary>
    internal static double? ParseAutoThreshold(string? text)
    {
        if (text is null || !text.Trim().StartsWith("auto", StringComparison.OrdinalIgnoreCase))
            return null;
        var parts = text.Trim().Split(':', 2);
        if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || !(p > 0 && p <= 1))
            throw new FormatException($"--threshold '{text}' is not auto:P with a target precision P in (0, 1], e.g. auto:0.95.");
        return p;
    }

    /// <summary>Parses <c>0.6</c> (every class) or <c>a=0.8,b=0.5</c> (per class).</summary>
    internal static (double Default, Dictionary<string, double> PerClass) ParseThresholds(string? text)
    {
        var perClass = new Dictionary<string, double>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
            return (0, perClass);
        if (!text.Contains('=', StringComparison.Ordinal))
            return (ParseProbability(text, text), perClass);
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0)
                throw new FormatException($"--threshold entry '{pair}' is not class=probability.");
            if (!perClass.TryAdd(parts[0], ParseProbability(parts[1], pair)))
                throw new FormatException($"--threshold names class '{parts[0]}' twice.");
        }
        return (0, perClass);
    }

    static double ParseProbability(string value, string context)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || !double.IsFinite(p) || p < 0 || p > 1)
            throw new FormatException($"--threshold value '{context}' is not a probability in [0, 1].");
        return p;
    }
}
