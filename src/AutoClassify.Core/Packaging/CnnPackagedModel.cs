using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// A LipNet in a package: prepared images → <see cref="CnnModel.PredictProbabilities"/> (which resizes,
/// normalises and batches as its <c>model.json</c> says). Payload: <see cref="CnnModel.WeightsFile"/>
/// (safetensors) and <see cref="CnnModel.InfoFile"/>. A weights file whose tensors do not fit the
/// architecture is refused by the loader's state-dict check, whose message the package error carries.
/// </summary>
public sealed class CnnPackagedModel : IPackagedModel
{
    /// <summary>One registration per LipNet name (the manifest's model kind is the network's name).</summary>
    public static IReadOnlyList<PackagedModelKind> Registrations { get; } =
        [.. LipNet.Names.Select(name => new PackagedModelKind(name, Wrap, Load))];

    public CnnPackagedModel(CnnModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>The wrapped network (owned).</summary>
    public CnnModel Model { get; }

    public string Kind => Model.Info.Model;

    public IReadOnlyList<string> ClassNames => Model.Info.ClassNames;

    public PackagePreprocessing Preprocessing => new()
    {
        InputMode = Model.Info.InputMode,
        InputSize = Model.Info.InputSize,
        Normalisation = Model.Info.Normalisation,
    };

    public void WritePayload(string directory) => Model.Save(directory);

    /// <remarks>The thread count was fixed when the model was loaded; <paramref name="threads"/> is not used here.</remarks>
    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            return [];
        var data = new TrainingData
        {
            ClassNames = ClassNames,
            Labels = new int[images.Count],
            Images = [.. images.Select(i => i.Image)],
            Masks = [.. images.Select(i => i.Mask)],
        };
        return Model.PredictProbabilities(data, [.. Enumerable.Range(0, images.Count)]);
    }

    public void Dispose() => Model.Dispose();

    static CnnPackagedModel Wrap(ITrainedModel trained) => trained is CnnModel cnn
        ? new CnnPackagedModel(cnn)
        : throw new ArgumentException($"A CNN kind packages a CnnModel, not a {trained.GetType().Name}.", nameof(trained));

    static CnnPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var model = CnnModel.Load(directory);
        try
        {
            if (model.Info.Model != manifest.ModelKind)
                throw new InvalidDataException($"the payload holds a {model.Info.Model} but the manifest says {manifest.ModelKind}");
            if (!model.Info.ClassNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
                throw new InvalidDataException("the CNN payload's classes differ from the manifest's");
            return new CnnPackagedModel(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
