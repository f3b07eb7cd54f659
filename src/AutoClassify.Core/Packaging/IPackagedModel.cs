using AutoClassify.Models;
using AutoClassify.Preprocessing;

namespace AutoClassify.Packaging;

/// <summary>
/// A fitted model as a package holds it: it writes its payload files and predicts from prepared
/// (decoded, cropped) images. Implementations: <see cref="SvmPackagedModel"/>; CNNs plug in through
/// <see cref="PackagedModelKinds.Register"/>.
/// </summary>
public interface IPackagedModel : IDisposable
{
    /// <summary>The manifest's model kind, e.g. <c>svm</c> or <c>lipnet4</c>.</summary>
    string Kind { get; }

    IReadOnlyList<string> ClassNames { get; }

    /// <summary>What the model reads and how it normalises it, for the manifest (the crop is filled in by the caller).</summary>
    PackagePreprocessing Preprocessing { get; }

    /// <summary>Writes the payload files, flat (no subfolders), into the empty <paramref name="directory"/>.</summary>
    void WritePayload(string directory);

    /// <summary>
    /// Class probabilities of each image (<c>result[i][k]</c>, rows sum to 1). Called from one thread at a
    /// time; the model may use up to <paramref name="threads"/> workers inside (0 = all cores).
    /// </summary>
    double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads);
}

/// <summary>How one model kind is trained into, and loaded from, a package.</summary>
/// <param name="Kind">The manifest's <c>model_kind</c> and the <see cref="ModelCatalog"/> name.</param>
/// <param name="Wrap">Turns the model a trainer returned into its packaged form (takes ownership).</param>
/// <param name="Load">Rebuilds the model from its extracted payload folder; throws on a bad payload.</param>
public sealed record PackagedModelKind(
    string Kind,
    Func<ITrainedModel, IPackagedModel> Wrap,
    Func<string, ModelPackageManifest, IPackagedModel> Load);

/// <summary>The model kinds a package may hold, keyed by <see cref="PackagedModelKind.Kind"/>.</summary>
public static class PackagedModelKinds
{
    static readonly Dictionary<string, PackagedModelKind> Kinds = new(StringComparer.Ordinal);
    static readonly Lock Gate = new();

    static PackagedModelKinds()
    {
        Register(SvmPackagedModel.Registration);
        Register(SvmPackagedModel.FieldRegistration);
        // A linear SVM is an SvmModel too; its package says svm and LIBSVM's file records the kernel.
        Register(SvmPackagedModel.Registration with { Kind = "svm-linear" });
        foreach (var cnn in CnnPackagedModel.Registrations)
            Register(cnn);
        foreach (var transfer in TransferPackagedModel.Registrations)
            Register(transfer);
        Register(AutoMlPackaging.Registration);
        Register(EnsemblePackagedModel.Registration);
        foreach (var segmenter in SegmenterPackagedModel.Registrations)
            Register(segmenter);
        Register(PixelForestPackagedModel.Registration);
    }

    /// <summary>Adds or replaces a kind.</summary>
    public static void Register(PackagedModelKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind.Kind);
        lock (Gate)
            Kinds[kind.Kind] = kind;
    }

    /// <summary>The registered kind, or null when this build cannot load it.</summary>
    public static PackagedModelKind? Find(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        lock (Gate)
            return Kinds.GetValueOrDefault(kind);
    }

    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate)
                return Kinds.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }
}
