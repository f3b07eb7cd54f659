using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Models;
using Microsoft.ML;

namespace AutoClassify.MLNet;

/// <summary>
/// An ML.NET learner as a baseline beside the SVM, on the same feature matrix and in the same runner: features
/// standardized on the training fold, example weights inverse to class frequency (the SVM's class weights), and the
/// learner's key hyper-parameters chosen by an inner stratified CV on the training fold scored by pooled macro-F1
/// (groups kept whole, as the SVM's grid search does), then refitted on the whole fold. Every fit is seeded from
/// <see cref="TrainingContext.Seed"/> and single-threaded inside, so probabilities repeat exactly for any
/// <see cref="TrainingContext.Threads"/> (grid cells run in parallel, each on its own <see cref="MLContext"/>).
/// </summary>
public sealed class MLNetTrainer : IModelTrainer
{
    /// <summary>Name suffix of the learners on the whole-field features.</summary>
    public const string FieldSuffix = "-field";

    readonly IReadOnlyList<MLNetConfig> grid;

    /// <summary>Creates the trainer; the grid size and inner folds are checked here, once.</summary>
    public MLNetTrainer(MLNetLearner learner, ModelInput input, int innerFolds, string gridSize = "full")
    {
        ArgumentNullException.ThrowIfNull(learner);
        if (input is not (ModelInput.Features or ModelInput.FieldFeatures))
            throw new ArgumentException($"ML.NET baselines read a feature matrix, not {input}.", nameof(input));
        if (innerFolds < 2)
            throw new ArgumentException($"--inner-folds must be at least 2, not {innerFolds}.", nameof(innerFolds));
        Learner = learner;
        Input = input;
        InnerFolds = innerFolds;
        grid = learner.Grid(gridSize);
    }

    public MLNetLearner Learner { get; }

    public ModelInput Input { get; }

    public int InnerFolds { get; }

    /// <summary>The configurations the inner CV scores, in the order they are tried (ties go to the first).</summary>
    public IReadOnlyList<MLNetConfig> Configurations => grid;

    public string Name => KindName(Learner.Name, Input);

    /// <summary>The catalog name of <paramref name="learner"/> on <paramref name="input"/>.</summary>
    public static string KindName(string learner, ModelInput input) => input == ModelInput.FieldFeatures ? learner + FieldSuffix : learner;

    ITrainedModel IModelTrainer.Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) => Train(data, trainIndices, context);

    /// <summary>Tunes on the training fold by inner CV, then refits there with the best configuration.</summary>
    public MLNetModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var clock = Stopwatch.StartNew();
        var (features, labels) = CheckData(data, trainIndices);
        var search = Search(data, features, trainIndices, labels, context);
        context.CancellationToken.ThrowIfCancellationRequested();
        var model = Fit(data, features, trainIndices, labels, search.Best, Seeds.Derive(context.Seed, Name, 0));
        var facts = model.Summary.Facts;
        foreach (var (name, value) in search.Best.Values)
            facts[name] = value.ToString("G6", CultureInfo.InvariantCulture);
        facts["inner_cv_macro_f1"] = double.IsNaN(search.BestScore) ? "n/a" : search.BestScore.ToString("F4", CultureInfo.InvariantCulture);
        facts["inner_folds"] = search.Folds.ToString(CultureInfo.InvariantCulture);
        facts["grid_cells"] = grid.Count.ToString(CultureInfo.InvariantCulture);
        if (search.Note is not null)
            facts["inner_cv_note"] = search.Note;
        model.Summary.TrainingTime = clock.Elapsed;
        context.Progress?.Report(1);
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{Name}: {search.Best}, inner macro-F1 {facts["inner_cv_macro_f1"]} ({grid.Count} cells, {search.Folds} inner folds), {clock.Elapsed.TotalSeconds:F1} s"));
        return model;
    }

    /// <summary>Fits <paramref name="config"/> on the training rows, without any search.</summary>
    public MLNetModel Fit(TrainingData data, IReadOnlyList<int> trainIndices, MLNetConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (features, labels) = CheckData(data, trainIndices);
        return Fit(data, features, trainIndices, labels, config, seed);
    }

    MLNetModel Fit(TrainingData data, FeatureMatrix features, IReadOnlyList<int> trainIndices, int[] labels, MLNetConfig config, int seed)
    {
        var standardizer = Standardizer.Fit(features.Rows, trainIndices);
        var trained = labels.Distinct().Order().ToArray();
        var (context, transformer, schema) = FitRaw(standardizer.Transform(features.Rows, trainIndices), labels, trained, data.ClassCount, config, seed);
        var summary = new TrainingSummary();
        summary.Facts["learner"] = Learner.Description;
        summary.Facts["class_weights"] = string.Join("; ", ExampleWeights.ClassWeights(labels, data.ClassCount)
            .Select((w, k) => (w, k))
            .Where(x => x.w > 0)
            .Select(x => $"{data.ClassNames[x.k]}={x.w.ToString("F3", CultureInfo.InvariantCulture)}"));
        summary.Facts["mlnet"] = MLNetVersion;
        summary.Facts["mlnet_threads"] = "1";
        return new MLNetModel(context, transformer, schema, Learner.Name, standardizer, data.ClassNames, trained, features.Names,
            FeatureSetOf(data), summary);
    }

    (MLContext Context, ITransformer Transformer, DataViewSchema Schema) FitRaw(double[][] rows, int[] labels, int[] trained, int classCount,
        MLNetConfig config, int seed)
    {
        var position = new int[classCount];
        for (var p = 0; p < trained.Length; p++)
            position[trained[p]] = p;
        var context = new MLContext(seed);
        var weights = ExampleWeights.Of(labels, classCount);
        var view = MLNetData.Load(context, rows, rows.Length == 0 ? 0 : rows[0].Length, [.. labels.Select(l => position[l])], weights);
        var transformer = Learner.Pipeline(context, config, seed).Fit(view);
        return (context, transformer, view.Schema);
    }

    /// <summary>ML.NET's package version (its assembly version stays 1.0.0).</summary>
    public static string MLNetVersion { get; } =
        typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    sealed record SearchResult(MLNetConfig Best, double BestScore, int Folds, string? Note);

    SearchResult Search(TrainingData data, FeatureMatrix features, IReadOnlyList<int> trainIndices, int[] labels, TrainingContext context)
    {
        var groups = data.Groups is null ? null : trainIndices.Select(i => data.Groups[i]).ToArray();
        var foldLabels = groups is null ? labels : GroupedFolds.GroupLabels(labels, groups);
        var smallest = foldLabels.GroupBy(l => l).OrderBy(g => g.Count()).ThenBy(g => g.Key).First();
        var folds = Math.Min(InnerFolds, smallest.Count());
        string? note = folds < InnerFolds
            ? $"inner folds reduced from {InnerFolds} to {folds}: class '{data.ClassNames[smallest.Key]}' has only {smallest.Count()} training {(groups is null ? "items" : "groups")}"
            : null;
        if (folds < 2 || grid.Count == 1)
        {
            note = folds < 2 ? $"search skipped: class '{data.ClassNames[smallest.Key]}' has only {smallest.Count()} training item; used the first configuration" : note;
            return new SearchResult(grid[0], double.NaN, 0, note);
        }

        var innerSeed = Seeds.Derive(context.Seed, Name + "-inner-cv");
        var assignment = groups is null ? StratifiedKFold.Assign(labels, folds, innerSeed) : GroupedFolds.Assign(labels, groups, folds, innerSeed);
        var splits = Enumerable.Range(0, folds).Select(f => StratifiedKFold.Split(assignment, f)).ToArray();
        var predictions = new int[grid.Count, folds][];
        var done = 0;
        var jobs = grid.Count * folds;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = context.EffectiveThreads, CancellationToken = context.CancellationToken };
        try
        {
            Parallel.ForEach(Partitioner.Create(Enumerable.Range(0, jobs), EnumerablePartitionerOptions.NoBuffering), parallel, job =>
            {
                var (cell, fold) = (job / folds, job % folds);
                var (trainPositions, testPositions) = splits[fold];
                var innerTrain = trainPositions.Select(p => trainIndices[p]).ToArray();
                var innerTest = testPositions.Select(p => trainIndices[p]).ToArray();
                var innerLabels = trainPositions.Select(p => labels[p]).ToArray();
                var standardizer = Standardizer.Fit(features.Rows, innerTrain);
                var trained = innerLabels.Distinct().Order().ToArray();
                var seed = Seeds.Derive(context.Seed, Name + "-inner", cell, fold);
                var (mlContext, transformer, _) = FitRaw(standardizer.Transform(features.Rows, innerTrain), innerLabels, trained, data.ClassCount, grid[cell], seed);
                var view = MLNetData.Load(mlContext, standardizer.Transform(features.Rows, innerTest), features.Dimension, null, null);
                var scores = MLNetData.ReadScores(transformer.Transform(view), trained.Length);
                predictions[cell, fold] = [.. scores.Select(s => trained[ArgMax(s)])];
                context.Progress?.Report(0.9 * Interlocked.Increment(ref done) / jobs);
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }

        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var cell = 0; cell < grid.Count; cell++)
        {
            var confusion = new ConfusionMatrix(data.ClassCount);
            for (var fold = 0; fold < folds; fold++)
            {
                var test = splits[fold].Test;
                for (var r = 0; r < test.Length; r++)
                    confusion.Counts[labels[test[r]], predictions[cell, fold][r]]++;
            }
            var score = confusion.MacroF1();
            // Strictly better only: on a tie the earlier, simpler configuration of the grid stays.
            if (score > bestScore)
                (best, bestScore) = (cell, score);
        }
        return new SearchResult(grid[best], bestScore, folds, note);
    }

    static int ArgMax(double[] values)
    {
        var best = 0;
        for (var k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
                best = k;
        }
        return best;
    }

    FeatureSet FeatureSetOf(TrainingData data) =>
        Input == ModelInput.FieldFeatures ? FeatureSet.Field(data.FieldNmPerPixel) : FeatureSet.Handcrafted;

    (FeatureMatrix Features, int[] Labels) CheckData(TrainingData data, IReadOnlyList<int> trainIndices)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.CheckFeatureFold(Input, trainIndices, Name);
    }
}

/// <summary>The SVM's class weights (inverse class frequency, <see cref="Models.ClassWeights.InverseFrequency"/>) as ML.NET example weights.</summary>
internal static class ExampleWeights
{
    /// <summary>Per class, <c>n / (K n_k)</c> over the K classes present in <paramref name="labels"/>, rounded to float as LIBSVM receives them.</summary>
    public static float[] ClassWeights(int[] labels, int classCount) =>
        [.. Models.ClassWeights.InverseFrequency(labels, [.. Enumerable.Range(0, labels.Length)], classCount).Select(w => (float)w)];

    /// <summary>Each item's class weight.</summary>
    public static float[] Of(int[] labels, int classCount)
    {
        var weights = ClassWeights(labels, classCount);
        return [.. labels.Select(l => weights[l])];
    }
}
