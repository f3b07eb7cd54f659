using System.Globalization;
using AutoClassify.Features;

namespace AutoClassify.Models;

/// <summary>
/// Wraps a feature model so that missing feature values (NaN, e.g. extra features of an image the CSV has no row
/// for) are filled with that feature's mean over the training items that have it. The means come from the training
/// indices of each fit only, so nothing of a test fold leaks into its own imputation; the wrapped model's inner
/// search (the SVM's grid) then sees the outer training fold's means, which never touches the outer test fold.
/// A feature no training item has is filled with 0.
/// </summary>
public sealed class MeanImputingTrainer : IModelTrainer
{
    readonly IModelTrainer inner;

    public MeanImputingTrainer(IModelTrainer inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        this.inner = inner;
    }

    /// <summary>The wrapped model's name, so seeds, reports and checkpoints stay the same.</summary>
    public string Name => inner.Name;

    public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainIndices);
        var features = data.Features ?? throw new ArgumentException($"{inner.Name} needs a feature matrix, but TrainingData.Features is null.", nameof(data));
        var means = FitMeans(features, trainIndices);
        var model = inner.Train(Fill(data, means), trainIndices, context);
        var imputed = trainIndices.Count(i => features.Rows[i].Any(double.IsNaN));
        model.Summary.Facts["imputed_training_items"] = imputed.ToString(CultureInfo.InvariantCulture);
        return new ImputingModel(model, means);
    }

    /// <summary>Per feature, the mean over the rows of <paramref name="indices"/> where it is not NaN (0 where none is).</summary>
    public static double[] FitMeans(FeatureMatrix features, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(indices);
        var sums = new double[features.Dimension];
        var counts = new int[features.Dimension];
        foreach (var i in indices)
        {
            var row = features.Rows[i];
            for (var j = 0; j < row.Length; j++)
            {
                if (!double.IsNaN(row[j]))
                {
                    sums[j] += row[j];
                    counts[j]++;
                }
            }
        }
        for (var j = 0; j < sums.Length; j++)
            sums[j] = counts[j] > 0 ? sums[j] / counts[j] : 0;
        return sums;
    }

    /// <summary>A copy of <paramref name="data"/> whose NaN features are replaced by <paramref name="means"/>; complete rows are shared, not copied.</summary>
    public static TrainingData Fill(TrainingData data, IReadOnlyList<double> means)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(means);
        var features = data.Features ?? throw new ArgumentException("The training data has no feature matrix to fill.", nameof(data));
        if (means.Count != features.Dimension)
            throw new ArgumentException($"{means.Count} means for {features.Dimension} features.", nameof(means));
        var rows = new double[features.Count][];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = features.Rows[i];
            if (!row.Any(double.IsNaN))
            {
                rows[i] = row;
                continue;
            }
            rows[i] = new double[row.Length];
            for (var j = 0; j < row.Length; j++)
                rows[i][j] = double.IsNaN(row[j]) ? means[j] : row[j];
        }
        return data.WithFeatures(new FeatureMatrix(features.Names, rows));
    }

    sealed class ImputingModel(ITrainedModel inner, double[] means) : ITrainedModel
    {
        public TrainingSummary Summary => inner.Summary;

        public bool ConcurrentPrediction => inner.ConcurrentPrediction;

        public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices) =>
            inner.PredictProbabilities(Fill(data, means), indices);

        public void Dispose() => inner.Dispose();
    }
}
