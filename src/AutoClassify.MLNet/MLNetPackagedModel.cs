using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.MLNet;

/// <summary>
/// An ML.NET baseline in a package: prepared image → its <see cref="MLNetModel.FeatureSet"/> → the standardizer →
/// ML.NET's model. Payload: <see cref="MLNetModel.ModelFileName"/> (ML.NET's own zip) and
/// <see cref="MLNetModel.MetadataFileName"/>.
/// </summary>
public sealed class MLNetPackagedModel : IPackagedModel
{
    public MLNetPackagedModel(MLNetModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var expected = model.FeatureSet.Names;
        if (!model.FeatureNames.SequenceEqual(expected, StringComparer.Ordinal))
        {
            throw new InvalidDataException(
                $"the {model.Kind} model was trained on {model.FeatureNames.Count} features that differ from the {expected.Count} {model.FeatureSet.Name} features this build extracts");
        }
        Model = model;
        Preprocessing = new PackagePreprocessing
        {
            InputMode = "features",
            Normalisation = $"{model.FeatureSet.Describe()}, z-scored by the training standardizer (in {MLNetModel.MetadataFileName})",
            FeatureSet = PackageFeatureSet.From(model.FeatureSet),
        };
    }

    /// <summary>The wrapped model.</summary>
    public MLNetModel Model { get; }

    public string Kind => Model.Kind;

    public IReadOnlyList<string> ClassNames => Model.ClassNames;

    public PackagePreprocessing Preprocessing { get; }

    /// <summary>The package registrations of every learner on both feature sets.</summary>
    public static IEnumerable<PackagedModelKind> Registrations =>
        MLNetLearner.All.SelectMany(l => new[] { ModelInput.Features, ModelInput.FieldFeatures }
            .Select(input => new PackagedModelKind(MLNetTrainer.KindName(l.Name, input), Wrap, Load)));

    public void WritePayload(string directory) => Model.Save(directory);

    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(images);
        var rows = new double[images.Count][];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        var features = Model.FeatureSet;
        Parallel.For(0, images.Count, parallel, i => rows[i] = features.Extract(images[i]));
        return Model.PredictProbabilities(rows);
    }

    public void Dispose() => Model.Dispose();

    static MLNetPackagedModel Wrap(ITrainedModel trained) => trained is MLNetModel model
        ? new MLNetPackagedModel(model)
        : throw new ArgumentException($"An ML.NET kind packages an MLNetModel, not a {trained.GetType().Name}.", nameof(trained));

    static MLNetPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var model = MLNetModel.Load(directory);
        if (!model.ClassNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
        {
            throw new InvalidDataException(
                $"the ML.NET payload's classes ({string.Join(", ", model.ClassNames)}) differ from the manifest's ({string.Join(", ", manifest.ClassNames)})");
        }
        var packaged = new MLNetPackagedModel(model);
        if (packaged.Kind != manifest.ModelKind)
            throw new InvalidDataException($"the payload holds a {packaged.Kind} model but the manifest says {manifest.ModelKind}");
        if (manifest.Preprocessing.FeatureSet is { } recorded && recorded != packaged.Preprocessing.FeatureSet)
        {
            throw new InvalidDataException(
                $"the manifest's feature set ({recorded.Name}, {recorded.Count} features, {recorded.LengthUnit}) differs from the payload's ({model.FeatureSet.Describe()})");
        }
        return packaged;
    }
}
