using System.Globalization;
using AutoClassify.IO;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>
/// Collects one model's folds (test indices, probabilities, training summary) and builds its
/// <see cref="ModelResult"/>. The decision rule from probabilities to a class lives here and nowhere else.
/// Not thread-safe: add folds from one thread.
/// </summary>
public sealed class ModelResultBuilder
{
    /// <summary>How <see cref="Decide"/> picks a class; shown in the report.</summary>
    public const string DecisionRuleDescription = "argmax: the class with the highest predicted probability (lowest class index on ties)";

    // Rows come from float32 softmax or LIBSVM's pairwise coupling, so allow rounding slack.
    const double RowSumTolerance = 1e-3;

    readonly string _name;
    readonly IReadOnlyList<int> _labels;
    readonly int _classCount;
    readonly SortedDictionary<int, FoldResult> _folds = [];
    readonly Dictionary<int, Prediction> _predictions = [];

    /// <param name="modelName">The model's name (e.g. <c>svm</c>).</param>
    /// <param name="labels">True class of every item of the run, indexed like <see cref="BenchmarkResult.Items"/>.</param>
    /// <param name="classCount">Number of classes.</param>
    public ModelResultBuilder(string modelName, IReadOnlyList<int> labels, int classCount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        _name = modelName;
        _labels = labels;
        _classCount = classCount;
    }

    /// <summary>The class chosen for one probability row: the argmax, lowest index on ties (<see cref="OrderStatistics.ArgMax"/>).</summary>
    public static int Decide(ReadOnlySpan<double> probabilities) => OrderStatistics.ArgMax(probabilities);

    /// <summary>Adds one fold: its test items, their probabilities (<c>probabilities[i]</c> belongs to <c>testIndices[i]</c>) and the fit's summary.</summary>
    public ModelResultBuilder AddFold(int fold, IReadOnlyList<int> testIndices, IReadOnlyList<double[]> probabilities, TrainingSummary training)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fold);
        ArgumentNullException.ThrowIfNull(testIndices);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(training);
        if (_folds.ContainsKey(fold))
            throw new ArgumentException($"Model '{_name}': fold {fold} was added twice.", nameof(fold));
        if (testIndices.Count == 0)
            throw new ArgumentException($"Model '{_name}': fold {fold} has no test items.", nameof(testIndices));
        if (testIndices.Count != probabilities.Count)
            throw new ArgumentException($"Model '{_name}', fold {fold}: {testIndices.Count} test items but {probabilities.Count} probability rows.", nameof(probabilities));

        var truth = new int[testIndices.Count];
        var predicted = new int[testIndices.Count];
        var rows = new double[testIndices.Count][];
        var seen = new HashSet<int>();
        for (var i = 0; i < testIndices.Count; i++)
        {
            var item = testIndices[i];
            if ((uint)item >= (uint)_labels.Count)
                throw new ArgumentOutOfRangeException(nameof(testIndices), $"Model '{_name}', fold {fold}: item {item} is outside 0..{_labels.Count - 1}.");
            if (_predictions.TryGetValue(item, out var earlier))
                throw new ArgumentException($"Model '{_name}', fold {fold}: item {item} was already tested in fold {earlier.Fold}.", nameof(testIndices));
            if (!seen.Add(item))
                throw new ArgumentException($"Model '{_name}', fold {fold}: item {item} is listed twice.", nameof(testIndices));
            rows[i] = CheckRow(probabilities[i], fold, item);
            truth[i] = _labels[item];
            predicted[i] = Decide(rows[i]);
        }

        for (var i = 0; i < testIndices.Count; i++)
        {
            _predictions[testIndices[i]] = new Prediction
            {
                Item = testIndices[i],
                Fold = fold,
                TrueLabel = truth[i],
                PredictedLabel = predicted[i],
                Probabilities = rows[i],
            };
        }
        _folds[fold] = new FoldResult
        {
            Fold = fold,
            Metrics = ClassificationMetrics.Compute(truth, predicted, rows, _classCount),
            Training = training,
        };
        return this;
    }

    /// <summary>The model's result: folds in order, aggregated figures, and predictions ordered by item.</summary>
    public ModelResult Build()
    {
        if (_folds.Count == 0)
            throw new InvalidOperationException($"Model '{_name}': no fold was added.");
        var folds = _folds.Values.ToList();
        return new ModelResult
        {
            Name = _name,
            DecisionRule = DecisionRuleDescription,
            Folds = folds,
            Aggregate = AggregatedMetrics.FromFolds(folds.Select(f => f.Metrics).ToList()),
            Predictions = _predictions.Values.OrderBy(p => p.Item).ToList(),
        };
    }

    double[] CheckRow(double[]? row, int fold, int item)
    {
        if (row is null || row.Length != _classCount)
            throw new ArgumentException($"Model '{_name}', fold {fold}, item {item}: expected {_classCount} probabilities, got {row?.Length.ToString(CultureInfo.InvariantCulture) ?? "null"}.");
        double sum = 0;
        foreach (var p in row)
        {
            if (!double.IsFinite(p) || p < 0)
                throw new ArgumentException($"Model '{_name}', fold {fold}, item {item}: probability {p.ToString("R", CultureInfo.InvariantCulture)} is not a finite non-negative number.");
            sum += p;
        }
        if (Math.Abs(sum - 1) > RowSumTolerance)
            throw new ArgumentException($"Model '{_name}', fold {fold}, item {item}: probabilities sum to {sum.ToString("R", CultureInfo.InvariantCulture)}, not 1.");
        return (double[])row.Clone();
    }
}
