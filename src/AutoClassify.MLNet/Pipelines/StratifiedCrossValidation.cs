using System.Globalization;
using AutoClassify.Dataset;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.MLNet;

/// <summary>One fold of <see cref="StratifiedCrossValidation.StratifiedCrossValidate"/>: the model fitted on the other folds and its scores on this one.</summary>
/// <param name="Fold">0-based fold number.</param>
/// <param name="Metrics">ML.NET's multiclass metrics on this fold's rows.</param>
/// <param name="Model">The pipeline fitted on the other folds' rows.</param>
/// <param name="ScoredTestData">This fold's rows, transformed by <paramref name="Model"/>.</param>
/// <param name="TestRows">Positions of this fold's rows in the data.</param>
public sealed record StratifiedFoldResult(int Fold, MulticlassClassificationMetrics Metrics, ITransformer Model, IDataView ScoredTestData, IReadOnlyList<int> TestRows)
    : IDisposable
{
    /// <summary>Disposes the fitted model when it holds native resources (an AutoClassify model inside it).</summary>
    public void Dispose()
    {
        if (Model is IEnumerable<ITransformer> chain)
        {
            foreach (var part in chain)
                (part as IDisposable)?.Dispose();
        }
        (Model as IDisposable)?.Dispose();
    }
}

/// <summary>Stratified k-fold cross-validation for ML.NET pipelines (ML.NET's <c>CrossValidate</c> does not stratify, dotnet/machinelearning#4396).</summary>
public static class StratifiedCrossValidation
{
    /// <summary>
    /// Splits the rows into <paramref name="numberOfFolds"/> folds that each hold every class in proportion (AutoClassify's
    /// own fold assignment, the CLI's), keeping rows with the same <paramref name="samplingKeyColumnName"/> value (the
    /// slices of one stack) in one fold; then fits <paramref name="estimator"/> on the other folds and evaluates it on
    /// each. Everything the pipeline fits (key mapping, normalisation, tuning) is fitted inside the training folds.
    /// The same seed gives the same folds.
    /// </summary>
    /// <param name="catalog">The multiclass catalog.</param>
    /// <param name="data">The rows; the label column may be text or a key.</param>
    /// <param name="estimator">The pipeline, ending in a multiclass trainer that writes <c>Score</c> and <c>PredictedLabel</c>.</param>
    /// <param name="numberOfFolds">k (at least 2; every class needs that many rows, or groups).</param>
    /// <param name="labelColumnName">The class column, stratified on.</param>
    /// <param name="samplingKeyColumnName">A text column of groups that must not straddle folds, or null.</param>
    /// <param name="seed">Seed of the fold assignment.</param>
    public static IReadOnlyList<StratifiedFoldResult> StratifiedCrossValidate(this MulticlassClassificationCatalog catalog, IDataView data,
        IEstimator<ITransformer> estimator, int numberOfFolds = 5, string labelColumnName = AutoClassifyColumns.Label,
        string? samplingKeyColumnName = null, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentOutOfRangeException.ThrowIfLessThan(numberOfFolds, 2);
        var folds = AssignFolds(data, numberOfFolds, labelColumnName, samplingKeyColumnName, seed);
        var results = new List<StratifiedFoldResult>();
        try
        {
            for (var fold = 0; fold < numberOfFolds; fold++)
            {
                var test = folds.Select(f => f == fold).ToArray();
                var model = estimator.Fit(new RowSubsetView(data, [.. test.Select(t => !t)]));
                var scored = model.Transform(new RowSubsetView(data, test));
                var metrics = catalog.Evaluate(scored, labelColumnName);
                results.Add(new StratifiedFoldResult(fold, metrics, model, scored, [.. Enumerable.Range(0, test.Length).Where(i => test[i])]));
            }
            return results;
        }
        catch
        {
            foreach (var result in results)
                result.Dispose();
            throw;
        }
    }

    /// <summary>The fold (0..k-1) of every row, as <see cref="StratifiedCrossValidate"/> assigns it.</summary>
    public static int[] AssignFolds(IDataView data, int numberOfFolds, string labelColumnName = AutoClassifyColumns.Label,
        string? samplingKeyColumnName = null, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        var labels = ReadClasses(data, labelColumnName);
        var counts = labels.GroupBy(l => l).Select(g => (Class: g.Key, Count: g.Count())).ToList();
        if (samplingKeyColumnName is null)
        {
            var small = counts.Where(c => c.Count < numberOfFolds).ToList();
            if (small.Count > 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{numberOfFolds} stratified folds need at least {numberOfFolds} rows of every class; too few: {string.Join(", ", small.Select(c => $"class {c.Class} ({c.Count})"))}."));
            return StratifiedKFold.Assign(labels, numberOfFolds, seed);
        }
        var names = DataViewColumns.ReadText(data, samplingKeyColumnName);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = names.Select(n => ids.TryGetValue(n, out var id) ? id : ids[n] = ids.Count).ToArray();
        var groupCounts = GroupedFolds.GroupLabels(labels, groups).GroupBy(l => l).Where(g => g.Count() < numberOfFolds).ToList();
        if (groupCounts.Count > 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{numberOfFolds} stratified folds need at least {numberOfFolds} groups ('{samplingKeyColumnName}') of every class; too few: {string.Join(", ", groupCounts.Select(g => $"class {g.Key} ({g.Count()})"))}."));
        }
        return GroupedFolds.Assign(labels, groups, numberOfFolds, seed);
    }

    // Classes as 0-based numbers in order of first appearance, from a text or key column.
    static int[] ReadClasses(IDataView data, string columnName)
    {
        var column = DataViewColumns.Find(data.Schema, columnName);
        IEnumerable<string> values = column.Type switch
        {
            TextDataViewType => DataViewColumns.ReadText(data, columnName),
            KeyDataViewType { RawType: var raw } when raw == typeof(uint) => ReadKeys(data, column),
            _ => throw new ArgumentOutOfRangeException(nameof(columnName), $"Label column '{columnName}' has type {column.Type}; stratifying needs text or a key."),
        };
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        return [.. values.Select(v => ids.TryGetValue(v, out var id) ? id : ids[v] = ids.Count)];
    }

    static List<string> ReadKeys(IDataView data, DataViewSchema.Column column)
    {
        var keys = new List<string>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<uint>(column);
        uint value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            keys.Add(value.ToString(CultureInfo.InvariantCulture));
        }
        return keys;
    }
}
