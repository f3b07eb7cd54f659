using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.Svm;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// The SVM in a package: prepared image → <see cref="HandcraftedFeatures.Extract(GrayImage, BinaryMask?)"/> →
/// <see cref="SvmModel.PredictProbabilities(ReadOnlySpan{double})"/>. Payload: <see cref="SvmModel.LibSvmFileName"/>
/// (LIBSVM's model text) and <see cref="SvmModel.MetadataFileName"/> (feature names, standardizer, checksum).
/// </summary>
public sealed class SvmPackagedModel : IPackagedModel
{
    /// <summary>The registration of the <c>svm</c> kind.</summary>
    public static PackagedModelKind Registration { get; } = new("svm", Wrap, Load);

    public SvmPackagedModel(SvmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.FeatureNames.SequenceEqual(HandcraftedFeatures.Names, StringComparer.Ordinal))
        {
            throw new InvalidDataException(
                $"the SVM was trained on {model.FeatureNames.Count} features that differ from the {HandcraftedFeatures.Count} handcrafted features this build extracts");
        }
        Model = model;
    }

    /// <summary>The wrapped SVM (owned).</summary>
    public SvmModel Model { get; }

    public string Kind => Registration.Kind;

    public IReadOnlyList<string> ClassNames => Model.ClassNames;

    public PackagePreprocessing Preprocessing { get; } = new()
    {
        InputMode = "features",
        Normalisation = "handcrafted features z-scored by the training standardizer (in svm-model.json)",
    };

    public void WritePayload(string directory) => Model.Save(directory);

    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(images);
        var result = new double[images.Count][];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, images.Count, parallel, i =>
        {
            var image = images[i];
            result[i] = Model.PredictProbabilities(HandcraftedFeatures.Extract(image.Image, image.Mask));
        });
        return result;
    }

    public void Dispose() => Model.Dispose();

    static SvmPackagedModel Wrap(ITrainedModel trained) => trained is SvmModel svm
        ? new SvmPackagedModel(svm)
        : throw new ArgumentException($"The svm kind packages an SvmModel, not a {trained.GetType().Name}.", nameof(trained));

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
            return new SvmPackagedModel(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
