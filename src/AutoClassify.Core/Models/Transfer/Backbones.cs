using System.Globalization;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Transfer;

/// <summary>A backbone the catalogue offers, with torchvision's ImageNet weights for it.</summary>
/// <param name="Name">Name the user picks it by (torchvision's).</param>
/// <param name="Description">One line for help texts and reports.</param>
/// <param name="FeatureDim">Length of the pooled feature vector at full width.</param>
/// <param name="ImageNetWeights">torchvision's published ImageNet-1k weights (IMAGENET1K_V1).</param>
public sealed record BackboneSpec(string Name, string Description, int FeatureDim, PretrainedWeightsFile ImageNetWeights);

/// <summary>How <see cref="Backbones.Create"/> builds a backbone and where its weights come from.</summary>
public sealed class BackboneOptions
{
    /// <summary>Value of <see cref="Weights"/> that loads torchvision's ImageNet weights (found in a cache or downloaded).</summary>
    public const string ImageNet = "imagenet";

    /// <summary>Value of <see cref="Weights"/> that keeps the random initialisation (must be asked for explicitly).</summary>
    public const string None = "none";

    /// <summary><c>imagenet</c> (default), <c>none</c>, or the path of a <c>.pth</c>/<c>.safetensors</c> state dict of the same network.</summary>
    public string Weights { get; init; } = ImageNet;

    /// <summary>Outputs of the network's own classifier (1000 for ImageNet weights).</summary>
    public int ClassCount { get; init; } = 1000;

    /// <summary>Channel multiplier: 1 is the published network; smaller values give narrow copies (tests, speed).</summary>
    public double WidthMultiplier { get; init; } = 1.0;

    /// <summary>Where ImageNet weights are looked for and whether they may be downloaded.</summary>
    public PretrainedWeightsOptions Lookup { get; init; } = new();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Weights, nameof(Weights));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClassCount, 1, nameof(ClassCount));
        if (!(WidthMultiplier > 0) || !double.IsFinite(WidthMultiplier))
            throw new ArgumentOutOfRangeException(nameof(WidthMultiplier), WidthMultiplier, "The width multiplier must be finite and positive.");
        ArgumentNullException.ThrowIfNull(Lookup, nameof(Lookup));
        if (IsImageNet && (ClassCount != 1000 || WidthMultiplier != 1.0))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"ImageNet weights fit only the full-width network with 1000 classes (got {ClassCount} classes, width {WidthMultiplier}); put a new head on its Features instead."),
                nameof(ClassCount));
        }
    }

    internal bool IsImageNet => Weights.Trim().Equals(ImageNet, StringComparison.OrdinalIgnoreCase);

    internal bool IsNone => Weights.Trim().Equals(None, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The pretrained-backbone catalogue: ResNet-18, ResNet-50 and MobileNetV2 as torchvision defines them.</summary>
public static class Backbones
{
    static readonly Uri Models = new("https://download.pytorch.org/models/");

    // torchvision publishes only the first 8 hex digits of each file's SHA-256, in its name; torch.hub checks that
    // prefix and so do we. No authoritative full digests were found to pin instead.
    /// <summary>The catalogue.</summary>
    public static IReadOnlyList<BackboneSpec> Specs { get; } =
    [
        new("resnet18", "ResNet-18 (torchvision), 11.7 M parameters, 512 features", 512,
            new("resnet18-f37072fd.pth", new Uri(Models, "resnet18-f37072fd.pth"), "f37072fd")),
        new("resnet50", "ResNet-50 v1.5 (torchvision), 25.6 M parameters, 2048 features", 2048,
            new("resnet50-0676ba61.pth", new Uri(Models, "resnet50-0676ba61.pth"), "0676ba61")),
        new("mobilenet_v2", "MobileNetV2 (torchvision), 3.5 M parameters, 1280 features", 1280,
            new("mobilenet_v2-b0353104.pth", new Uri(Models, "mobilenet_v2-b0353104.pth"), "b0353104")),
    ];

    /// <summary>Names accepted by <see cref="Find"/> and <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names => [.. Specs.Select(s => s.Name)];

    /// <summary>The spec of a backbone name (case-insensitive), or an exception listing the known names.</summary>
    public static BackboneSpec Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Specs.FirstOrDefault(s => s.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown backbone '{name}'. Known backbones: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>
    /// Builds a backbone and loads its weights as <see cref="BackboneOptions.Weights"/> says: torchvision's ImageNet
    /// weights (see <see cref="PretrainedWeights.Locate"/>; a miss is an error, never silently random weights),
    /// a given state-dict file, or — only for <c>none</c> — the random initialisation (seed it with
    /// <see cref="Torch.ManualSeed"/>). The network is in training mode; call <c>Network.Eval()</c> to extract features.
    /// </summary>
    public static IFeatureBackbone Create(string name, BackboneOptions? options = null)
    {
        var spec = Find(name);
        options ??= new BackboneOptions();
        options.Validate();

        string? path = null;
        if (options.IsImageNet)
            path = PretrainedWeights.Locate(spec.ImageNetWeights, null, options.Lookup);
        else if (!options.IsNone)
            path = PretrainedWeights.Locate(spec.ImageNetWeights, options.Weights, options.Lookup);

        var backbone = Build(spec.Name, options.ClassCount, options.WidthMultiplier);
        try
        {
            if (path is not null)
                LoadWeights(backbone, path);
            return backbone;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>A freshly initialised backbone (no weights loaded).</summary>
    public static IFeatureBackbone Build(string name, int classCount = 1000, double widthMultiplier = 1.0)
    {
        var spec = Find(name);
        return spec.Name switch
        {
            "resnet18" => ResNet.ResNet18(classCount, ResNetBase(widthMultiplier)),
            "resnet50" => ResNet.ResNet50(classCount, ResNetBase(widthMultiplier)),
            "mobilenet_v2" => new MobileNetV2(classCount, widthMultiplier),
            _ => throw new InvalidOperationException($"No builder for backbone '{spec.Name}'."),
        };
    }

    /// <summary>
    /// Loads a state-dict file (<c>.pth</c> or <c>.safetensors</c>) into <paramref name="backbone"/> with strict key
    /// and shape matching. The one allowance is PyTorch's own: checkpoints older than PyTorch 0.4.1 carry no
    /// <c>num_batches_tracked</c> buffers, which are then set to 0.
    /// </summary>
    public static StateDictLoadResult LoadWeights(IFeatureBackbone backbone, string path)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var state = StateDictFile.Load(path);
        try
        {
            foreach (var (key, own) in backbone.Network.StateDict())
            {
                if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !state.ContainsKey(key))
                    state.Add(key, Tensor.Zeros(own.Shape, own.DType));
            }
            return backbone.Network.LoadStateDict(state, strict: true);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path}: does not fit {backbone.Name}: {e.Message}", e);
        }
        finally
        {
            foreach (var tensor in state.Values)
                tensor.Dispose();
        }
    }

    /// <summary>The parameters of the last <paramref name="count"/> stages (what "unfreeze the last N" trains).</summary>
    public static IReadOnlyList<Tensor> StageParameters(IFeatureBackbone backbone, int count)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var stages = backbone.StageNames.Skip(Math.Max(0, backbone.StageNames.Count - count)).ToList();
        return [.. backbone.Network.NamedParameters()
            .Where(p => stages.Any(s => p.Name.StartsWith(s + ".", StringComparison.Ordinal)))
            .Select(p => p.Tensor)];
    }

    static int ResNetBase(double widthMultiplier)
    {
        var channels = 64 * widthMultiplier;
        if (channels < 1 || Math.Abs(channels - Math.Round(channels)) > 1e-9)
        {
            throw new ArgumentOutOfRangeException(nameof(widthMultiplier), widthMultiplier,
                "A ResNet's width multiplier must give a whole number of base channels (64 × multiplier), e.g. 0.5 or 1/16.");
        }
        return (int)Math.Round(channels);
    }
}
