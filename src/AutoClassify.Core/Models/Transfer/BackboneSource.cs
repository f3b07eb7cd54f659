namespace AutoClassify.Models.Transfer;

/// <summary>
/// Where a transfer model's backbone comes from: a named ImageNet architecture (<see cref="BackboneArchitectures"/>),
/// for domain transfer an AutoClassify CNN package (<see cref="LipNetBackbone"/>), or the trained backbone of a
/// transfer model's package (<see cref="FromTransferPackage"/>; <c>retrain</c> starts a challenger from its champion's).
/// </summary>
public sealed record BackboneSource
{
    /// <summary>The model-name prefix of domain-transfer models (<c>lipnet-backbone-frozen</c>, …).</summary>
    public const string LipNetPrefix = "lipnet-backbone";

    BackboneSource(string? architecture, string? package, string? transferPackage = null, string? transferKind = null, BackboneOrigin? origin = null)
    {
        Architecture = architecture;
        Package = package;
        TransferPackage = transferPackage;
        TransferKind = transferKind;
        Origin = origin;
    }

    /// <summary>A registered architecture name, or null for a package.</summary>
    public string? Architecture { get; }

    /// <summary>A CNN package file or registry path (domain transfer), or null.</summary>
    public string? Package { get; }

    /// <summary>A transfer model's package file whose trained backbone is reopened, or null.</summary>
    public string? TransferPackage { get; }

    /// <summary>The model kind <see cref="TransferPackage"/> holds (e.g. <c>resnet18-finetune</c>), or null.</summary>
    public string? TransferKind { get; }

    /// <summary>
    /// For <see cref="TransferPackage"/>: where that package's backbone came from before it was trained, as its manifest
    /// records it; null when the manifest records nothing (packages from before the record) and for the other sources.
    /// </summary>
    public BackboneOrigin? Origin { get; }

    /// <summary>A named ImageNet architecture.</summary>
    public static BackboneSource Named(string architecture)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture);
        return new(architecture, null);
    }

    /// <summary>A CNN package file, registry version folder or registry model folder.</summary>
    public static BackboneSource FromPackage(string packageOrRegistryPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packageOrRegistryPath);
        return new(null, packageOrRegistryPath);
    }

    /// <summary>
    /// The backbone of a transfer model's package file (<c>*-frozen</c> or <c>*-finetune</c>) with the weights it was
    /// saved with, frozen or fine-tuned. Reads the manifest now (for the model kind and the backbone's
    /// <see cref="Origin"/>); throws naming the file when it is missing or holds no transfer model.
    /// </summary>
    public static BackboneSource FromTransferPackage(string packagePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packagePath);
        var full = Path.GetFullPath(packagePath);
        if (!File.Exists(full))
            throw new FileNotFoundException($"{full}: the transfer model package to take the backbone from does not exist.", full);
        var manifest = BackbonePackages.Current.ReadFacts(full);
        if (TransferCatalog.Split(manifest.ModelKind) is not { } split || split.Mode == TransferCatalog.FrozenSvm)
            throw new ArgumentException($"{full}: holds a {manifest.ModelKind} model, not a packaged transfer model (*{TransferCatalog.Frozen}, *{TransferCatalog.FineTune}), so it has no backbone to reopen.");
        return new(null, null, full, manifest.ModelKind, BackboneOrigin.FromFacts(split.Backbone, manifest.Facts));
    }

    /// <summary>
    /// The source of a model-name prefix: <see cref="TransferOptions.StartPackage"/> when it is set (its model must
    /// have the same prefix); else <c>lipnet-backbone</c> takes <see cref="TransferOptions.Backbone"/> (and throws
    /// naming <c>--backbone</c> when it is missing), and anything else is an architecture name.
    /// </summary>
    public static BackboneSource For(string prefix, TransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(options);
        if (options.StartPackage is { } start)
        {
            var source = FromTransferPackage(start);
            if (TransferCatalog.Split(source.TransferKind!)!.Value.Backbone != prefix)
                throw new ArgumentException($"{source.TransferPackage}: holds a {source.TransferKind} model, whose backbone cannot start a {prefix}-* model.");
            return source;
        }
        if (prefix == LipNetPrefix)
        {
            return FromPackage(options.Backbone
                ?? throw new ArgumentException($"The {LipNetPrefix}-* models need --backbone <package file or registry path> (e.g. models/my-cnn/v3)."));
        }
        return Named(prefix);
    }

    /// <summary>Fails now, before any work, when the backbone cannot be opened later: an unregistered architecture, missing weights or a missing package.</summary>
    public void CheckAvailable(TransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Architecture is not null)
        {
            BackboneArchitectures.Require(Architecture);
            BackboneArchitectures.LocateWeights(Architecture, options.WeightsPath);
        }
        else if (TransferPackage is not null)
        {
            if (!File.Exists(TransferPackage))
                throw new FileNotFoundException($"{TransferPackage}: the transfer model package to take the backbone from does not exist.", TransferPackage);
        }
        else
        {
            LipNetBackbone.ResolvePackagePath(Package!);
        }
    }

    /// <summary>Opens the backbone with its trained weights (the caller disposes it); <paramref name="trainable"/> when it will be fine-tuned.</summary>
    public IFeatureBackbone Open(TransferOptions options, Action<string>? log, bool trainable = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Architecture is not null)
            return BackboneArchitectures.Require(Architecture).Create(new BackboneRequest { WeightsPath = options.WeightsPath, Log = log, Trainable = trainable });
        if (TransferPackage is not null)
        {
            using var package = BackbonePackages.Current.Open(TransferPackage);
            if (package.Model is not TransferModel transfer)
                throw new InvalidDataException($"{TransferPackage}: holds a {package.ModelKind} model, not a packaged transfer model.");
            log?.Invoke($"backbone: {transfer.Info.Backbone} as saved in {TransferPackage}");
            return transfer.CopyBackbone();
        }
        return LipNetBackbone.Open(Package!);
    }

    /// <summary>One line for logs and the report.</summary>
    public override string ToString() =>
        Architecture ?? (TransferPackage is not null ? $"the backbone of the {TransferKind} package {TransferPackage}" : $"{LipNetPrefix} {Package}");
}
