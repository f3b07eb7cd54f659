using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using AutoClassify.Features;
using AutoClassify.IO;
using AutoClassify.Native;

namespace AutoClassify.Models.Svm;

/// <summary>
/// A fitted SVM: the training fold's <see cref="Features.Standardizer"/> followed by a LIBSVM RBF C-SVC
/// with Platt-scaled one-vs-one probability estimates.
/// <para>
/// Decision rule: the predicted class is the argmax of <see cref="PredictProbabilities(ReadOnlySpan{double})"/>
/// (LIBSVM's <c>svm_predict_probability</c>, pairwise coupling), ties going to the lowest class index.
/// This can differ from LIBSVM's one-vs-one vote (<c>svm_predict</c>) on borderline items; the report
/// states the probability argmax.
/// </para>
/// </summary>
public sealed class SvmModel : ITrainedModel
{
    /// <summary>LIBSVM's model text inside a saved model directory.</summary>
    public const string LibSvmFileName = "svm-model.libsvm";

    /// <summary>Standardizer, class and feature names, and a checksum of the LIBSVM file.</summary>
    public const string MetadataFileName = "svm-model.json";

    const int FormatVersion = 1;

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    // Rows scaled and predicted together by the dense path: bounds its buffers for any batch size.
    const int DenseBlock = 256;

    readonly LibSvmModel native;
    readonly DenseSvmPredictor? dense;
    readonly int[] positionOfClass;

    internal SvmModel(LibSvmModel native, Standardizer standardizer, IReadOnlyList<string> classNames,
        IReadOnlyList<string> featureNames, double c, double gamma, TrainingSummary summary, FeatureSet? featureSet = null)
    {
        if (standardizer.Dimension != featureNames.Count)
            throw new ArgumentException($"The standardizer has {standardizer.Dimension} features but {featureNames.Count} feature names are given.");
        FeatureSet = featureSet ?? FeatureSet.Handcrafted;
        this.native = native;
        Standardizer = standardizer;
        ClassNames = classNames.ToArray();
        FeatureNames = featureNames.ToArray();
        C = c;
        Gamma = gamma;
        Summary = summary;
        positionOfClass = Enumerable.Repeat(-1, ClassNames.Count).ToArray();
        for (var p = 0; p < native.Labels.Count; p++)
        {
            var label = native.Labels[p];
            if (label < 0 || label >= ClassNames.Count)
                throw new InvalidDataException($"The LIBSVM model knows class label {label}, but there are only {ClassNames.Count} class names.");
            positionOfClass[label] = p;
        }
        dense = native.HasProbabilityModel ? DenseSvmPredictor.TryCreate(native.ReadContents(standardizer.Dimension)) : null;
        if (dense is { HasProbabilities: false })
            dense = null;
    }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>How the model's feature rows are computed from an image (handcrafted or whole-field, and at which scale).</summary>
    public FeatureSet FeatureSet { get; }

    /// <summary>The <see cref="TrainingData"/> matrix the model reads: <see cref="ModelInput.Features"/> or <see cref="ModelInput.FieldFeatures"/>.</summary>
    public ModelInput Input => FeatureSet.Name == FeatureSet.FieldName ? ModelInput.FieldFeatures : ModelInput.Features;

    /// <summary>Names of the features the model expects, in order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Z-scoring fitted on the training rows; applied to every row before LIBSVM sees it.</summary>
    public Standardizer Standardizer { get; }

    public double C { get; }

    public double Gamma { get; }

    public int SupportVectorCount => native.SupportVectorCount;

    /// <summary>Class indices that had training items (LIBSVM cannot predict the others; they get probability 0).</summary>
    public IReadOnlyList<int> TrainedClasses => native.Labels;

    public TrainingSummary Summary { get; }

    /// <inheritdoc/>
    /// <remarks>Both prediction paths only read the model; each call has its own buffers.</remarks>
    public bool ConcurrentPrediction => true;

    /// <summary>
    /// True when probabilities come from the dense path (RBF or linear C-SVC with probability estimates: the kernel
    /// rows as dense dot products, then LIBSVM's own decision values, sigmoids and coupling; they differ from
    /// <c>svm_predict_probability</c>'s by rounding only, about 1e-12); false when LIBSVM predicts each row itself.
    /// </summary>
    public bool DensePrediction => dense is not null;

    /// <summary>Class probabilities of one raw (unscaled) feature row: entry k is class k, the entries sum to 1.</summary>
    public double[] PredictProbabilities(ReadOnlySpan<double> features)
    {
        var scaled = new double[Standardizer.Dimension];
        Standardizer.Transform(features, scaled);
        Span<double> pairwise = stackalloc double[native.ClassCount];
        if (dense is null)
        {
            native.PredictProbability(scaled, pairwise);
        }
        else
        {
            ToLibSvmPrecision(scaled);
            dense.PredictProbabilities(scaled, pairwise);
        }
        return ByClass(pairwise);
    }

    /// <inheritdoc/>
    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices) =>
        PredictProbabilities(data, indices, libSvm: false);

    /// <summary>As the public overload; with <paramref name="libSvm"/>, LIBSVM predicts every row even where the dense path would.</summary>
    internal double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices, bool libSvm)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        var features = CheckFeatures(data);
        var result = new double[indices.Count][];
        if (dense is null || libSvm)
        {
            var row = new double[Standardizer.Dimension];
            var labelOrder = new double[native.ClassCount];
            for (var i = 0; i < indices.Count; i++)
            {
                Standardizer.Transform(features.Rows[CheckItem(indices[i], features)], row);
                native.PredictProbability(row, labelOrder);
                result[i] = ByClass(labelOrder);
            }
            return result;
        }

        var dimension = Standardizer.Dimension;
        var classes = native.ClassCount;
        var scaled = new double[Math.Min(DenseBlock, indices.Count) * dimension];
        var pairwise = new double[Math.Min(DenseBlock, indices.Count) * classes];
        for (var first = 0; first < indices.Count; first += DenseBlock)
        {
            var rows = Math.Min(DenseBlock, indices.Count - first);
            for (var i = 0; i < rows; i++)
            {
                var row = scaled.AsSpan(i * dimension, dimension);
                Standardizer.Transform(features.Rows[CheckItem(indices[first + i], features)], row);
                ToLibSvmPrecision(row);
            }
            dense.PredictProbabilities(scaled.AsSpan(0, rows * dimension), pairwise.AsSpan(0, rows * classes));
            for (var i = 0; i < rows; i++)
                result[first + i] = ByClass(pairwise.AsSpan(i * classes, classes));
        }
        return result;
    }

    static int CheckItem(int item, FeatureMatrix features) => item >= 0 && item < features.Count
        ? item
        : throw new ArgumentOutOfRangeException(nameof(item), item, $"Item index outside the {features.Count} feature rows.");

    // The dense path must see exactly the values LIBSVM's nodes would hold.
    static void ToLibSvmPrecision(Span<double> row)
    {
        for (var j = 0; j < row.Length; j++)
        {
            if (!double.IsFinite(row[j]))
                throw new ArgumentException($"Feature value {row[j]} is not finite; LIBSVM needs finite values.", nameof(row));
            row[j] = LibSvm.Quantize(row[j]);
        }
    }

    // LIBSVM's label order to class indices; pairwise coupling stops at a tolerance, so its estimates only nearly sum to 1.
    double[] ByClass(ReadOnlySpan<double> pairwise)
    {
        var sum = 0.0;
        foreach (var p in pairwise)
            sum += p;
        var result = new double[ClassNames.Count];
        for (var k = 0; k < result.Length; k++)
            result[k] = positionOfClass[k] < 0 ? 0 : pairwise[positionOfClass[k]] / sum;
        return result;
    }

    /// <summary>The predicted class index of one raw feature row: the argmax of its probabilities.</summary>
    public int Predict(ReadOnlySpan<double> features) => ArgMax(PredictProbabilities(features));

    /// <summary>The decision rule: index of the largest probability, the lowest index on ties.</summary>
    public static int ArgMax(ReadOnlySpan<double> probabilities)
    {
        if (probabilities.IsEmpty)
            throw new ArgumentException("No probabilities.", nameof(probabilities));
        var best = 0;
        for (var k = 1; k < probabilities.Length; k++)
        {
            if (probabilities[k] > probabilities[best])
                best = k;
        }
        return best;
    }

    /// <summary>
    /// Writes <see cref="LibSvmFileName"/> (LIBSVM's own text, readable by <c>svm-predict</c> on
    /// standardized rows) and <see cref="MetadataFileName"/> into <paramref name="directory"/>, each
    /// atomically; the metadata carries the model file's SHA-256, so <see cref="Load"/> rejects a
    /// mismatched pair. Loading gives bit-identical probabilities.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var modelPath = Path.Combine(directory, LibSvmFileName);
        native.Save(modelPath);
        var metadata = new SvmModelFile
        {
            Format = FormatVersion,
            ClassNames = ClassNames,
            FeatureNames = FeatureNames,
            FeatureSet = FeatureSet.Name,
            NmPerPixel = FeatureSet.NmPerPixel,
            Standardizer = Standardizer,
            C = C,
            Gamma = Gamma,
            LibSvmSha256 = Sha256(modelPath),
            Facts = new SortedDictionary<string, string>(Summary.Facts, StringComparer.Ordinal),
        };
        AtomicFile.WriteAllText(Path.Combine(directory, MetadataFileName), JsonSerializer.Serialize(metadata, Json));
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    public static SvmModel Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var metadataPath = Path.GetFullPath(Path.Combine(directory, MetadataFileName));
        var modelPath = Path.GetFullPath(Path.Combine(directory, LibSvmFileName));
        if (!File.Exists(metadataPath))
            throw new FileNotFoundException($"SVM model metadata '{metadataPath}' does not exist.", metadataPath);

        SvmModelFile metadata;
        try
        {
            metadata = JsonSerializer.Deserialize<SvmModelFile>(File.ReadAllText(metadataPath), Json)
                ?? throw new InvalidDataException($"'{metadataPath}' is empty.");
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"'{metadataPath}' is not valid SVM model metadata: {ex.Message}", ex);
        }
        if (metadata.Format != FormatVersion)
            throw new InvalidDataException($"'{metadataPath}' has format {metadata.Format}; this version reads format {FormatVersion}.");
        if (metadata.ClassNames is null || metadata.FeatureNames is null || metadata.Standardizer is null)
            throw new InvalidDataException($"'{metadataPath}' lacks class names, feature names or the standardizer.");
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"LIBSVM model file '{modelPath}' does not exist.", modelPath);
        if (!string.Equals(Sha256(modelPath), metadata.LibSvmSha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{modelPath}' does not match the checksum in '{metadataPath}'; one of the two files was replaced.");

        var native = LibSvmModel.Load(modelPath);
        try
        {
            if (!native.HasProbabilityModel)
                throw new InvalidDataException($"'{modelPath}' has no probability model (trained without -b 1).");
            var summary = new TrainingSummary();
            foreach (var (key, value) in metadata.Facts ?? new Dictionary<string, string>())
                summary.Facts[key] = value;
            // Models saved before whole-field features existed name no set: they are handcrafted.
            var featureSet = FeatureSet.Parse(metadata.FeatureSet ?? FeatureSet.HandcraftedName, metadata.NmPerPixel);
            return new SvmModel(native, metadata.Standardizer, metadata.ClassNames, metadata.FeatureNames, metadata.C, metadata.Gamma, summary, featureSet);
        }
        catch (Exception ex) when (ex is ArgumentException)
        {
            native.Dispose();
            throw new InvalidDataException($"'{metadataPath}' does not fit '{modelPath}': {ex.Message}", ex);
        }
        catch
        {
            native.Dispose();
            throw;
        }
    }

    public void Dispose() => native.Dispose();

    FeatureMatrix CheckFeatures(TrainingData data)
    {
        var features = data.FeaturesFor(Input)
            ?? throw new ArgumentException($"The SVM reads TrainingData.{Input}, which is null.", nameof(data));
        if (!features.Names.SequenceEqual(FeatureNames, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"The model was trained on {FeatureNames.Count} features ({Preview(FeatureNames)}) but the data has {features.Dimension} ({Preview(features.Names)}).",
                nameof(data));
        }
        return features;
    }

    static string Preview(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(4)) + (names.Count > 4 ? ", ..." : "");

    static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>Formats a number for <see cref="TrainingSummary.Facts"/>.</summary>
    internal static string Invariant(double value, string format = "G6") => value.ToString(format, CultureInfo.InvariantCulture);

    sealed class SvmModelFile
    {
        public int Format { get; init; }
        public IReadOnlyList<string>? ClassNames { get; init; }
        public IReadOnlyList<string>? FeatureNames { get; init; }
        public string? FeatureSet { get; init; }
        public double? NmPerPixel { get; init; }
        public Standardizer? Standardizer { get; init; }
        public double C { get; init; }
        public double Gamma { get; init; }
        public string? LibSvmSha256 { get; init; }
        public IDictionary<string, string>? Facts { get; init; }
    }
}
