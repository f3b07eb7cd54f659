namespace AutoClassify.Models.Transfer;

/// <summary>What a caller asks of a named architecture.</summary>
public sealed record BackboneRequest
{
    /// <summary>Weights file given with <c>--weights</c>, or <see cref="BackboneArchitectures.NoWeights"/>; null looks in the caches (then downloads).</summary>
    public string? WeightsPath { get; init; }

    /// <summary>False builds the network with fresh weights (a package then loads its own state into it).</summary>
    public bool Pretrained { get; init; } = true;

    /// <summary>Where to report which weights were used (or downloaded).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The network will be trained (fine-tuning): an architecture that runs on an inference-only engine gives its trainable form.</summary>
    public bool Trainable { get; init; }
}

/// <summary>A pretrained network that the transfer models can use by name.</summary>
/// <param name="Name">Name in model names (<c>resnet18</c> gives <c>resnet18-frozen</c>, <c>resnet18-finetune</c>…).</param>
/// <param name="Description">One line for the model list and the report.</param>
/// <param name="Create">Builds the network, with its pretrained weights unless the request says otherwise.</param>
public sealed record BackboneArchitecture(string Name, string Description, Func<BackboneRequest, IFeatureBackbone> Create);

/// <summary>
/// The architectures the transfer models know by name: torchvision's networks of <see cref="Backbones"/> (ResNet-18,
/// ResNet-50, MobileNetV2), each with a model-catalog entry, and any further network that calls <see cref="Register"/>.
/// </summary>
public static class BackboneArchitectures
{
    /// <summary>Value of <see cref="BackboneRequest.WeightsPath"/> (<c>--weights none</c>) that keeps the random initialisation.</summary>
    public const string NoWeights = BackboneOptions.None;

    static readonly Dictionary<string, BackboneArchitecture> Registered = new(StringComparer.Ordinal);
    static readonly Lock Gate = new();

    static BackboneArchitectures()
    {
        foreach (var spec in Backbones.Specs)
            Register(new BackboneArchitecture(spec.Name, spec.Description, request => CreatePretrained(spec.Name, request)));
        Register(MLNetResNet18.Architecture);
    }

    /// <summary>
    /// Architectures that have model-catalog entries, with their descriptions and whether they can be fine-tuned
    /// (all of them: <see cref="MLNetResNet18"/> runs on ONNX Runtime when frozen and as <see cref="MLNetResNet18Torch"/> when fine-tuned).
    /// </summary>
    public static IReadOnlyList<(string Name, string Description, bool FineTunes)> CatalogNames { get; } =
        [.. Backbones.Specs.Select(s => (s.Name, s.Description, true)), (MLNetResNet18.Name, MLNetResNet18.Description, true)];

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

    /// <summary>
    /// Finds (or downloads and verifies) the file a torchvision architecture's weights will come from, so that a missing
    /// file is an error naming the file, its URL and the cache folder before any work starts. Other architectures pass.
    /// </summary>
    public static void LocateWeights(string name, string? weightsPath, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == MLNetResNet18.Name)
        {
            MLNetResNet18.CheckWeights(weightsPath);
            MLNetResNet18.Locate();
            return;
        }
        var spec = Backbones.Specs.FirstOrDefault(s => s.Name == name);
        if (spec is null || string.Equals(weightsPath?.Trim(), NoWeights, StringComparison.OrdinalIgnoreCase))
            return;
        PretrainedWeights.Locate(spec.ImageNetWeights, weightsPath, new PretrainedWeightsOptions { Log = log });
    }

    // torchvision's weights: --weights first, then the caches, then a verified download; never silently random.
    static IFeatureBackbone CreatePretrained(string name, BackboneRequest request)
    {
        var weights = !request.Pretrained ? BackboneOptions.None : request.WeightsPath ?? BackboneOptions.ImageNet;
        var backbone = Backbones.Create(name, new BackboneOptions { Weights = weights, Lookup = new PretrainedWeightsOptions { Log = request.Log } });
        backbone.Network.Eval();
        return backbone;
    }
}
