using System.Runtime.CompilerServices;
using AutoClassify.Models;
using AutoClassify.Models.Transfer;

namespace AutoClassify.Packaging;

/// <summary>
/// Packages and the registry as the transfer backbones see them (<see cref="IBackbonePackages"/>): CNN packages for
/// domain transfer, transfer packages for their trained backbones.
/// </summary>
internal sealed class BackbonePackageReader : IBackbonePackages
{
    // Backbones open packages wherever the host starts (CLI, library, tests), so the reader is in place before any model runs.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Registers the package reader of the transfer backbones for this assembly.")]
    [ModuleInitializer]
    internal static void Register() => BackbonePackages.Register(new BackbonePackageReader());

    public string ResolvePackagePath(string packageOrRegistryPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packageOrRegistryPath);
        var full = Path.GetFullPath(packageOrRegistryPath);
        if (File.Exists(full))
            return full;
        if (Directory.Exists(full))
        {
            var inVersion = Path.Combine(full, ModelRegistry.PackageFileName);
            if (File.Exists(inVersion))
                return inVersion;
            if (File.Exists(Path.Combine(full, ModelRegistry.ChampionFileName)))
            {
                var root = Path.GetDirectoryName(full) ?? full;
                return new ModelRegistry(root).ResolveChampion(Path.GetFileName(full));
            }
            throw new FileNotFoundException(
                $"Backbone folder '{full}' holds neither {ModelRegistry.PackageFileName} (a registry version such as models/x/v3) nor {ModelRegistry.ChampionFileName} (a registry model such as models/x).", full);
        }
        throw new FileNotFoundException($"Backbone '{packageOrRegistryPath}' is neither a model package file nor a registry folder ({full} does not exist).", full);
    }

    public BackbonePackageFacts ReadFacts(string packagePath)
    {
        var manifest = ModelPackage.ReadManifest(packagePath);
        return new BackbonePackageFacts(manifest.ModelKind, manifest.Provenance.Facts);
    }

    public OpenedBackbonePackage Open(string packagePath)
    {
        var package = ModelPackage.Open(packagePath);
        try
        {
            ITrainedModel? model = package.Model switch
            {
                CnnPackagedModel cnn => cnn.Model,
                TransferPackagedModel transfer => transfer.Model,
                _ => null,
            };
            return new OpenedBackbonePackage(package.Manifest.ModelKind, model, package);
        }
        catch
        {
            package.Dispose();
            throw;
        }
    }
}
