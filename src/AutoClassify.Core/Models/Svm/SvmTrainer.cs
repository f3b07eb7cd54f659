using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Native;

namespace AutoClassify.Models.Svm;

/// <summary>
/// The SVM arm (<c>svm</c>): standardized handcrafted features into a LIBSVM RBF C-SVC (one-vs-one),
/// class weights inverse to class frequency, C and gamma chosen by an inner stratified CV on the
/// training fold (macro-F1, see <see cref="SvmGridResult.Best"/>), then refitted on the whole fold
/// with probability estimates. Every number repeats from <see cref="TrainingContext.Seed"/>, for any
/// thread count.
/// </summary>
public sealed class SvmTrainer : IModelTrainer
{
    readonly double[] log2C;
    readonly double[] log2Gamma;

    /// <summary>The part of <see cref="TrainingSummary.StageSeconds"/> the grid search took.</summary>
    public const string GridSearchStage = "grid search";

    /// <summary>The part of <see cref="TrainingSummary.StageSeconds"/> the final fit took (probability estimates included).</summary>
    public const string FinalFitStage = "final fit";

    /// <summary>Creates the trainer; <paramref name="options"/> are validated here, once.</summary>
    public SvmTrainer(SvmOptions? options = null)
    {
        Options = options ?? new SvmOptions();
        Options.Validate();
        // Snapshots, so a caller mutating the lists later cannot bypass validation.
        log2C = Options.Log2CGrid.ToArray();
        // A linear kernel ignores gamma: one placeholder cell per C instead of a useless second axis.
        log2Gamma = IsLinear ? [0] : Options.Log2GammaGrid.ToArray();
    }

    /// <summary>
    /// <c>svm</c> on the handcrafted features, <c>svm-field</c> on the whole-field features; <c>-linear</c> is appended
    /// for the linear kernel.
    /// </summary>
    public string Name => (Options.Input == ModelInput.FieldFeatures ? "svm-field" : "svm") + (IsLinear ? "-linear" : "");

    bool IsLinear => Options.Kernel == LibSvmKernel.Linear;

    public SvmOptions Options { get; }

    ITrainedModel IModelTrainer.Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) =>
        Train(data, trainIndices, context);

    /// <summary>Searches the grid on the training fold, then refits there with the best C and gamma.</summary>
    public SvmModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var clock = Stopwatch.StartNew();
        var grid = SearchGrid(data, trainIndices, context, progressShare: 0.9);
        context.CancellationToken.ThrowIfCancellationRequested();
        var fitClock = Stopwatch.StartNew();
        var model = Fit(data, trainIndices, grid.Best.C, grid.Best.Gamma, context);
        var facts = model.Summary.Facts;
        facts["grid_search"] = grid.Search == SvmSearch.CoarseToFine ? "coarse-to-fine" : "exhaustive";
        facts["grid_cells_total"] = grid.GridSize.ToString(CultureInfo.InvariantCulture);
        model.Summary.StageSeconds[GridSearchStage] = grid.Elapsed.TotalSeconds;
        model.Summary.StageSeconds[FinalFitStage] = fitClock.Elapsed.TotalSeconds;
        facts["log2_C"] = SvmModel.Invariant(grid.Best.Log2C);
        if (!IsLinear)
            facts["log2_gamma"] = SvmModel.Invariant(grid.Best.Log2Gamma);
        facts["inner_cv_macro_f1"] = double.IsNaN(grid.Best.MacroF1) ? "n/a" : SvmModel.Invariant(grid.Best.MacroF1, "F4");
        facts["inner_folds"] = grid.InnerFolds.ToString(CultureInfo.InvariantCulture);
        facts["grid_cells"] = grid.Cells.Count.ToString(CultureInfo.InvariantCulture);
        if (grid.Note is not null)
            facts["inner_cv_note"] = grid.Note;
        model.Summary.TrainingTime = clock.Elapsed;
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{Name}: C = 2^{grid.Best.Log2C}{(IsLinear ? "" : $", gamma = 2^{grid.Best.Log2Gamma:G6}")}, inner macro-F1 {facts["inner_cv_macro_f1"]} " +
            $"({grid.Cells.Count} of {grid.GridSize} cells {facts["grid_search"]}, {grid.InnerFolds} inner folds, {grid.SecondsPerCell:F2} s per cell), " +
            $"{model.SupportVectorCount} support vectors, grid {grid.Elapsed.TotalSeconds:F1} s + final fit {fitClock.Elapsed.TotalSeconds:F1} s"));
        return model;
    }

    /// <summary>
    /// Fits with fixed C and gamma on the training rows (standardizer, class weights, probability
    /// estimates seeded from the context), without any search.
    /// </summary>
    public SvmModel Fit(TrainingData data, IReadOnlyList<int> trainIndices, double c, double gamma, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var clock = Stopwatch.StartNew();
        var (features, labels) = CheckData(data, trainIndices);
        var standardizer = Standardizer.Fit(features.Rows, trainIndices);
        var parameters = Parameters(c, gamma, labels, probability: true);

        using var problem = LibSvmProblem.Create(standardizer.Transform(features.Rows, trainIndices), labels);
        var native = LibSvm.Train(problem, parameters, Seeds.Derive(context.Seed, "svm-probability"),
            Options.LogSolverOutput ? context.Log : null);
        var summary = new TrainingSummary();
        try
        {
            summary.Facts["kernel"] = IsLinear ? "linear" : "rbf";
            summary.Facts["C"] = SvmModel.Invariant(c);
            if (!IsLinear)
                summary.Facts["gamma"] = SvmModel.Invariant(gamma);
            summary.Facts["support_vectors"] = native.SupportVectorCount.ToString(CultureInfo.InvariantCulture);
            if (parameters.ClassWeights is not null)
            {
                summary.Facts["class_weights"] = string.Join("; ", parameters.ClassWeights
                    .OrderBy(w => w.Key)
                    .Select(w => $"{data.ClassNames[w.Key]}={SvmModel.Invariant(w.Value, "F3")}"));
            }
            summary.Facts["libsvm"] = FormatVersion(LibSvm.Version);
            var model = new SvmModel(native, standardizer, data.ClassNames, features.Names, c, gamma, summary, FeatureSetOf(data));
            summary.TrainingTime = clock.Elapsed;
            context.Progress?.Report(1);
            return model;
        }
        catch
        {
            native.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Scores every (C, gamma) cell by an inner stratified CV on the training rows only: each inner
    /// fold fits its own standardizer and class weights on its inner-training part. Cells run in
    /// parallel on <see cref="TrainingContext.EffectiveThreads"/> workers; the result does not depend
    /// on the thread count.
    /// </summary>
    public SvmGridResult SearchGrid(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context) =>
        SearchGrid(data, trainIndices, context, progressShare: 1);

    /// <summary>
    /// Per-class weights n / (K n_k) for the K labels present: inverse to class frequency, 1 on average
    /// per item. Rounded to float precision, because Debian's <c>svm-train</c> parses <c>-wi</c> with
    /// <c>strtof</c>: the same command line then reproduces our models exactly.
    /// </summary>
    public static IReadOnlyDictionary<int, double> InverseFrequencyWeights(IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0)
            return new Dictionary<int, double>();
        var weights = ClassWeights.InverseFrequency(labels, [.. Enumerable.Range(0, labels.Count)], labels.Max() + 1);
        return labels.Distinct().ToDictionary(k => k, k => (double)(float)weights[k]);
    }

    SvmGridResult SearchGrid(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context, double progressShare)
    {
        ArgumentNullException.ThrowIfNull(context);
        CheckData(data, trainIndices);
        trainIndices = TuningSample(data.Labels, trainIndices, Options.MaxTuningItems, context.Seed, out var sampleNote);
        var (features, labels) = CheckData(data, trainIndices);
        var groups = data.Groups is null ? null : trainIndices.Select(i => data.Groups[i]).ToArray();
        var (folds, note) = InnerFoldCount(groups is null ? labels : GroupedFolds.GroupLabels(labels, groups), data.ClassNames);
        if (sampleNote is not null)
            note = note is null ? sampleNote : sampleNote + "; " + note;
        if (folds < 2)
        {
            // LIBSVM's own defaults: C = 1, gamma = 1 / number of features.
            var fallback = new SvmGridCell(0, -Math.Log2(features.Dimension), double.NaN);
            return new SvmGridResult([], fallback, 0, note) { GridSize = log2C.Length * log2Gamma.Length };
        }

        var innerSeed = Seeds.Derive(context.Seed, "svm-inner-cv");
        var assignment = groups is null ? StratifiedKFold.Assign(labels, folds, innerSeed) : GroupedFolds.Assign(labels, groups, folds, innerSeed);
        var splits = new InnerSplit[folds];
        try
        {
            for (var f = 0; f < folds; f++)
                splits[f] = InnerSplit.Create(features, trainIndices, labels, assignment, f);

            var clock = Stopwatch.StartNew();
            var runner = new CellRunner(this, splits, data.ClassCount, context, progressShare);
            var full = log2C.Length * log2Gamma.Length;
            var search = Options.Search == SvmSearch.Exhaustive ? SvmSearch.Exhaustive
                : SvmGridPlan.CoarseStride(log2C.Length, log2Gamma.Length) > 1 ? SvmSearch.CoarseToFine : SvmSearch.Exhaustive;
            runner.ExpectedCells = search == SvmSearch.Exhaustive ? full : ExpectedCoarseToFineCells(full);
            Dictionary<(int Row, int Column), double> scores;
            if (search == SvmSearch.Exhaustive)
            {
                var all = Enumerable.Range(0, log2C.Length).SelectMany(r => Enumerable.Range(0, log2Gamma.Length).Select(c => (r, c))).ToList();
                var values = runner.Score(all.Select(Cell).ToList());
                scores = all.Select((cell, i) => (cell, values[i])).ToDictionary(p => p.cell, p => p.Item2);
            }
            else
            {
                scores = SvmGridPlan.Search(log2C.Length, log2Gamma.Length, cells => runner.Score(cells.Select(Cell).ToList()));
            }
            var scored = scores.OrderBy(p => p.Key).Select(p => new SvmGridCell(log2C[p.Key.Row], log2Gamma[p.Key.Column], p.Value)).ToArray();
            return new SvmGridResult(scored, PickBest(scored), folds, note)
            {
                GridSize = full,
                Search = search,
                Elapsed = clock.Elapsed,
                FitSeconds = runner.FitSeconds,
            };
        }
        finally
        {
            foreach (var split in splits)
                split?.Dispose();
        }
    }

    (double Log2C, double Log2Gamma) Cell((int Row, int Column) cell) => (log2C[cell.Row], log2Gamma[cell.Column]);

    // For the progress bar only: the coarse sub-grid plus, per finer step, about one leader neighbourhood per leader.
    int ExpectedCoarseToFineCells(int full)
    {
        var stride = SvmGridPlan.CoarseStride(log2C.Length, log2Gamma.Length);
        var coarse = (int)(Math.Ceiling((log2C.Length - 1) / (double)stride + 1) * Math.Ceiling((log2Gamma.Length - 1) / (double)stride + 1));
        var rounds = (int)Math.Log2(stride);
        return Math.Min(full, coarse + rounds * SvmGridPlan.Leaders * 5);
    }

    /// <summary>
    /// The training items the grid search scores on: all of them up to <paramref name="maxItems"/> (0 = no cap),
    /// otherwise a stratified random sample of that size, drawn from the training fold only. Every class keeps its
    /// share, but at least ten items (or all it has), so rare classes still reach every inner fold. The final model
    /// is always refitted on the whole fold; the cap only bounds the search, whose cost grows with the square of the
    /// training-set size.
    /// </summary>
    internal static IReadOnlyList<int> TuningSample(IReadOnlyList<int> allLabels, IReadOnlyList<int> trainIndices, int maxItems, int seed, out string? note)
    {
        note = null;
        if (maxItems <= 0 || trainIndices.Count <= maxItems)
            return trainIndices;
        var ratio = (double)maxItems / trainIndices.Count;
        var random = new Random(Seeds.Derive(seed, "svm-tuning-sample"));
        var sample = new List<int>(maxItems);
        foreach (var group in trainIndices.GroupBy(i => allLabels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            var take = Math.Min(members.Length, Math.Max(10, (int)Math.Round(members.Length * ratio, MidpointRounding.AwayFromZero)));
            sample.AddRange(members.Take(take));
        }
        sample.Sort();
        note = string.Create(CultureInfo.InvariantCulture, $"grid searched on a stratified sample of {sample.Count} of the {trainIndices.Count} training items");
        return sample;
    }

    /// <summary>
    /// The cell with the best inner macro-F1. Among cells tied at the best score, the one nearest the centre of
    /// the tied region (in log2 C, log2 γ) wins, then the smaller C and γ: on a plateau, an edge cell such as
    /// the smallest C and γ can score as well yet give flat, useless probabilities.
    /// </summary>
    internal static SvmGridCell PickBest(IReadOnlyList<SvmGridCell> cells)
    {
        var bestScore = cells.Max(c => c.MacroF1);
        var tied = cells.Where(c => c.MacroF1 == bestScore).ToList();
        var centreC = tied.Average(c => c.Log2C);
        var centreGamma = tied.Average(c => c.Log2Gamma);
        return tied
            .OrderBy(c => Math.Pow(c.Log2C - centreC, 2) + Math.Pow(c.Log2Gamma - centreGamma, 2))
            .ThenBy(c => c.Log2C)
            .ThenBy(c => c.Log2Gamma)
            .First();
    }

    (int Folds, string? Note) InnerFoldCount(int[] labels, IReadOnlyList<string> classNames)
    {
        var smallest = labels.GroupBy(l => l).OrderBy(g => g.Count()).ThenBy(g => g.Key).First();
        var count = smallest.Count();
        if (count >= Options.InnerFolds)
            return (Options.InnerFolds, null);
        var name = classNames[smallest.Key];
        if (count < 2)
        {
            return (0, $"grid search skipped: class '{name}' has only {count} training item; " +
                "used LIBSVM's defaults C = 1, gamma = 1 / feature count");
        }
        return (count, $"inner folds reduced from {Options.InnerFolds} to {count}: class '{name}' has only {count} training items");
    }

    LibSvmParameters Parameters(double c, double gamma, IReadOnlyList<int> labels, bool probability) => new()
    {
        Kernel = Options.Kernel,
        C = c,
        Gamma = gamma,
        CacheSizeMb = Options.CacheSizeMb,
        Epsilon = Options.Epsilon,
        Probability = probability,
        ClassWeights = Options.BalanceClassWeights ? InverseFrequencyWeights(labels) : null,
    };

    FeatureSet FeatureSetOf(TrainingData data) =>
        Options.Input == ModelInput.FieldFeatures ? FeatureSet.Field(data.FieldNmPerPixel) : FeatureSet.Handcrafted;

    (FeatureMatrix Features, int[] Labels) CheckData(TrainingData data, IReadOnlyList<int> trainIndices)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.CheckFeatureFold(Options.Input, trainIndices, "the SVM");
    }

    static string FormatVersion(int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version / 100}.{version % 100:D2}");

    /// <summary>
    /// Scores a round of cells: every (cell, inner fold) fit runs in parallel on the context's workers, largest C
    /// first; each cell's macro-F1 pools its inner folds' out-of-fold decision labels (no probability estimates:
    /// the ranking needs labels only, and Platt's internal 5-fold CV would cost several fits per cell).
    /// </summary>
    sealed class CellRunner(SvmTrainer trainer, InnerSplit[] splits, int classCount, TrainingContext context, double progressShare)
    {
        long fitTicks;
        int done;
        double reported;

        /// <summary>Cells the whole search is expected to score; the progress bar's denominator.</summary>
        public int ExpectedCells { get; set; }

        /// <summary>Summed duration of every inner fit, in seconds (CPU-like: parallel fits add up).</summary>
        public double FitSeconds => TimeSpan.FromTicks(Interlocked.Read(ref fitTicks)).TotalSeconds;

        public double[] Score(List<(double Log2C, double Log2Gamma)> cells)
        {
            var folds = splits.Length;
            var predictions = new int[cells.Count, folds][];
            // Large C converges slowest: start those first so no worker is left with a long tail.
            var jobs = Enumerable.Range(0, cells.Count * folds)
                .OrderByDescending(j => cells[j / folds].Log2C)
                .ThenBy(j => j)
                .ToArray();
            var parallel = new ParallelOptions
            {
                MaxDegreeOfParallelism = context.EffectiveThreads,
                CancellationToken = context.CancellationToken,
            };
            try
            {
                Parallel.ForEach(Partitioner.Create(jobs, EnumerablePartitionerOptions.NoBuffering), parallel, job =>
                {
                    var (cell, split) = (cells[job / folds], splits[job % folds]);
                    var parameters = trainer.Parameters(Math.Pow(2, cell.Log2C), Math.Pow(2, cell.Log2Gamma), split.TrainLabels, probability: false);
                    var started = Stopwatch.GetTimestamp();
                    predictions[job / folds, job % folds] = split.Evaluate(parameters);
                    Interlocked.Add(ref fitTicks, Stopwatch.GetElapsedTime(started).Ticks);
                    ReportProgress(Interlocked.Increment(ref done), folds);
                });
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
            }

            var scores = new double[cells.Count];
            for (var i = 0; i < cells.Count; i++)
            {
                var confusion = new ConfusionMatrix(classCount);
                for (var f = 0; f < folds; f++)
                {
                    var truth = splits[f].TestLabels;
                    for (var r = 0; r < truth.Length; r++)
                        confusion.Counts[truth[r], predictions[i, f][r]]++;
                }
                scores[i] = confusion.MacroF1();
            }
            return scores;
        }

        void ReportProgress(int fits, int folds)
        {
            if (context.Progress is null)
                return;
            // Never backwards: a search that scores more cells than expected holds just below its share until it ends.
            var fraction = Math.Min(0.99, fits / (double)(Math.Max(ExpectedCells, 1) * folds));
            lock (this)
            {
                if (fraction <= reported)
                    return;
                reported = fraction;
            }
            context.Progress.Report(progressShare * fraction);
        }
    }

    /// <summary>One inner fold, converted once and shared read-only by every grid cell.</summary>
    sealed class InnerSplit : IDisposable
    {
        readonly double[] testRows;
        readonly int dimension;

        InnerSplit(LibSvmProblem train, int[] trainLabels, LibSvmProblem test, double[] testRows, int dimension, int[] testLabels)
        {
            Train = train;
            TrainLabels = trainLabels;
            Test = test;
            TestLabels = testLabels;
            this.testRows = testRows;
            this.dimension = dimension;
        }

        public LibSvmProblem Train { get; }
        public int[] TrainLabels { get; }
        public LibSvmProblem Test { get; }
        public int[] TestLabels { get; }

        public static InnerSplit Create(FeatureMatrix features, IReadOnlyList<int> trainIndices, int[] labels, int[] assignment, int fold)
        {
            var (trainPositions, testPositions) = StratifiedKFold.Split(assignment, fold);
            var innerTrain = trainPositions.Select(p => trainIndices[p]).ToArray();
            var innerTest = testPositions.Select(p => trainIndices[p]).ToArray();
            var trainLabels = trainPositions.Select(p => labels[p]).ToArray();
            var testLabels = testPositions.Select(p => labels[p]).ToArray();
            var standardizer = Standardizer.Fit(features.Rows, innerTrain);
            var train = LibSvmProblem.Create(standardizer.Transform(features.Rows, innerTrain), trainLabels);
            try
            {
                // The test labels ride along only to fill the struct; LIBSVM never sees them.
                var testMatrix = standardizer.Transform(features.Rows, innerTest);
                var test = LibSvmProblem.Create(testMatrix, testLabels);
                var testRows = testMatrix.SelectMany(row => row.Select(LibSvm.Quantize)).ToArray();
                return new InnerSplit(train, trainLabels, test, testRows, features.Dimension, testLabels);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }

        public int[] Evaluate(LibSvmParameters parameters)
        {
            using var model = LibSvm.Train(Train, parameters, seed: 0);
            var predicted = new int[Test.Count];
            // The dense vote is svm_predict's at a fraction of its cost (the svm bench's part (e)).
            if (DenseSvmPredictor.TryCreate(model.ReadContents(dimension)) is { } dense)
            {
                dense.PredictVotes(testRows, predicted);
                for (var r = 0; r < predicted.Length; r++)
                    predicted[r] = model.Labels[predicted[r]];
                return predicted;
            }
            for (var r = 0; r < predicted.Length; r++)
                predicted[r] = model.Predict(Test, r);
            return predicted;
        }

        public void Dispose()
        {
            Train.Dispose();
            Test.Dispose();
        }
    }
}
