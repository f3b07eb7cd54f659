namespace AutoClassify.Models.Transfer;

/// <summary>What a caller asks of a named architecture.</summary>
public sealed record BackboneRequest
{
    /// <summary>Weights file given with <c>--weights</c>; null lets the architecture look in its caches.</summary>
    public string? WeightsPath { get; init; }

    /// <summary>False builds the network with fresh weights (a package then loads its own state into it).</summary>
    public bool Pretrained { get; init; } = true;

    /// <summary>Where to report which weights were used (or downloaded).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>A pretrained network that the transfer models can use by name.</summary>
/// <param name="Name">Name in model names (<c>resnet18</c> gives <c>resnet18-frozen</c>, <c>resnet18-finetune</c>…).</param>
/// <param name="Description">One line for the model list and the report.</param>
/// <param name="Create">Builds the network, with its pretrained weights unless the request says otherwise.</param>
public sealed record BackboneArchitecture(string Name, string Description, Func<BackboneRequest, IFeatureBackbone> Create);

/// <summary>
/// The ImageNet architectures the transfer models know by name. The model catalog lists
/// <see cref="CatalogNames"/> from the start; an architecture becomes usable once its implementation calls
/// <see cref="Register"/>, and naming one that is not registered is a clear error before any work starts.
/// </summary>
public static class BackboneArchitectures
{
    static readonly Dictionary<string, BackboneArchitecture> Registered = new(StringComparer.Ordinal);
    static readonly Lock Gate = new();

    /// <summary>Architectures that have model-catalog entries, with their descriptions.</summary>
    public static IReadOnlyList<(string Name, string Description)> CatalogNames { get; } =
    [
        ("resnet18", "ResNet-18, ImageNet weights"),
        ("resnet50", "ResNet-50, ImageNet weights"),
        ("mobilenetv2", "MobileNetV2, ImageNet weights"),
    ];

    /// <summary>Adds or replaces an architecture.</summary>
    public static void Register(BackboneArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture.Name);
        ArgumentNullException.ThrowIfNull(architecture.Create);
        lock (Gate)
            Registered[architecture.Name] = architecture;
    }

    /// <summary>The registered architecture, or null when this build has none by that name.</summary>
    public static BackboneArchitecture? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Gate)
            return Registered.GetValueOrDefault(name);
    }

    /// <summary>Names of the registered architectures.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate)
                return [.. Registered.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>The architecture, or an exception saying it is not part of this build and what is.</summary>
    public static BackboneArchitecture Require(string name) =>
        Find(name) ?? throw new ArgumentException(
            $"Backbone '{name}' is not available in this build (available: {(Names.Count == 0 ? "none" : string.Join(", ", Names))}). " +
            "For domain transfer from your own CNN, use the lipnet-backbone-* models with --backbone <package or registry path>.");
}
