using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// A fitted pixel forest in a package (model kind <c>pixel-forest</c>), with the classifiers' manifest, hashes,
/// provenance and safe loading. Payload: <see cref="PixelForestSegmenter.ForestFile"/> (OpenCV's YAML, checked node by
/// node when read) and <see cref="PixelForestSegmenter.InfoFile"/> (feature-bank scales and output scheme). It labels
/// pixels, not images: <see cref="PredictProbabilities"/> refuses with a message saying so.
/// </summary>
public sealed class PixelForestPackagedModel : IPackagedModel
{
    /// <summary>The registration of the <c>pixel-forest</c> kind.</summary>
    public static PackagedModelKind Registration { get; } = new("pixel-forest", Wrap, Load);

    /// <summary>Wraps a fitted pixel forest; the packaged model owns and disposes it.</summary>
    public PixelForestPackagedModel(PixelForestSegmenter segmenter)
    {
        ArgumentNullException.ThrowIfNull(segmenter);
        Segmenter = segmenter;
    }

    /// <summary>The segmenter (owned).</summary>
    public PixelForestSegmenter Segmenter { get; }

    public string Kind => Segmenter.Info.Model;

    public IReadOnlyList<string> ClassNames => Segmenter.Info.ClassNames;

    public PackagePreprocessing Preprocessing => new()
    {
        InputMode = "whole-image",
        Normalisation = string.Create(CultureInfo.InvariantCulture,
            $"none; pixel features at scales {string.Join(", ", Segmenter.Info.Scales.Select(s => s.ToString("0.##", CultureInfo.InvariantCulture)))} px"),
        Masks = "predicted by the model",
    };

    public void WritePayload(string directory) => Segmenter.Save(directory);

    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads) =>
        throw new InvalidOperationException($"'{Kind}' is a segmentation model: it labels pixels, not whole images. Use it with `segment --model`.");

    public void Dispose() => Segmenter.Dispose();

    static PixelForestPackagedModel Wrap(ITrainedModel trained) =>
        throw new ArgumentException($"A {trained?.GetType().Name} is an image classifier; pixel forests are packaged with new PixelForestPackagedModel(segmenter).", nameof(trained));

    static PixelForestPackagedModel Load(string directory, ModelPackageManifest manifest)
    {
        var segmenter = PixelForestSegmenter.Load(directory);
        try
        {
            if (!segmenter.Info.ClassNames.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
                throw new InvalidDataException("the pixel-forest payload's classes differ from the manifest's");
            return new PixelForestPackagedModel(segmenter);
        }
        catch
        {
            segmenter.Dispose();
            throw;
        }
    }
}
