using AutoClassify.Models;
using AutoClassify.Models.Transfer;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// A transfer model (frozen or fine-tuned backbone with a softmax head) in a package. Payload:
/// <see cref="TransferModel.BackboneFile"/>, <see cref="TransferModel.HeadFile"/> and <see cref="TransferModel.InfoFile"/>;
/// the package is self-contained (a LipNet backbone's architecture is rebuilt from the info, an ImageNet one from its
/// registered architecture, and both load their weights from the payload).
/// </summary>
public sealed class TransferPackagedModel : IPackagedModel
{
    /// <summary>One registration per packageable transfer model (<c>*-frozen</c> and <c>*-finetune</c>; the SVM heads are not packaged).</summary>
    public static IReadOnlyList<PackagedModelKind> Registrations { get; } =
        [.. TransferCatalog.Entries.Where(e => !e.Name.EndsWith("-svm", StringComparison.Ordinal)).Select(e => new PackagedModelKind(e.Name, Wrap, Load))];

    public TransferPackagedModel(TransferModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>The wrapped model (owned).</summary>
    public TransferModel Model { get; }

    public string Kind => Model.Info.Model;

    public IReadOnlyList<string> ClassNames => Model.Info.ClassNames;

    public PackagePreprocessing Preprocessing => new()
    {
        InputMode = Model.Info.InputMode,
        InputSize = Model.Info.InputSize,
        Normalisation = Model.Info.ToInputSpec().NormalisationName,
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

    static TransferPackagedModel Wrap(ITrainedModel trained) => trained is TransferModel transfer
        ? new TransferPackagedModel(transfer)
        : throw new ArgumentException($"A transfer kind packages a TransferModel, not a {trained.GetType().Name}.", nameof(trained));

    static TransferPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var model = TransferModel.Load(directory);
        try
        {
            if (model.Info.Model != manifest.ModelKind)
                throw new InvalidDataException($"the payload holds a {model.Info.Model} but the manifest says {manifest.ModelKind}");
            if (!model.Info.ClassNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
                throw new InvalidDataException("the transfer payload's classes differ from the manifest's");
            return new TransferPackagedModel(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
