using System.IO.Compression;
using System.Text.Json;
using AutoClassify.Features;
using AutoClassify.IO;
using AutoClassify.Models;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.MLNet;

/// <summary>
/// A fitted ML.NET baseline: the training fold's <see cref="Features.Standardizer"/>, then ML.NET's transformer
/// (a multiclass prediction transformer) over the classes the training fold held. Classes the fold lacked get
/// probability 0. The predicted class is the argmax of the probabilities, as for every model.
/// </summary>
public sealed class MLNetModel : ITrainedModel
{
    /// <summary>ML.NET's own model file inside a saved model directory (<c>MLContext.Model.Save</c>).</summary>
    public const string ModelFileName = "model.zip";

    /// <summary>Learner, feature set and names, standardizer and the classes the model was trained on.</summary>
    public const string MetadataFileName = "mlnet-model.json";

    const int FormatVersion = 1;

    // An ML.NET model zip holds a handful of small entries per transformer; these bound what Load will inflate.
    const int MaxModelEntries = 256;
    const long MaxModelBytes = 1L << 30;

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    readonly MLContext context;
    readonly ITransformer transformer;
    readonly DataViewSchema inputSchema;
    readonly Lock gate = new();

    internal MLNetModel(MLContext context, ITransformer transformer, DataViewSchema inputSchema, string learner, Standardizer standardizer,
        IReadOnlyList<string> classNames, IReadOnlyList<int> trainedClasses, IReadOnlyList<string> featureNames, FeatureSet featureSet,
        TrainingSummary summary)
    {
        if (standardizer.Dimension != featureNames.Count)
            throw new ArgumentException($"The standardizer has {standardizer.Dimension} features but {featureNames.Count} feature names are given.");
        if (trainedClasses.Count < 2 || trainedClasses.Any(k => k < 0 || k >= classNames.Count) || trainedClasses.Distinct().Count() != trainedClasses.Count)
            throw new ArgumentException($"The trained classes ({string.Join(", ", trainedClasses)}) are not distinct classes among {classNames.Count}.");
        this.context = context;
        this.transformer = transformer;
        this.inputSchema = inputSchema;
        Learner = learner;
        Standardizer = standardizer;
        ClassNames = [.. classNames];
        TrainedClasses = [.. trainedClasses];
        FeatureNames = [.. featureNames];
        FeatureSet = featureSet;
        Summary = summary;
    }

    /// <summary>The learner's name (<see cref="MLNetLearner.Name"/>).</summary>
    public string Learner { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The class index of each of the ML.NET model's score slots.</summary>
    public IReadOnlyList<int> TrainedClasses { get; }

    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>How the feature rows are computed from an image.</summary>
    public FeatureSet FeatureSet { get; }

    public Standardizer Standardizer { get; }

    /// <summary>The input the model reads: the handcrafted or the whole-field features.</summary>
    public ModelInput Input => FeatureSet.Name == FeatureSet.FieldName ? ModelInput.FieldFeatures : ModelInput.Features;

    /// <summary>The catalog name: the learner's, with <c>-field</c> on whole-field features.</summary>
    public string Kind => MLNetTrainer.KindName(Learner, Input);

    public TrainingSummary Summary { get; }

    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        var features = data.FeaturesFor(Input) ?? throw new ArgumentException($"{Kind} reads TrainingData.{Input}, which is null.", nameof(data));
        if (!features.Names.SequenceEqual(FeatureNames, StringComparer.Ordinal))
            throw new ArgumentException($"The model was trained on {FeatureNames.Count} features but the data has {features.Dimension} different ones.", nameof(data));
        return PredictRaw(Standardizer.Transform(features.Rows, indices));
    }

    /// <summary>Class probabilities of unstandardized feature rows.</summary>
    public double[][] PredictProbabilities(IReadOnlyList<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var standardized = new double[rows.Count][];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != FeatureNames.Count)
                throw new ArgumentException($"Row {i} has {rows[i].Length} features; the model reads {FeatureNames.Count}.", nameof(rows));
            standardized[i] = Standardizer.Transform(rows[i]);
        }
        return PredictRaw(standardized);
    }

    double[][] PredictRaw(double[][] standardized)
    {
        if (standardized.Length == 0)
            return [];
        double[][] scores;
        // MLContext and its transformers are not documented as thread-safe; packaged prediction runs batches in parallel.
        lock (gate)
        {
            var view = MLNetData.Load(context, standardized, FeatureNames.Count, null, null);
            scores = MLNetData.ReadScores(transformer.Transform(view), TrainedClasses.Count);
        }
        var result = new double[scores.Length][];
        for (var i = 0; i < scores.Length; i++)
        {
            result[i] = new double[ClassNames.Count];
            for (var p = 0; p < TrainedClasses.Count; p++)
                result[i][TrainedClasses[p]] = scores[i][p];
        }
        return result;
    }

    /// <summary>
    /// Writes <see cref="ModelFileName"/> (ML.NET's own model, with its input schema) and <see cref="MetadataFileName"/>
    /// into <paramref name="directory"/>, each atomically. Loading gives identical probabilities.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        lock (gate)
            AtomicFile.Write(Path.Combine(directory, ModelFileName), stream => context.Model.Save(transformer, inputSchema, stream));
        var metadata = new MetadataFile
        {
            Format = FormatVersion,
            Learner = Learner,
            ClassNames = ClassNames,
            TrainedClasses = TrainedClasses,
            FeatureNames = FeatureNames,
            FeatureSet = FeatureSet.Name,
            NmPerPixel = FeatureSet.NmPerPixel,
            Standardizer = Standardizer,
            Facts = new SortedDictionary<string, string>(Summary.Facts, StringComparer.Ordinal),
        };
        AtomicFile.WriteAllText(Path.Combine(directory, MetadataFileName), JsonSerializer.Serialize(metadata, Json));
    }

    /// <summary>
    /// Reads a model written by <see cref="Save"/>. ML.NET rebuilds its transformer from the zip's data through its
    /// own registered component loaders: the file holds no code, and nothing in it is executed. The zip's entries
    /// are checked first (count, sizes, names), and the loaded model must read exactly the recorded feature vector
    /// and score exactly the recorded classes, else it is refused.
    /// </summary>
    public static MLNetModel Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var metadataPath = Path.GetFullPath(Path.Combine(directory, MetadataFileName));
        var modelPath = Path.GetFullPath(Path.Combine(directory, ModelFileName));
        if (!File.Exists(metadataPath))
            throw new FileNotFoundException($"ML.NET model metadata '{metadataPath}' does not exist.", metadataPath);
        MetadataFile metadata;
        try
        {
            metadata = JsonSerializer.Deserialize<MetadataFile>(File.ReadAllText(metadataPath), Json)
                ?? throw new InvalidDataException($"'{metadataPath}' is empty.");
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"'{metadataPath}' is not valid ML.NET model metadata: {ex.Message}", ex);
        }
        if (metadata.Format != FormatVersion)
            throw new InvalidDataException($"'{metadataPath}' has format {metadata.Format}; this version reads format {FormatVersion}.");
        if (metadata.Learner is null || MLNetLearner.Find(metadata.Learner) is null)
            throw new InvalidDataException($"'{metadataPath}' names learner '{metadata.Learner}', which this build does not know.");
        if (metadata.ClassNames is null || metadata.TrainedClasses is null || metadata.FeatureNames is null || metadata.Standardizer is null || metadata.FeatureSet is null)
            throw new InvalidDataException($"'{metadataPath}' lacks class names, trained classes, feature names, feature set or the standardizer.");
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"ML.NET model file '{modelPath}' does not exist.", modelPath);
        CheckZip(modelPath);

        FeatureSet featureSet;
        try
        {
            featureSet = FeatureSet.Parse(metadata.FeatureSet, metadata.NmPerPixel);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"'{metadataPath}': {ex.Message}", ex);
        }
        var context = new MLContext(seed: 0);
        ITransformer transformer;
        DataViewSchema schema;
        try
        {
            using var stream = File.OpenRead(modelPath);
            transformer = context.Model.Load(stream, out schema);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{modelPath}' is not an ML.NET model this build can read: {ex.Message}", ex);
        }
        var features = schema.GetColumnOrNull(MLNetLearner.FeaturesColumn);
        if (features?.Type is not VectorDataViewType { ItemType: var item, Size: var size } || item != NumberDataViewType.Single || size != metadata.FeatureNames.Count)
            throw new InvalidDataException($"'{modelPath}' does not read a vector of {metadata.FeatureNames.Count} features, as '{metadataPath}' records.");
        var output = transformer.GetOutputSchema(schema).GetColumnOrNull(MLNetLearner.ScoreColumn);
        if (output?.Type is not VectorDataViewType { Size: var width } || width != metadata.TrainedClasses.Count)
            throw new InvalidDataException($"'{modelPath}' does not score the {metadata.TrainedClasses.Count} classes '{metadataPath}' records.");
        var summary = new TrainingSummary();
        foreach (var (key, value) in metadata.Facts ?? new Dictionary<string, string>())
            summary.Facts[key] = value;
        try
        {
            return new MLNetModel(context, transformer, schema, metadata.Learner, metadata.Standardizer, metadata.ClassNames, metadata.TrainedClasses,
                metadata.FeatureNames, featureSet, summary);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"'{metadataPath}' does not fit '{modelPath}': {ex.Message}", ex);
        }
    }

    /// <summary>Nothing native to free; the model lives in managed memory.</summary>
    public void Dispose()
    {
    }

    static void CheckZip(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            if (zip.Entries.Count > MaxModelEntries)
                throw new InvalidDataException($"'{path}' holds {zip.Entries.Count} entries; an ML.NET model holds at most {MaxModelEntries}.");
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                var segments = entry.FullName.Split('/', '\\');
                if (entry.FullName.StartsWith('/') || segments.Contains(".."))
                    throw new InvalidDataException($"'{path}' has an entry '{entry.FullName}' that leaves the archive.");
                total += entry.Length;
                if (entry.Length < 0 || total > MaxModelBytes)
                    throw new InvalidDataException($"'{path}' declares more than {MaxModelBytes} uncompressed bytes.");
            }
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith('\''))
        {
            throw new InvalidDataException($"'{path}' is not a readable zip file: {ex.Message}", ex);
        }
    }

    sealed class MetadataFile
    {
        public int Format { get; init; }
        public string? Learner { get; init; }
        public IReadOnlyList<string>? ClassNames { get; init; }
        public IReadOnlyList<int>? TrainedClasses { get; init; }
        public IReadOnlyList<string>? FeatureNames { get; init; }
        public string? FeatureSet { get; init; }
        public double? NmPerPixel { get; init; }
        public Standardizer? Standardizer { get; init; }
        public IDictionary<string, string>? Facts { get; init; }
    }
}
