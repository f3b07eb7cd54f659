using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.Svm;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// An SVM in a package: prepared image → its <see cref="SvmModel.FeatureSet"/> (the handcrafted features for
/// <c>svm</c>, the whole-field particle and texture features for <c>svm-field</c>) →
/// <see cref="SvmModel.PredictProbabilities(ReadOnlySpan{double})"/>. Payload: <see cref="SvmModel.LibSvmFileName"/>
/// (LIBSVM's model text) and <see cref="SvmModel.MetadataFileName"/> (feature set and names, standardizer, checksum).
/// </summary>
public sealed class SvmPackagedModel : IPackagedModel
{
    /// <summary>The registration of the <c>svm</c> kind.</summary>
    public static PackagedModelKind Registration { get; } = new("svm", Wrap, Load);

    /// <summary>The registration of the <c>svm-field</c> kind.</summary>
    public static PackagedModelKind FieldRegistration { get; } = new("svm-field", Wrap, Load);

    public SvmPackagedModel(SvmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var expected = model.FeatureSet.Names;
        if (!model.FeatureNames.SequenceEqual(expected, StringComparer.Ordinal))
        {
            throw new InvalidDataException(
                $"the SVM was trained on {model.FeatureNames.Count} features that differ from the {expected.Count} {model.FeatureSet.Name} features this build extracts");
        }
        Model = model;
        Kind = model.Input == ModelInput.FieldFeatures ? FieldRegistration.Kind : Registration.Kind;
        Preprocessing = new PackagePreprocessing
        {
            InputMode = "features",
            Normalisation = $"{model.FeatureSet.Describe()}, z-scored by the training standardizer (in {SvmModel.MetadataFileName})",
            FeatureSet = PackageFeatureSet.From(model.FeatureSet),
        };
    }

    /// <summary>The wrapped SVM (owned).</summary>
    public SvmModel Model { get; }

    public string Kind { get; }

    public IReadOnlyList<string> ClassNames => Model.ClassNames;

    public PackagePreprocessing Preprocessing { get; }

    public void WritePayload(string directory) => Model.Save(directory);

    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(images);
        var result = new double[images.Count][];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        var features = Model.FeatureSet;
        Parallel.For(0, images.Count, parallel, i =>
        {
            result[i] = Model.PredictProbabilities(features.Extract(images[i]));
        });
        return result;
    }

    public void Dispose() => Model.Dispose();

    static SvmPackagedModel Wrap(ITrainedModel trained) => trained is SvmModel svm
        ? new SvmPackagedModel(svm)
        : throw new ArgumentException($"An SVM kind packages an SvmModel, not a {trained.GetType().Name}.", nameof(trained));

    static SvmPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var model = SvmModel.Load(directory);
        try
        {
            if (!model.ClassNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
            {
                throw new InvalidDataException(
                    $"the SVM payload's classes ({string.Join(", ", model.ClassNames)}) differ from the manifest's ({string.Join(", ", manifest.ClassNames)})");
            }
            var packaged = new SvmPackagedModel(model);
            if (packaged.Kind != manifest.ModelKind)
                throw new InvalidDataException($"the payload holds an {packaged.Kind} model but the manifest says {manifest.ModelKind}");
            if (manifest.Preprocessing.FeatureSet is { } recorded && recorded != packaged.Preprocessing.FeatureSet)
            {
                throw new InvalidDataException(
                    $"the manifest's feature set ({recorded.Name}, {recorded.Count} features, {recorded.LengthUnit}) differs from the payload's ({model.FeatureSet.Describe()})");
            }
            return packaged;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
