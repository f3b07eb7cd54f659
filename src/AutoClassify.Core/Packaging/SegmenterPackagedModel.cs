using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// A trained U-Net segmenter in a package (model kinds <c>unet</c> and <c>resunet</c>), so it gets the classifiers'
/// manifest, hashes, provenance and safe loading. Payload: <see cref="UNetSegmenter.WeightsFile"/> (safetensors)
/// and <see cref="UNetSegmenter.InfoFile"/>, and with a size CNN (format 5) <see cref="UNetSegmenter.SizeWeightsFile"/>. It labels pixels, not images: <see cref="Segmenter"/> predicts, and the
/// image-level <see cref="PredictProbabilities"/> refuses with a message saying so.
/// </summary>
public sealed class SegmenterPackagedModel : IPackagedModel
{
    /// <summary>One registration per U-Net name.</summary>
    public static IReadOnlyList<PackagedModelKind> Registrations { get; } =
        [.. UNetTrainer.Names.Select(name => new PackagedModelKind(name, Wrap, Load))];

    /// <summary>Wraps a trained segmenter; the packaged model owns and disposes it.</summary>
    public SegmenterPackagedModel(UNetSegmenter segmenter)
    {
        ArgumentNullException.ThrowIfNull(segmenter);
        Segmenter = segmenter;
    }

    /// <summary>The segmenter (owned).</summary>
    public UNetSegmenter Segmenter { get; }

    public string Kind => Segmenter.Info.Model;

    public IReadOnlyList<string> ClassNames => Segmenter.Info.ClassNames;

    public PackagePreprocessing Preprocessing => new()
    {
        InputMode = "sliding-window",
        InputSize = Segmenter.Info.EffectiveTileSize,
        Normalisation = Segmenter.Info.LocalContrastSigma is { } sigma
            ? string.Create(CultureInfo.InvariantCulture, $"local contrast (sigma {sigma} px), then per-image mean and standard deviation")
            : "per-image mean and standard deviation",
        Masks = "predicted by the model",
    };

    public void WritePayload(string directory) => Segmenter.Save(directory);

    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads) =>
        throw new InvalidOperationException($"'{Kind}' is a segmentation model: it labels pixels, not whole images. Use it with `segment --model`.");

    public void Dispose() => Segmenter.Dispose();

    static SegmenterPackagedModel Wrap(ITrainedModel trained) =>
        throw new ArgumentException($"A {trained?.GetType().Name} is an image classifier; segmenters are packaged with new SegmenterPackagedModel(segmenter).", nameof(trained));

    static SegmenterPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var segmenter = UNetSegmenter.Load(directory);
        try
        {
            if (segmenter.Info.Model != manifest.ModelKind)
                throw new InvalidDataException($"the payload holds a {segmenter.Info.Model} but the manifest says {manifest.ModelKind}");
            if (!segmenter.Info.ClassNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
                throw new InvalidDataException("the segmenter payload's classes differ from the manifest's");
            return new SegmenterPackagedModel(segmenter);
        }
        catch
        {
            segmenter.Dispose();
            throw;
        }
    }
}
