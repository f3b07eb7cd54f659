using AutoClassify.IO;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// Where a transfer model's backbone came from before any fit changed it: a named architecture with torchvision's
/// ImageNet weights, random weights (<c>--weights none</c>) or a weights file, or a LipNet package. The trainers
/// record it among the manifest's facts (<see cref="WeightsFact"/> or <see cref="PackageFact"/>, with
/// <see cref="Sha256Fact"/> for a file). A fit that starts from another transfer package's backbone
/// (<see cref="BackboneSource.FromTransferPackage"/>, as <c>retrain</c> does) passes that package's record on, so
/// <c>retrain --from-scratch</c> can go back to the original generations later.
/// </summary>
public sealed record BackboneOrigin
{
    /// <summary>Fact of an architecture's weights: <c>imagenet</c>, <c>none</c> or a file's full path.</summary>
    public const string WeightsFact = "backbone_weights";

    /// <summary>Fact of a LipNet backbone's package file (full path).</summary>
    public const string PackageFact = "backbone_package";

    /// <summary>Fact of the SHA-256 of the weights file or the package.</summary>
    public const string Sha256Fact = "backbone_sha256";

    /// <summary>The architecture of an ImageNet-style backbone (<c>resnet18</c>, …), or null for a LipNet package.</summary>
    public string? Architecture { get; init; }

    /// <summary>For an architecture: <c>imagenet</c> (torchvision's weights, looked up as <c>train</c> does), <c>none</c>, or a weights file's full path.</summary>
    public string? Weights { get; init; }

    /// <summary>For a LipNet backbone: the CNN package file's full path.</summary>
    public string? Package { get; init; }

    /// <summary>SHA-256 (lower-case hex) of the weights file or the package; null for <c>imagenet</c> and <c>none</c>.</summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// The origin of a fit's backbone: for an architecture, the weights <paramref name="options"/> name; for a LipNet
    /// package, the resolved file and its hash; for a transfer package, the origin its manifest records (null when it
    /// records none). Call it after <see cref="BackboneSource.CheckAvailable"/>: a named file must exist.
    /// </summary>
    public static BackboneOrigin? Of(BackboneSource source, TransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (source.TransferPackage is not null)
            return source.Origin;
        if (source.Architecture is { } architecture)
        {
            var weights = options.WeightsPath?.Trim();
            if (weights is null || weights.Equals(BackboneOptions.ImageNet, StringComparison.OrdinalIgnoreCase))
                return new() { Architecture = architecture, Weights = BackboneOptions.ImageNet };
            if (weights.Equals(BackboneArchitectures.NoWeights, StringComparison.OrdinalIgnoreCase))
                return new() { Architecture = architecture, Weights = BackboneArchitectures.NoWeights };
            var file = Path.GetFullPath(weights);
            return new() { Architecture = architecture, Weights = file, Sha256 = FileHash.Sha256Hex(file) };
        }
        var package = LipNetBackbone.ResolvePackagePath(source.Package!);
        return new() { Package = package, Sha256 = FileHash.Sha256Hex(package) };
    }

    /// <summary>
    /// The origin a manifest's facts record for a model of the backbone prefix <paramref name="prefix"/>
    /// (<c>resnet18</c>, <c>lipnet-backbone</c>, …), or null when they record none (packages from before the record).
    /// </summary>
    public static BackboneOrigin? FromFacts(string prefix, IReadOnlyDictionary<string, string> facts)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(facts);
        var sha = facts.GetValueOrDefault(Sha256Fact);
        if (prefix == BackboneSource.LipNetPrefix)
            return facts.TryGetValue(PackageFact, out var package) && sha is not null ? new() { Package = package, Sha256 = sha } : null;
        if (!facts.TryGetValue(WeightsFact, out var weights))
            return null;
        var isFile = !weights.Equals(BackboneOptions.ImageNet, StringComparison.Ordinal) && !weights.Equals(BackboneArchitectures.NoWeights, StringComparison.Ordinal);
        if (isFile && sha is null)
            return null;
        return new() { Architecture = prefix, Weights = weights, Sha256 = isFile ? sha : null };
    }

    /// <summary>Writes the facts <see cref="FromFacts"/> reads.</summary>
    public void AddTo(IDictionary<string, string> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (Package is not null)
            facts[PackageFact] = Package;
        else if (Weights is not null)
            facts[WeightsFact] = Weights;
        if (Sha256 is not null)
            facts[Sha256Fact] = Sha256;
    }

    /// <summary>
    /// <paramref name="options"/> set to open this origin again (its package as <see cref="TransferOptions.Backbone"/>,
    /// or its weights as <see cref="TransferOptions.WeightsPath"/>), after checking that a file is still there with the
    /// recorded SHA-256; throws naming the file and the problem when it is not.
    /// </summary>
    public TransferOptions Reopen(TransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Package is not null)
        {
            Verify(Package, "the LipNet package");
            return options with { Backbone = Package, WeightsPath = null, StartPackage = null };
        }
        if (Sha256 is not null)
            Verify(Weights!, "the weights file");
        return options with
        {
            Backbone = null,
            WeightsPath = Weights == BackboneOptions.ImageNet ? null : Weights,
            StartPackage = null,
        };
    }

    void Verify(string path, string what)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: {what} the backbone came from no longer exists.", path);
        var sha = FileHash.Sha256Hex(path);
        if (!sha.Equals(Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: {what} the backbone came from has changed since (SHA-256 {sha[..12]}…, recorded {Short(Sha256)}…).");
    }

    static string Short(string? hash) => hash is null ? "none" : hash[..Math.Min(12, hash.Length)];

    /// <summary>One line for logs and reports.</summary>
    public override string ToString() => Package is not null
        ? $"the LipNet package {Package}"
        : Weights switch
        {
            BackboneOptions.ImageNet when Architecture == MLNetResNet18.Name => $"{Architecture} with ML.NET's ImageNet weights ({MLNetResNet18.NuGetId} {MLNetResNet18.NuGetVersion})",
            BackboneOptions.ImageNet => $"{Architecture} with torchvision's ImageNet weights",
            BackboneArchitectures.NoWeights => $"{Architecture} with random weights (--weights none)",
            _ => $"{Architecture} with the weights file {Weights}",
        };
}
