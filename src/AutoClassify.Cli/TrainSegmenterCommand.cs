using System.CommandLine;
using System.Globalization;
using AutoClassify.Models.Segmenters;
using AutoClassify.Packaging;

namespace AutoClassify.Cli;

/// <summary>
/// <c>autoclassify train-segmenter</c>: trains a U-Net, residual U-Net or pixel forest on annotated micrographs and stores it in the
/// model registry as the next version of a name (the first version becomes champion), for <c>segment --model</c>.
/// </summary>
internal static class TrainSegmenterCommand
{
    internal static Command Create()
    {
        var data = new Argument<DirectoryInfo>("data")
        {
            Description = "Folder of images with masks beside them (<name>.mask.png), an images/ + masks/ pair, or images with --masks.",
        };
        var model = new Option<string>("--model") { Description = "Segmenter to train: unet, resunet or pixel-forest (pixel features and a random forest; the --forest-* options apply to it, the U-Net options do not).", DefaultValueFactory = _ => "unet" };
        model.AcceptOnlyFromAmong([.. SegmenterPackageOptions.Names]);
        var name = new Option<string>("--name") { Description = "Registry name of the model (letters, digits, '.', '_', '-').", Required = true };
        var registry = ModelsCommand.RegistryOption();
        var masks = new Option<DirectoryInfo?>("--masks") { Description = "Folder of masks matched to the images by relative path and file stem." };
        var maskKind = new Option<string?>("--mask-kind") { HelpName = "binary|class-map|instances", Description = "Mask kind (default: detected from the values and reported)." };
        maskKind.AcceptOnlyFromAmong("binary", "class-map", "instances");
        var banner = CommonOptions.Banner();
        var seed = CommonOptions.Seed(42);
        var threads = CommonOptions.Threads();
        var unet = new UNetCommandOptions();
        var forest = new PixelForestCommandOptions();

        var command = new Command("train-segmenter", "Train a U-Net or pixel-forest segmenter on annotated micrographs and store it in the model registry as the next version (the first version becomes champion); segment --model uses it.")
        {
            data, model, name, registry, masks, maskKind, banner, seed, threads, CommonOptions.MaxImagePixels(), CommonOptions.KeepDamagedJpeg(),
        };
        unet.AddTo(command);
        forest.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var modelName = parse.GetRequiredValue(name);
            ModelRegistry.CheckName(modelName);
            var dataPath = parse.GetRequiredValue(data).FullName;
            // A read-only or misplaced registry must fail now, not after training.
            var registryPath = OutputGuard.Folder(parse.GetValue(registry)!.ToString(), "--registry", [dataPath]);
            var models = new ModelRegistry(registryPath);
            var (unetOptions, forestOptions) = forest.ReadWith(unet, parse, parse.GetValue(threads));
            var options = new SegmenterPackageOptions
            {
                DataPath = dataPath,
                Model = parse.GetValue(model)!,
                UNet = unetOptions,
                PixelForest = forestOptions,
                MasksDirectory = parse.GetValue(masks)?.FullName,
                MaskKind = ParseMaskKind(parse.GetValue(maskKind)),
                Banner = parse.GetValue(banner),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                CommandLine = "autoclassify " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            var stdout = parse.InvocationConfiguration.Output;
            using var trained = SegmenterPackageTrainer.Train(options, stdout.WriteLine, cancellationToken);
            var version = models.Add(modelName, stream => trained.WriteTo(stream));
            var champion = models.PromoteIfNoChampion(modelName, version);
            var facts = trained.Manifest.Provenance.Facts;
            var inv = CultureInfo.InvariantCulture;
            if (facts.TryGetValue("best_val_dice", out var dice))
                stdout.WriteLine(string.Create(inv, $"Early stopping chose epoch {facts.GetValueOrDefault("best_epoch")} of {facts.GetValueOrDefault("epochs_run")} (validation Dice {dice}; optimistic, it picked the epoch: use segment-benchmark for honest figures)."));
            stdout.WriteLine(string.Create(inv,
                $"Stored '{modelName}' version {version} ({trained.Manifest.ModelKind}, {facts.GetValueOrDefault("scheme")} scheme, {facts.GetValueOrDefault("training_images")} training images) at {models.PackagePath(modelName, version)}") +
                (champion ? "; it is the champion." : $"; the champion stays version {models.ChampionVersion(modelName)} (promote with 'autoclassify models promote {modelName} {version}')."));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    internal static MaskKind? ParseMaskKind(string? text) => text switch
    {
        "binary" => MaskKind.Binary,
        "class-map" => MaskKind.ClassMap,
        "instances" => MaskKind.Instances,
        _ => null,
    };
}
