using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>
/// Permutation feature importance of a fitted feature model on its test fold: each feature column is shuffled among
/// the test items (the other columns and the model stay as they are), and the importance is the mean drop in
/// macro-F1 over <see cref="Repeats"/> seeded shuffles. A drop near 0 means the model does not rely on that feature
/// (or a correlated one stands in for it); a negative drop is noise. Plain arrays only, so it works for any model
/// that reads a feature matrix: LIBSVM's SVMs and the ML.NET baselines alike. Features are scored in parallel when the
/// model allows it (<see cref="ITrainedModel.ConcurrentPrediction"/>); each has its own seeded shuffles, so the result
/// does not depend on the number of threads.
/// </summary>
public static class PermutationImportance
{
    /// <summary>Shuffles per feature.</summary>
    public const int Repeats = 3;

    /// <summary>Test folds larger than this are scored on a seeded random sample of this many items, to bound the cost.</summary>
    public const int MaxItems = 1000;

    /// <summary>
    /// The macro-F1 drop of every feature of <paramref name="input"/>'s matrix (by name) when that column is shuffled
    /// among <paramref name="test"/>; every shuffle is seeded from <paramref name="seed"/>. Up to <paramref name="threads"/>
    /// features are scored at once (0: all cores) when the model allows concurrent prediction.
    /// </summary>
    public static Dictionary<string, double> Compute(ITrainedModel model, TrainingData data, ModelInput input, IReadOnlyList<int> test, int seed,
        int threads = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(test);
        var features = data.FeaturesFor(input) ?? throw new ArgumentException($"TrainingData.{input} is null; nothing to permute.", nameof(data));
        var items = test.ToArray();
        if (items.Length > MaxItems)
        {
            var random = new Random(Seeds.Derive(seed, "permutation-sample"));
            random.Shuffle(items);
            items = items[..MaxItems];
            Array.Sort(items);
        }
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (items.Length < 2)
            return result;
        var truth = items.Select(i => data.Labels[i]).ToArray();
        var baseline = MacroF1(truth, model.PredictProbabilities(data, items), data.ClassCount);
        var drops = new double[features.Dimension];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = !model.ConcurrentPrediction ? 1 : threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, features.Dimension, parallel, j =>
        {
            for (var r = 0; r < Repeats; r++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var order = (int[])items.Clone();
                new Random(Seeds.Derive(seed, "permutation", j, r)).Shuffle(order);
                var rows = (double[][])features.Rows.Clone();
                for (var i = 0; i < items.Length; i++)
                {
                    var row = (double[])features.Rows[items[i]].Clone();
                    row[j] = features.Rows[order[i]][j];
                    rows[items[i]] = row;
                }
                var permuted = With(data, input, new FeatureMatrix(features.Names, rows));
                drops[j] += baseline - MacroF1(truth, model.PredictProbabilities(permuted, items), data.ClassCount);
            }
        });
        for (var j = 0; j < features.Dimension; j++)
            result[features.Names[j]] = drops[j] / Repeats;
        return result;
    }

    static double MacroF1(int[] truth, double[][] probabilities, int classCount)
    {
        var predicted = probabilities.Select(p => ModelResultBuilder.Decide(p)).ToArray();
        return ClassificationMetrics.Compute(truth, predicted, null, classCount).MacroF1;
    }

    static TrainingData With(TrainingData data, ModelInput input, FeatureMatrix features) => input switch
    {
        ModelInput.Features => data.WithFeatures(features),
        ModelInput.FieldFeatures => new TrainingData
        {
            ClassNames = data.ClassNames,
            Labels = data.Labels,
            Features = data.Features,
            FieldFeatures = features,
            FieldNmPerPixel = data.FieldNmPerPixel,
            Images = data.Images,
            Masks = data.Masks,
            Groups = data.Groups,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(input), input, "Only feature inputs can be permuted."),
    };
}
