using AutoClassify.Models;
using AutoClassify.Models.Transfer;

namespace AutoClassify.Packaging;

/// <summary>
/// A transfer model (frozen or fine-tuned backbone with a softmax head) in a package. Payload:
/// <see cref="TransferModel.BackboneFile"/>, <see cref="TransferModel.HeadFile"/> and <see cref="TransferModel.InfoFile"/>;
/// the package is self-contained (a LipNet backbone's architecture is rebuilt from the info, an ImageNet one from its
/// registered architecture, and both load their weights from the payload).
/// </summary>
public sealed class TransferPackagedModel : ImagePackagedModel<TransferModel>
{
    /// <summary>One registration per packageable transfer model (<c>*-frozen</c> and <c>*-finetune</c>; the SVM heads are not packaged).</summary>
    public static IReadOnlyList<PackagedModelKind> Registrations { get; } =
        [.. TransferCatalog.Entries.Where(e => !e.Name.EndsWith("-svm", StringComparison.Ordinal)).Select(e => new PackagedModelKind(e.Name, Wrap, Load))];

    public TransferPackagedModel(TransferModel model)
        : base(model)
    {
    }

    public override string Kind => Model.Info.Model;

    public override IReadOnlyList<string> ClassNames => Model.Info.ClassNames;

    public override PackagePreprocessing Preprocessing => new()
    {
        InputMode = Model.Info.InputMode,
        InputSize = Model.Info.InputSize,
        Normalisation = Model.Info.ToInputSpec().NormalisationName,
    };

    public override void WritePayload(string directory) => Model.Save(directory);

    static TransferPackagedModel Wrap(ITrainedModel trained) => trained is TransferModel transfer
        ? new TransferPackagedModel(transfer)
        : throw new ArgumentException($"A transfer kind packages a TransferModel, not a {trained.GetType().Name}.", nameof(trained));

    static TransferPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var model = TransferModel.Load(directory);
        return Checked(model, model.Info.Model, model.Info.ClassNames, manifest, "transfer", m => new TransferPackagedModel(m));
    }
}
