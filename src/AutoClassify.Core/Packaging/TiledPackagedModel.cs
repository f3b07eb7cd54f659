using System.Globalization;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// A packaged learner on tiles that reads whole images: it cuts each image into its tiles, predicts them and
/// aggregates them (<see cref="PackagePredictor.PredictPrepared"/>). It is the form of a tiled AutoML pipeline inside
/// an ensemble, whose other members read whole images; its payload is the learner's, and its tiling goes into the
/// ensemble's index. It owns the learner.
/// </summary>
public sealed class TiledPackagedModel : IPackagedModel
{
    /// <summary>Wraps <paramref name="inner"/> (taking ownership), a learner on tiles of <paramref name="tiling"/>.</summary>
    public TiledPackagedModel(IPackagedModel inner, PackageTiling tiling)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(tiling);
        if (ModelPackageManifest.TilingProblem(tiling) is { } problem)
            throw new ArgumentException(problem, nameof(tiling));
        Inner = inner;
        Tiling = tiling;
    }

    /// <summary>The learner on tiles (owned).</summary>
    public IPackagedModel Inner { get; }

    public PackageTiling Tiling { get; }

    public string Kind => Inner.Kind;

    public IReadOnlyList<string> ClassNames => Inner.ClassNames;

    public PackagePreprocessing Preprocessing => Inner.Preprocessing with
    {
        Tiling = Tiling,
        Normalisation = string.Create(CultureInfo.InvariantCulture,
            $"tiles of {Tiling.ToSpec()} px, each: {Inner.Preprocessing.Normalisation}; an image's tiles combined by their {Tiling.Aggregation}"),
    };

    public void WritePayload(string directory) => Inner.WritePayload(directory);

    /// <summary>
    /// Each image's tiles aggregated; an image smaller than a tile is read as one tile of its shorter side, as the search
    /// that chose this pipeline read it.
    /// </summary>
    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(images);
        var result = new double[images.Count][];
        var fits = Enumerable.Range(0, images.Count).Where(i => images[i].Image.Width >= Tiling.Size && images[i].Image.Height >= Tiling.Size).ToArray();
        var rows = PackagePredictor.PredictPrepared(Inner, Tiling, fits.Select(i => images[i]).ToArray(), threads);
        for (var n = 0; n < fits.Length; n++)
            result[fits[n]] = rows[n];
        for (var i = 0; i < images.Count; i++)
        {
            if (result[i] is not null)
                continue;
            var side = Math.Max(8, Math.Min(images[i].Image.Width, images[i].Image.Height));
            result[i] = PackagePredictor.PredictPrepared(Inner, Tiling with { Size = side, Stride = side }, [images[i]], threads)[0];
        }
        return result;
    }

    public void Dispose() => Inner.Dispose();
}
