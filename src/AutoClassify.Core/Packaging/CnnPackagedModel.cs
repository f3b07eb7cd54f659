using AutoClassify.Models;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Packaging;

/// <summary>
/// A LipNet in a package: prepared images → <see cref="CnnModel.PredictProbabilities"/> (which resizes,
/// normalises and batches as its <c>model.json</c> says). Payload: <see cref="CnnModel.WeightsFile"/>
/// (safetensors) and <see cref="CnnModel.InfoFile"/>. A weights file whose tensors do not fit the
/// architecture is refused by the loader's state-dict check, whose message the package error carries.
/// </summary>
public sealed class CnnPackagedModel : ImagePackagedModel<CnnModel>
{
    /// <summary>One registration per LipNet name (the manifest's model kind is the network's name).</summary>
    public static IReadOnlyList<PackagedModelKind> Registrations { get; } =
        [.. LipNet.Names.Select(name => new PackagedModelKind(name, Wrap, Load))];

    public CnnPackagedModel(CnnModel model)
        : base(model)
    {
    }

    public override string Kind => Model.Info.Model;

    public override IReadOnlyList<string> ClassNames => Model.Info.ClassNames;

    public override PackagePreprocessing Preprocessing => new()
    {
        InputMode = Model.Info.InputMode,
        InputSize = Model.Info.InputSize,
        Normalisation = Model.Info.Normalisation,
    };

    public override void WritePayload(string directory) => Model.Save(directory);

    static CnnPackagedModel Wrap(ITrainedModel trained) => trained is CnnModel cnn
        ? new CnnPackagedModel(cnn)
        : throw new ArgumentException($"A CNN kind packages a CnnModel, not a {trained.GetType().Name}.", nameof(trained));

    static CnnPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var model = CnnModel.Load(directory);
        return Checked(model, model.Info.Model, model.Info.ClassNames, manifest, "CNN", m => new CnnPackagedModel(m));
    }
}
