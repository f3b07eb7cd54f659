namespace AutoClassify.Models.Transfer;

/// <summary>
/// Where a transfer model's backbone comes from: a named ImageNet architecture (<see cref="BackboneArchitectures"/>)
/// or, for domain transfer, an AutoClassify CNN package (<see cref="LipNetBackbone"/>).
/// </summary>
public sealed record BackboneSource
{
    /// <summary>The model-name prefix of domain-transfer models (<c>lipnet-backbone-frozen</c>, …).</summary>
    public const string LipNetPrefix = "lipnet-backbone";

    BackboneSource(string? architecture, string? package)
    {
        Architecture = architecture;
        Package = package;
    }

    /// <summary>A registered architecture name, or null for a package.</summary>
    public string? Architecture { get; }

    /// <summary>A package file or registry path, or null for an architecture.</summary>
    public string? Package { get; }

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
    /// The source of a model-name prefix: <c>lipnet-backbone</c> takes <see cref="TransferOptions.Backbone"/> (and
    /// throws naming <c>--backbone</c> when it is missing); anything else is an architecture name.
    /// </summary>
    public static BackboneSource For(string prefix, TransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(options);
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
        else
            LipNetBackbone.ResolvePackagePath(Package!);
    }

    /// <summary>Opens the backbone with its trained weights (the caller disposes it).</summary>
    public IFeatureBackbone Open(TransferOptions options, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Architecture is not null)
            return BackboneArchitectures.Require(Architecture).Create(new BackboneRequest { WeightsPath = options.WeightsPath, Log = log });
        return LipNetBackbone.Open(Package!);
    }

    /// <summary>One line for logs and the report.</summary>
    public override string ToString() => Architecture ?? $"{LipNetPrefix} {Package}";
}
