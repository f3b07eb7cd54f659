namespace AutoClassify.Models.Transfer;

/// <summary>
/// What the transfer models need from model packages and the registry: a CNN package as a domain-transfer backbone,
/// a transfer package's trained backbone. Packaging implements it and registers it with <see cref="BackbonePackages"/>
/// when the assembly loads, so the models never name the stage that packages them.
/// </summary>
public interface IBackbonePackages
{
    /// <summary>
    /// The package file a backbone argument names: the file itself, the package inside a registry version folder, or
    /// the champion's package inside a registry model folder. Throws <see cref="FileNotFoundException"/> naming the
    /// path when it is none of these.
    /// </summary>
    string ResolvePackagePath(string packageOrRegistryPath);

    /// <summary>The model kind and provenance facts a package's manifest records, read without loading the model.</summary>
    BackbonePackageFacts ReadFacts(string packagePath);

    /// <summary>Opens a package file for its trained model; the caller disposes the result, which releases the model.</summary>
    OpenedBackbonePackage Open(string packagePath);
}

/// <summary>What a package's manifest says about the model it holds.</summary>
/// <param name="ModelKind">The manifest's model kind (e.g. <c>resnet18-finetune</c>).</param>
/// <param name="Facts">The manifest's provenance facts (see <see cref="BackboneOrigin.FromFacts"/>).</param>
public sealed record BackbonePackageFacts(string ModelKind, IReadOnlyDictionary<string, string> Facts);

/// <summary>A package opened for its trained model; disposing it releases the package and the model.</summary>
public sealed class OpenedBackbonePackage : IDisposable
{
    readonly IDisposable owner;

    /// <summary>Wraps an opened package; <paramref name="owner"/> releases it and <paramref name="model"/>.</summary>
    public OpenedBackbonePackage(string modelKind, ITrainedModel? model, IDisposable owner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelKind);
        ArgumentNullException.ThrowIfNull(owner);
        ModelKind = modelKind;
        Model = model;
        this.owner = owner;
    }

    /// <summary>The manifest's model kind.</summary>
    public string ModelKind { get; }

    /// <summary>The trained CNN or transfer model the package holds, or null for a kind that has no such model.</summary>
    public ITrainedModel? Model { get; }

    public void Dispose() => owner.Dispose();
}

/// <summary>The registration point of <see cref="IBackbonePackages"/>.</summary>
public static class BackbonePackages
{
    static IBackbonePackages? current;

    /// <summary>Sets the package reader the backbones use; the packaging stage registers its own when the assembly loads.</summary>
    public static void Register(IBackbonePackages packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        Volatile.Write(ref current, packages);
    }

    /// <summary>The registered reader; throws when none is.</summary>
    public static IBackbonePackages Current => Volatile.Read(ref current)
        ?? throw new InvalidOperationException("No model-package reader is registered for transfer backbones (see BackbonePackages.Register).");
}
