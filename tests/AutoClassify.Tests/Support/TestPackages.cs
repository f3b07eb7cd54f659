using AutoClassify.Packaging;

namespace AutoClassify.Tests.Support;

/// <summary>
/// A package written from a model the test built: the manifest takes the model's own kind, classes and preprocessing,
/// with a seeded provenance, as <c>train</c> writes them; only what a test varies is passed.
/// </summary>
internal static class TestPackages
{
    /// <summary>The manifest of <paramref name="model"/>, with <paramref name="preprocessing"/> in place of its own when given.</summary>
    public static ModelPackageManifest Manifest(IPackagedModel model, int seed = 42, PackagePreprocessing? preprocessing = null) => new()
    {
        ModelKind = model.Kind,
        ClassNames = model.ClassNames,
        Preprocessing = preprocessing ?? model.Preprocessing,
        Provenance = new PackageProvenance { Seed = seed, CreatedUtc = DateTimeOffset.UtcNow },
    };

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> and returns the manifest written.</summary>
    public static ModelPackageManifest Write(string path, IPackagedModel model, int seed = 42, PackagePreprocessing? preprocessing = null) =>
        ModelPackage.Write(path, Manifest(model, seed, preprocessing), model);
}
