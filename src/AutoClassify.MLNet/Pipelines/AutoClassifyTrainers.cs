using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Preprocessing;
using Microsoft.ML;

namespace AutoClassify.MLNet;

/// <summary>AutoClassify's trainers in ML.NET's multiclass catalog: <c>mlContext.MulticlassClassification.Trainers.LibSvm(…)</c>.</summary>
public static class AutoClassifyTrainersCatalog
{
    /// <summary>
    /// LIBSVM's C-SVC with an RBF kernel on a feature vector column, as the CLI's <c>svm</c>: features standardised
    /// and C and γ tuned by inner cross-validation, both inside the data it is fitted on; classes weighted by inverse
    /// frequency. The label must be a key (<c>MapValueToKey</c>).
    /// </summary>
    public static LibSvmEstimator LibSvm(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = AutoClassifyColumns.Label, string featureColumnName = AutoClassifyColumns.Features, int seed = 1, int threads = 0) =>
        LibSvm(catalog, new SvmOptions(), labelColumnName, featureColumnName, seed, threads);

    /// <summary>LIBSVM with every setting of the CLI's SVM (kernel, grids, inner folds, class weights).</summary>
    public static LibSvmEstimator LibSvm(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, SvmOptions options,
        string labelColumnName = AutoClassifyColumns.Label, string featureColumnName = AutoClassifyColumns.Features, int seed = 1, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new LibSvmEstimator(options, labelColumnName, featureColumnName, seed, threads);
    }

    /// <summary>
    /// A LipNet CNN (libtorch) trained on the images themselves, as the CLI's <c>lipnet4</c> etc.: early stopping on a
    /// stratified validation split of the data it is fitted on. The label must be a key (<c>MapValueToKey</c>).
    /// </summary>
    public static LipNetEstimator LipNet(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = AutoClassifyColumns.Label, string imageColumnName = AutoClassifyColumns.ImagePath,
        string? maskColumnName = AutoClassifyColumns.MaskPath, string model = CnnOptions.Defaults.Model, int maxEpochs = CnnOptions.Defaults.MaxEpochs,
        int seed = 1) =>
        LipNet(catalog, new CnnOptions { Model = model, MaxEpochs = maxEpochs }, labelColumnName, imageColumnName, maskColumnName, seed);

    /// <summary>A LipNet with every setting of the CLI's CNN regime (model, size, epochs, augmentation, threads, device).</summary>
    public static LipNetEstimator LipNet(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CnnOptions options,
        string labelColumnName = AutoClassifyColumns.Label, string imageColumnName = AutoClassifyColumns.ImagePath,
        string? maskColumnName = AutoClassifyColumns.MaskPath, int seed = 1, ImagePreparationOptions? preparation = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new LipNetEstimator(options, labelColumnName, imageColumnName, maskColumnName, seed, preparation ?? new ImagePreparationOptions());
    }
}

/// <summary>Fits <see cref="SvmTrainer"/> on a label key column and a feature vector column.</summary>
public sealed class LibSvmEstimator : IEstimator<AutoClassifyTransformer>
{
    readonly SvmOptions options;
    readonly string label;
    readonly string features;
    readonly int seed;
    readonly int threads;

    internal LibSvmEstimator(SvmOptions options, string label, string features, int seed, int threads)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentException.ThrowIfNullOrWhiteSpace(features);
        this.options = options;
        this.label = label;
        this.features = features;
        this.seed = seed;
        this.threads = threads;
    }

    public AutoClassifyTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (labels, classes) = DataViewColumns.ReadLabels(input, label);
        var (rows, names) = DataViewColumns.ReadVectors(input, features);
        var data = new TrainingData { ClassNames = classes, Labels = labels, Features = new FeatureMatrix(names, rows) };
        var trainer = new SvmTrainer(options);
        var model = trainer.Train(data, [.. Enumerable.Range(0, labels.Length)], new TrainingContext { Seed = seed, Threads = threads });
        try
        {
            var gate = new Lock();
            var inputSchema = RowMapping.Schema<RowMapping.FeatureInput>((nameof(RowMapping.FeatureInput.Features), features));
            var mapping = RowMapping.Estimator<RowMapping.FeatureInput, RowMapping.Prediction>(new MLContext(seed).Transforms, (row, result) =>
            {
                if (row.Features.Length != names.Length)
                    throw new InvalidDataException($"Column '{features}' has {row.Features.Length} values; the model was fitted on {names.Length}.");
                var one = new TrainingData { ClassNames = classes, Labels = [0], Features = new FeatureMatrix(names, [[.. row.Features.Select(v => (double)v)]]) };
                double[] probabilities;
                lock (gate)
                    probabilities = model.PredictProbabilities(one, [0])[0];
                (result.Score, result.PredictedLabel) = RowMapping.ToScore(probabilities);
            }, inputSchema, RowMapping.PredictionSchema<RowMapping.Prediction>(classes, AutoClassifyColumns.Score, AutoClassifyColumns.PredictedLabel)).Fit(input);
            return new AutoClassifyTransformer(trainer.Name, classes, mapping, model, model.Summary.Facts);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        RequireKey(inputSchema, label);
        return RowMapping.Estimator<RowMapping.FeatureInput, RowMapping.Prediction>(new MLContext().Transforms, (_, _) => { },
            RowMapping.Schema<RowMapping.FeatureInput>((nameof(RowMapping.FeatureInput.Features), features)),
            RowMapping.PredictionSchema<RowMapping.Prediction>(["class"], AutoClassifyColumns.Score, AutoClassifyColumns.PredictedLabel)).GetOutputSchema(inputSchema);
    }

    internal static void RequireKey(SchemaShape schema, string column)
    {
        var found = schema.Where(c => c.Name == column).ToList();
        if (found.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{column}' not found.");
        if (!found[0].IsKey)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{column}' is not a key; append mlContext.Transforms.Conversion.MapValueToKey(\"{column}\") first.");
    }
}

/// <summary>Fits a LipNet (<see cref="CnnTrainer"/>) on a label key column and an image path column.</summary>
public sealed class LipNetEstimator : IEstimator<AutoClassifyTransformer>
{
    readonly CnnOptions options;
    readonly string label;
    readonly string image;
    readonly string? mask;
    readonly int seed;
    readonly ImagePreparationOptions preparation;

    internal LipNetEstimator(CnnOptions options, string label, string image, string? mask, int seed, ImagePreparationOptions preparation)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        this.options = options;
        this.label = label;
        this.image = image;
        this.mask = mask;
        this.seed = seed;
        this.preparation = preparation;
    }

    public AutoClassifyTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (labels, classes) = DataViewColumns.ReadLabels(input, label);
        var images = DataViewColumns.ReadText(input, image);
        var masks = mask is null ? new string[images.Length] : DataViewColumns.ReadText(input, mask);
        var prepared = new PreparedImage[images.Length];
        Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount },
            i => prepared[i] = preparation.Prepare(images[i], masks[i]));
        var data = TrainingData.FromPrepared(classes, labels, prepared, [ModelInput.Images], threads: 1);
        var trainer = CnnTrainer.Create(options.Model, options);
        var model = trainer.Train(data, [.. Enumerable.Range(0, labels.Length)], new TrainingContext { Seed = seed, Threads = options.Threads });
        try
        {
            var gate = new Lock();
            var mapping = ImageMapping.Estimator(new MLContext(seed).Transforms, image, mask, classes, (imagePath, maskPath) =>
            {
                var one = preparation.Prepare(imagePath, maskPath);
                var single = TrainingData.FromPrepared(classes, [0], [one], [ModelInput.Images], threads: 1);
                lock (gate)
                    return model.PredictProbabilities(single, [0])[0];
            }).Fit(input);
            return new AutoClassifyTransformer(trainer.Name, classes, mapping, model, model.Summary.Facts);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        LibSvmEstimator.RequireKey(inputSchema, label);
        return ImageMapping.Estimator(new MLContext().Transforms, image, mask, ["class"], (_, _) => []).GetOutputSchema(inputSchema);
    }
}
