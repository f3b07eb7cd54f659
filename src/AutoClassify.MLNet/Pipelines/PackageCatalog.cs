using AutoClassify.Packaging;
using Microsoft.ML;

namespace AutoClassify.MLNet;

/// <summary>Opens AutoClassify packages (<c>.acpkg</c>) as ML.NET transformers.</summary>
public static class PackageCatalog
{
    /// <summary>
    /// Opens a package written by <c>autoclassify train</c> (any kind: SVM, LipNet, transfer, the ML.NET baselines) as a
    /// transformer from an image path column to <see cref="AutoClassifyColumns.Score"/>,
    /// <see cref="AutoClassifyColumns.PredictedLabel"/> (a key named by the package's classes) and
    /// <see cref="AutoClassifyColumns.Error"/>. Each image is prepared and predicted exactly as <c>autoclassify predict</c>
    /// does (the package's crop, banner handling, resampling and tiling; a <c>*.mask.png</c> beside the image is used).
    /// The package is checked as <c>predict</c> checks it (manifest, hashes, no code run). The transformer owns the
    /// opened model: dispose it.
    /// </summary>
    /// <param name="catalog">The model operations catalog.</param>
    /// <param name="packagePath">The <c>.acpkg</c> file.</param>
    /// <param name="imageColumnName">The text column of image paths.</param>
    /// <param name="threads">Threads per prediction (0 = all cores).</param>
    public static AutoClassifyTransformer LoadAutoClassifyPackage(this ModelOperationsCatalog catalog, string packagePath,
        string imageColumnName = AutoClassifyColumns.ImagePath, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(packagePath);
        MLNetModels.Register();
        var package = ModelPackage.Open(packagePath);
        try
        {
            var classes = package.Manifest.ClassNames;
            var options = new PredictionOptions { Threads = threads };
            var gate = new Lock();
            var estimator = ImageMapping.Estimator(new MLContext().Transforms, imageColumnName, null, classes, (image, _) =>
            {
                ImagePrediction prediction;
                lock (gate)
                    prediction = PackagePredictor.Predict(package, [image], options).Single();
                return prediction.Error is { } error ? throw new InvalidDataException(error) : prediction.Probabilities;
            });
            var empty = new MLContext().Data.LoadFromEnumerable(Array.Empty<RowMapping.ImageInput>(), RowMapping.ImageSchema(imageColumnName, null));
            var facts = new Dictionary<string, string>(package.Manifest.Provenance.Facts) { ["package"] = package.Path };
            return new AutoClassifyTransformer(package.Manifest.ModelKind, classes, estimator.Fit(empty), package, facts);
        }
        catch
        {
            package.Dispose();
            throw;
        }
    }
}
