using AutoClassify.Models;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// What the packaged networks share (<see cref="CnnPackagedModel"/> and <see cref="TransferPackagedModel"/>): they own
/// a trained model that predicts from images and masks, and their payload names the model kind and classes, which
/// must agree with the manifest.
/// </summary>
/// <typeparam name="TModel">The wrapped, owned model.</typeparam>
public abstract class ImagePackagedModel<TModel> : IPackagedModel
    where TModel : class, ITrainedModel
{
    protected ImagePackagedModel(TModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>The wrapped model (owned).</summary>
    public TModel Model { get; }

    public abstract string Kind { get; }

    public abstract IReadOnlyList<string> ClassNames { get; }

    public abstract PackagePreprocessing Preprocessing { get; }

    public abstract void WritePayload(string directory);

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

    public void Dispose()
    {
        Model.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Wraps a freshly loaded payload model after checking its kind and classes against the manifest; a mismatch
    /// disposes the model and throws naming <paramref name="payload"/> (e.g. "CNN").
    /// </summary>
    protected static TPackaged Checked<TPackaged>(TModel model, string kind, IReadOnlyList<string> classNames, ModelPackageManifest manifest,
        string payload, Func<TModel, TPackaged> wrap)
    {
        try
        {
            if (kind != manifest.ModelKind)
                throw new InvalidDataException($"the payload holds a {kind} but the manifest says {manifest.ModelKind}");
            if (!classNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
                throw new InvalidDataException($"the {payload} payload's classes differ from the manifest's");
            return wrap(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
