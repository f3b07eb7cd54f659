using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation.Statistics;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>
/// Computes a run's <see cref="EvidenceSummary"/> and every model's <see cref="ModelEvidence"/> from the out-of-fold
/// predictions, the folds and the training summaries: bootstrap and Wilson intervals, ROC/PR, calibration, coverage,
/// baselines, paired tests with Holm's correction, the significantly best model per figure, and reviewer warnings.
/// Deterministic: the bootstrap seed derives from the run seed.
/// </summary>
public static class EvidenceBuilder
{
    public const double DefaultConfidence = 0.95;

    /// <summary>Pooled curves are thinned to this many points for the report; AUC and AP use every point.</summary>
    public const int MaxCurvePoints = 200;

    /// <summary>A validation split with fewer images of a class than this gets a warning.</summary>
    public const int SmallValidationClass = 5;

    /// <summary>A test fold whose per-class TPR interval is wider than this gets a warning.</summary>
    public const double WideIntervalWidth = 0.3;

    /// <summary>Epochs over which a validation loss still falling at the epoch cap is judged.</summary>
    public const int FallingWindow = 5;

    /// <summary>The fact a trainer sets to the per-class image counts of its validation split (comma-separated, in class order).</summary>
    public const string ValidationClassCountsFact = ValidationSplit.ClassCountsFact;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Computes the evidence and stores it in <paramref name="result"/> (its models' and its own <c>Evidence</c>).</summary>
    public static EvidenceSummary Attach(BenchmarkResult result, int replicates = StratifiedBootstrap.DefaultReplicates, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(result);
        var classCount = result.Dataset.ClassNames.Count;
        var summary = new EvidenceSummary
        {
            Confidence = confidence,
            BootstrapReplicates = replicates,
            BootstrapSeed = Seeds.Derive(result.Settings.Seed, "bootstrap"),
        };
        foreach (var model in result.Models)
            model.Evidence = ForModel(model, classCount, replicates, summary.BootstrapSeed, confidence);
        summary.Baselines = Baselines(result);
        summary.Comparisons = Comparisons(result, confidence);
        if (result.Models.Count > 1)
            summary.Best = Best(result, summary.Comparisons, confidence);
        summary.Warnings = Warnings(result, summary, confidence);
        result.Evidence = summary;
        return summary;
    }

    // Temperature-scaled probabilities give back the network's own ones exactly (TemperatureScaling.Unscale), so the
    // report can show calibration before and after without storing both. Tiled runs average tiles, which does not invert.
    static CalibrationSummary? BeforeTemperature(ModelResult model, int[] truth)
    {
        var temperatures = new Dictionary<int, double>();
        foreach (var fold in model.Folds)
        {
            if (fold.Training.Facts.TryGetValue(Models.Cnn.CnnTrainer.TemperatureFact, out var text)
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var t))
                temperatures[fold.Fold] = t;
        }
        if (temperatures.Count == 0 || model.TileLevel is not null)
            return null;
        var rows = model.Predictions.Select(p => temperatures.TryGetValue(p.Fold, out var t) ? Models.TemperatureScaling.Unscale(p.Probabilities, t) : p.Probabilities).ToArray();
        return Calibration.Summarise(truth, rows);
    }

    /// <summary>One model's intervals, curves, calibration and coverage.</summary>
    public static ModelEvidence ForModel(ModelResult model, int classCount, int replicates, int seed, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(model);
        var predictions = model.Predictions;
        if (predictions.Count == 0)
            return new ModelEvidence();
        var truth = predictions.Select(p => p.TrueLabel).ToArray();
        var predicted = predictions.Select(p => p.PredictedLabel).ToArray();
        var rows = predictions.Select(p => p.Probabilities).ToArray();

        var point = Figures(Enumerable.Range(0, truth.Length).ToArray(), truth, predicted, rows, classCount);
        var intervals = new StratifiedBootstrap(truth, replicates, seed).Percentile(s => Figures(s, truth, predicted, rows, classCount), confidence);
        var evidence = new ModelEvidence
        {
            Accuracy = new Estimate(point[0], intervals[0]),
            MacroF1 = new Estimate(point[1], intervals[1]),
            BalancedAccuracy = new Estimate(point[2], intervals[2]),
            LogLoss = new Estimate(point[3], intervals[3]),
            Calibration = Calibration.Summarise(truth, rows),
            Coverage = Coverage.Curve(truth, rows, classCount),
            BeforeTemperature = BeforeTemperature(model, truth),
        };

        var cm = ConfusionMatrix.FromPredictions(truth, predicted, classCount);
        var folds = predictions.Select(p => p.Fold).Distinct().Order().ToArray();
        for (var k = 0; k < classCount; k++)
        {
            long tp = cm.TruePositives(k), fn = cm.FalseNegatives(k), fp = cm.FalsePositives(k), tn = cm.TrueNegatives(k);
            var scores = rows.Select(r => r[k]).ToArray();
            var positive = truth.Select(t => t == k).ToArray();
            var roc = BinaryCurves.Roc(scores, positive);
            var pr = BinaryCurves.PrecisionRecall(scores, positive);
            var perFold = folds.Select(f =>
            {
                var members = Enumerable.Range(0, truth.Length).Where(i => predictions[i].Fold == f).ToArray();
                var s = members.Select(i => scores[i]).ToArray();
                var y = members.Select(i => positive[i]).ToArray();
                return (Auc: BinaryCurves.Roc(s, y).Auc, Ap: BinaryCurves.PrecisionRecall(s, y).AveragePrecision);
            }).ToList();
            evidence.PerClass.Add(new ClassEvidence
            {
                Tpr = RateOf(tp, tp + fn, confidence),
                Tnr = RateOf(tn, tn + fp, confidence),
                Ppv = RateOf(tp, tp + fp, confidence),
                Npv = RateOf(tn, tn + fn, confidence),
                F1 = new Estimate(point[4 + k], intervals[4 + k]),
                Auc = MeanSd.Of(perFold.Select(f => f.Auc).Where(double.IsFinite).ToList()),
                AveragePrecision = MeanSd.Of(perFold.Select(f => f.Ap).Where(double.IsFinite).ToList()),
                Roc = new RocCurve { FalsePositiveRate = roc.FalsePositiveRate, TruePositiveRate = roc.TruePositiveRate, Auc = roc.Auc },
                PrecisionRecall = new PrecisionRecallCurve { Recall = pr.Recall, Precision = pr.Precision, AveragePrecision = pr.AveragePrecision },
            });
            Thin(evidence.PerClass[^1]);
        }

        var confidences = rows.Select((r, i) => r[predicted[i]]).ToArray();
        var itemFolds = predictions.Select(p => p.Fold).ToArray();
        foreach (var target in PrecisionThresholds.DefaultTargets)
        {
            for (var k = 0; k < classCount; k++)
                evidence.Thresholds.Add(PrecisionThresholds.CrossValidate(truth, predicted, confidences, itemFolds, k, target, confidence));
        }
        return evidence;
    }

    /// <summary>Accuracy, macro-F1, balanced accuracy, log loss, then each class's F1, over the items <paramref name="sample"/> lists.</summary>
    static double[] Figures(int[] sample, int[] truth, int[] predicted, double[][] rows, int classCount)
    {
        var counts = new long[classCount, classCount];
        double logLoss = 0;
        foreach (var i in sample)
        {
            counts[truth[i], predicted[i]]++;
            logLoss -= Math.Log(Math.Clamp(rows[i][truth[i]], ClassificationMetrics.LogLossEpsilon, 1.0));
        }
        var cm = new ConfusionMatrix(classCount);
        Array.Copy(counts, cm.Counts, counts.Length);
        var m = ClassificationMetrics.FromConfusion(cm);
        var figures = new double[4 + classCount];
        figures[0] = m.Accuracy;
        figures[1] = m.MacroF1;
        figures[2] = m.BalancedAccuracy;
        figures[3] = logLoss / sample.Length;
        for (var k = 0; k < classCount; k++)
            figures[4 + k] = m.PerClass[k].Support == 0 ? double.NaN : m.PerClass[k].F1;
        return figures;
    }

    static Rate RateOf(long successes, long trials, double confidence) =>
        new(successes, trials, trials == 0 ? double.NaN : (double)successes / trials, Wilson.Interval(successes, trials, confidence));

    static void Thin(ClassEvidence c)
    {
        (c.Roc.FalsePositiveRate, c.Roc.TruePositiveRate) = Thin(c.Roc.FalsePositiveRate, c.Roc.TruePositiveRate);
        (c.PrecisionRecall.Recall, c.PrecisionRecall.Precision) = Thin(c.PrecisionRecall.Recall, c.PrecisionRecall.Precision);
    }

    static (double[] X, double[] Y) Thin(double[] x, double[] y)
    {
        if (x.Length <= MaxCurvePoints)
            return (x, y);
        var keep = Enumerable.Range(0, MaxCurvePoints).Select(j => (int)Math.Round((double)j * (x.Length - 1) / (MaxCurvePoints - 1))).Distinct().ToArray();
        return (keep.Select(i => x[i]).ToArray(), keep.Select(i => y[i]).ToArray());
    }

    static List<BaselineResult> Baselines(BenchmarkResult result)
    {
        var classCount = result.Dataset.ClassNames.Count;
        var items = result.Items;
        if (items.Count == 0 || classCount < 2)
            return [];
        var folds = items.Select(i => i.Fold).Distinct().Order().ToArray();
        var majority = new List<ClassificationMetrics>();
        var stratified = new List<(double Accuracy, double MacroF1, double Balanced, double LogLoss)>();
        var majorityClasses = new SortedSet<int>();
        long majorityRight = 0;
        foreach (var f in folds)
        {
            var test = items.Where(i => i.Fold == f).Select(i => i.Label).ToArray();
            var train = items.Where(i => i.Fold != f).Select(i => i.Label).ToArray();
            var shares = new double[classCount];
            foreach (var label in train)
                shares[label] += 1.0 / train.Length;
            var top = ModelResultBuilder.Decide(shares);
            majorityClasses.Add(top);
            var metrics = ClassificationMetrics.Compute(test, Enumerable.Repeat(top, test.Length).ToArray(), null, classCount);
            majority.Add(metrics);
            majorityRight += test.Count(t => t == top);

            // Guessing class k with its training share q_k: expected TP_k = n_k q_k, so F1_k = 2 n_k q_k / (n_k + N q_k).
            double n = test.Length, accuracy = 0, f1 = 0, balanced = 0, logLoss = 0;
            var present = 0;
            for (var k = 0; k < classCount; k++)
            {
                var nk = test.Count(t => t == k);
                accuracy += nk / n * shares[k];
                if (nk == 0)
                    continue;
                present++;
                balanced += shares[k];
                f1 += nk + n * shares[k] == 0 ? 0 : 2 * nk * shares[k] / (nk + n * shares[k]);
                logLoss -= nk * Math.Log(Math.Clamp(shares[k], ClassificationMetrics.LogLossEpsilon, 1.0));
            }
            stratified.Add((accuracy, f1 / present, balanced / present, logLoss / n));
        }
        var names = string.Join(", ", majorityClasses.Select(k => $"'{result.Dataset.ClassNames[k]}'"));
        return
        [
            new BaselineResult
            {
                Name = "majority",
                Description = $"always the largest class of the training folds ({names})",
                Accuracy = MeanSd.Of(majority.Select(m => m.Accuracy).ToList()),
                MacroF1 = MeanSd.Of(majority.Select(m => m.MacroF1).ToList()),
                BalancedAccuracy = MeanSd.Of(majority.Select(m => m.BalancedAccuracy).ToList()),
                LogLoss = new MeanSd(double.NaN, double.NaN, 0),
                PooledAccuracy = (double)majorityRight / items.Count,
            },
            new BaselineResult
            {
                Name = "stratified",
                Description = "random guessing at the training folds' class shares (expected values; log loss of predicting the shares)",
                Accuracy = MeanSd.Of(stratified.Select(s => s.Accuracy).ToList()),
                MacroF1 = MeanSd.Of(stratified.Select(s => s.MacroF1).ToList()),
                BalancedAccuracy = MeanSd.Of(stratified.Select(s => s.Balanced).ToList()),
                LogLoss = MeanSd.Of(stratified.Select(s => s.LogLoss).ToList()),
                PooledAccuracy = folds.Sum(f => stratified[Array.IndexOf(folds, f)].Accuracy * items.Count(i => i.Fold == f)) / items.Count,
            },
        ];
    }

    static List<PairwiseComparison> Comparisons(BenchmarkResult result, double confidence)
    {
        var models = result.Models;
        var ratio = TestTrainRatio(result);
        var comparisons = new List<PairwiseComparison>();
        for (var a = 0; a < models.Count; a++)
        {
            for (var b = a + 1; b < models.Count; b++)
            {
                var (truth, first, second) = Paired(models[a], models[b], _ => true);
                comparisons.Add(new PairwiseComparison
                {
                    First = models[a].Name,
                    Second = models[b].Name,
                    McNemar = McNemar.Exact(truth, first, second),
                    Accuracy = FoldTestOf(models[a], models[b], m => m.Accuracy, ratio, confidence),
                    MacroF1 = FoldTestOf(models[a], models[b], m => m.MacroF1, ratio, confidence),
                    BalancedAccuracy = FoldTestOf(models[a], models[b], m => m.BalancedAccuracy, ratio, confidence),
                    LogLoss = FoldTestOf(models[a], models[b], m => m.LogLoss, ratio, confidence),
                });
            }
        }
        var mcnemar = Holm.Adjust(comparisons.Select(c => c.McNemar.PValue).ToList());
        for (var i = 0; i < comparisons.Count; i++)
            comparisons[i].McNemarAdjustedP = mcnemar[i];
        foreach (var test in new Func<PairwiseComparison, FoldTest>[] { c => c.Accuracy, c => c.MacroF1, c => c.BalancedAccuracy, c => c.LogLoss })
        {
            var adjusted = Holm.Adjust(comparisons.Select(c => test(c).PValue).ToList());
            for (var i = 0; i < comparisons.Count; i++)
                test(comparisons[i]).AdjustedP = adjusted[i];
        }
        foreach (var c in comparisons)
            (c.Better, c.Verdict) = Verdict(c, 1 - confidence, comparisons.Count > 1);
        return comparisons;
    }

    /// <summary>Test items over training items, averaged over folds (1/(k − 1) for equal folds).</summary>
    static double TestTrainRatio(BenchmarkResult result)
    {
        var n = result.Items.Count;
        var sizes = result.Items.GroupBy(i => i.Fold).Select(g => g.Count()).ToList();
        return sizes.Count == 0 || n == 0 ? 0 : sizes.Average(s => (double)s / Math.Max(1, n - s));
    }

    /// <summary>The items both models predicted, with the truth and both predictions, restricted to those <paramref name="include"/> accepts.</summary>
    static (int[] Truth, int[] First, int[] Second) Paired(ModelResult a, ModelResult b, Func<Prediction, bool> include)
    {
        var other = b.Predictions.ToDictionary(p => p.Item);
        var pairs = a.Predictions.Where(p => include(p) && other.ContainsKey(p.Item)).Select(p => (p, q: other[p.Item])).ToList();
        return (pairs.Select(x => x.p.TrueLabel).ToArray(), pairs.Select(x => x.p.PredictedLabel).ToArray(), pairs.Select(x => x.q.PredictedLabel).ToArray());
    }

    static FoldTest FoldTestOf(ModelResult a, ModelResult b, Func<ClassificationMetrics, double> figure, double ratio, double confidence)
    {
        var second = b.Folds.ToDictionary(f => f.Fold);
        var differences = a.Folds.Where(f => second.ContainsKey(f.Fold)).Select(f => figure(f.Metrics) - figure(second[f.Fold].Metrics)).ToList();
        var t = CorrectedTTest.Compute(differences, ratio, confidence);
        return new FoldTest { MeanDifference = t.MeanDifference, Interval = t.Confidence, T = t.T, DegreesOfFreedom = t.DegreesOfFreedom, PValue = t.PValue, AdjustedP = t.PValue };
    }

    static (string? Better, string Sentence) Verdict(PairwiseComparison c, double alpha, bool holm)
    {
        var m = c.McNemar;
        var adjusted = holm ? ", Holm-adjusted" : "";
        var f1 = c.MacroF1;
        var f1Text = string.Create(Inv, $"macro-F1 differs by {Signed(f1.MeanDifference)} ({(holm ? "unadjusted " : "")}{Ci(f1.Interval)}, corrected t-test p {P(f1.AdjustedP)}{adjusted})");
        var disagree = string.Create(Inv, $"where they disagree, {c.First} alone is right on {m.OnlyFirstCorrect} items and {c.Second} alone on {m.OnlySecondCorrect} (exact McNemar p {P(c.McNemarAdjustedP)}{adjusted})");
        if (c.McNemarAdjustedP < alpha && m.OnlyFirstCorrect != m.OnlySecondCorrect)
        {
            var firstBetter = m.OnlyFirstCorrect > m.OnlySecondCorrect;
            var (better, worse) = firstBetter ? (c.First, c.Second) : (c.Second, c.First);
            var f1Agrees = f1.AdjustedP < alpha && (f1.MeanDifference > 0) == firstBetter;
            var f1Disagrees = f1.AdjustedP < alpha && (f1.MeanDifference > 0) != firstBetter;
            var tail = f1Agrees ? $"and its {f1Text} in its favour" : f1Disagrees ? $"but {worse}'s macro-F1 is higher: {f1Text}" : $"while the folds cannot tell their macro-F1 apart: {f1Text}";
            return (better, $"{better} is more accurate than {worse}, with {Strength(c.McNemarAdjustedP)}: {disagree}, {tail}.");
        }
        if (f1.AdjustedP < alpha && f1.MeanDifference != 0)
        {
            var (better, worse) = f1.MeanDifference > 0 ? (c.First, c.Second) : (c.Second, c.First);
            return (better, $"{better} has the higher macro-F1, with {Strength(f1.AdjustedP)} ({c.First} minus {c.Second}: {f1Text}), but their accuracy does not differ significantly: {disagree}.");
        }
        return (null, $"The data cannot tell {c.First} and {c.Second} apart: {disagree}, and {f1Text}.");
    }

    static string Strength(double p) => p < 0.001 ? "very strong evidence" : p < 0.01 ? "strong evidence" : "moderate evidence";

    /// <summary>"= 0.017" or "&lt; 0.001", for a sentence.</summary>
    public static string P(double p) => double.IsNaN(p) ? "n/a" : p < 0.001 ? "< 0.001" : "= " + p.ToString("F3", Inv);

    static string Signed(double value) => double.IsNaN(value) ? "n/a" : (value >= 0 ? "+" : "−") + Math.Abs(value).ToString("F3", Inv);

    static string Ci(Interval i) => i.IsDefined ? $"95 % CI {Signed(i.Lower)} to {Signed(i.Upper)}" : "no interval from fewer than two folds";

    static List<SignificantBest> Best(BenchmarkResult result, List<PairwiseComparison> comparisons, double confidence)
    {
        var alpha = 1 - confidence;
        var models = result.Models;
        var best = new List<SignificantBest>
        {
            Winner(comparisons, "accuracy", null, "exact McNemar on the pooled predictions, Holm-adjusted, against every other model",
                c => (c.McNemarAdjustedP, c.McNemar.OnlyFirstCorrect - c.McNemar.OnlySecondCorrect)),
            Winner(comparisons, "macro_f1", null, "corrected resampled t-test across folds, Holm-adjusted, against every other model", c => (c.MacroF1.AdjustedP, c.MacroF1.MeanDifference)),
            Winner(comparisons, "balanced_accuracy", null, "corrected resampled t-test across folds, Holm-adjusted, against every other model",
                c => (c.BalancedAccuracy.AdjustedP, c.BalancedAccuracy.MeanDifference)),
            Winner(comparisons, "log_loss", null, "corrected resampled t-test across folds, Holm-adjusted, against every other model", c => (c.LogLoss.AdjustedP, -c.LogLoss.MeanDifference)),
        };
        for (var k = 0; k < result.Dataset.ClassNames.Count; k++)
        {
            var cls = k;
            best.Add(PairedPerClass("TPR", cls, p => p.TrueLabel == cls, p => p.PredictedLabel == cls));
            best.Add(PairedPerClass("TNR", cls, p => p.TrueLabel != cls, p => p.PredictedLabel != cls));
            best.Add(NonOverlapping("PPV", cls, e => e.PerClass[cls].Ppv.Interval, e => e.PerClass[cls].Ppv.Value, "Wilson"));
            best.Add(NonOverlapping("NPV", cls, e => e.PerClass[cls].Npv.Interval, e => e.PerClass[cls].Npv.Value, "Wilson"));
            best.Add(NonOverlapping("F1", cls, e => e.PerClass[cls].F1.Interval, e => e.PerClass[cls].F1.Value, "bootstrap"));
        }
        return best;

        // The model whose every pairwise test is significant in its favour; test returns (adjusted p, difference first minus second, positive = first better).
        SignificantBest Winner(List<PairwiseComparison> pairs, string figure, int? cls, string basis, Func<PairwiseComparison, (double P, double Difference)> test)
        {
            foreach (var candidate in models.Select(m => m.Name))
            {
                var mine = pairs.Where(c => c.First == candidate || c.Second == candidate).ToList();
                var wins = mine.All(c =>
                {
                    var (p, difference) = test(c);
                    return p < alpha && (c.First == candidate ? difference > 0 : difference < 0);
                });
                if (mine.Count > 0 && wins)
                    return new SignificantBest { Figure = figure, Class = cls, Model = candidate, Basis = basis };
            }
            return new SignificantBest { Figure = figure, Class = cls, Model = null, Basis = basis };
        }

        SignificantBest PairedPerClass(string figure, int cls, Func<Prediction, bool> include, Func<Prediction, bool> right)
        {
            var tests = new List<(string First, string Second, double P, int Difference)>();
            for (var a = 0; a < models.Count; a++)
            {
                for (var b = a + 1; b < models.Count; b++)
                {
                    var other = models[b].Predictions.ToDictionary(p => p.Item);
                    int x = 0, y = 0;
                    foreach (var p in models[a].Predictions.Where(p => include(p) && other.ContainsKey(p.Item)))
                    {
                        bool r1 = right(p), r2 = right(other[p.Item]);
                        if (r1 && !r2)
                            x++;
                        else if (r2 && !r1)
                            y++;
                    }
                    tests.Add((models[a].Name, models[b].Name, McNemar.Exact(x, y).PValue, x - y));
                }
            }
            var adjusted = Holm.Adjust(tests.Select(t => t.P).ToList());
            var pairs = tests.Select((t, i) => new PairwiseComparison { First = t.First, Second = t.Second, McNemarAdjustedP = adjusted[i], McNemar = new McNemarResult(Math.Max(0, t.Difference), Math.Max(0, -t.Difference), t.P) }).ToList();
            return Winner(pairs, figure, cls, "exact McNemar on the class's items, Holm-adjusted, against every other model",
                c => (c.McNemarAdjustedP, c.McNemar.OnlyFirstCorrect - c.McNemar.OnlySecondCorrect));
        }

        SignificantBest NonOverlapping(string figure, int cls, Func<ModelEvidence, Interval> interval, Func<ModelEvidence, double> value, string kind)
        {
            var basis = $"its {kind} interval lies above every other model's";
            var scored = models.Where(m => m.Evidence is not null && m.Evidence.PerClass.Count > cls)
                .Select(m => (m.Name, Value: value(m.Evidence!), Interval: interval(m.Evidence!))).ToList();
            var top = scored.Where(s => double.IsFinite(s.Value)).OrderByDescending(s => s.Value).FirstOrDefault();
            var clear = top.Name is not null && top.Interval.IsDefined && scored.Count == models.Count
                && scored.Where(s => s.Name != top.Name).All(s => s.Interval.IsDefined && s.Interval.Upper < top.Interval.Lower);
            return new SignificantBest { Figure = figure, Class = cls, Model = clear ? top.Name : null, Basis = basis };
        }
    }

    static List<ReviewWarning> Warnings(BenchmarkResult result, EvidenceSummary summary, double confidence)
    {
        var warnings = new List<ReviewWarning>();
        var classes = result.Dataset.ClassNames;
        var majority = summary.Baselines.FirstOrDefault(b => b.Name == "majority");
        foreach (var model in result.Models)
        {
            EpochCap(model, warnings);
            SmallValidation(model, classes, warnings);
            WideIntervals(model, classes, confidence, warnings);
            if (majority is not null && model.Evidence is { } e && !(e.Accuracy.Interval.Lower > majority.PooledAccuracy))
            {
                var folds = model.Folds.Where(f => f.Metrics.Accuracy <= MajorityAccuracy(result, f.Fold)).Select(f => f.Fold).ToList();
                warnings.Add(new ReviewWarning
                {
                    Kind = "below-baseline",
                    Model = model.Name,
                    Folds = folds,
                    Message = string.Create(Inv,
                        $"{model.Name}: accuracy {e.Accuracy.Value:F3} (95 % CI {e.Accuracy.Interval.Lower:F3}–{e.Accuracy.Interval.Upper:F3}) does not clear the majority baseline's {majority.PooledAccuracy:F3}, {majority.Description}{(folds.Count == 0 ? "" : $"; at or below it in {FoldList(folds)}")}."),
                });
            }
        }
        return warnings;
    }

    static double MajorityAccuracy(BenchmarkResult result, int fold)
    {
        var train = result.Items.Where(i => i.Fold != fold).GroupBy(i => i.Label).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).FirstOrDefault()?.Key ?? 0;
        var test = result.Items.Where(i => i.Fold == fold).ToList();
        return test.Count == 0 ? double.NaN : (double)test.Count(i => i.Label == train) / test.Count;
    }

    static void EpochCap(ModelResult model, List<ReviewWarning> warnings)
    {
        var hits = new List<(int Fold, double From, double To, int Epochs)>();
        foreach (var f in model.Folds)
        {
            if (!RanToCap(f.Training.Facts))
                continue;
            if (!f.Training.Curves.TryGetValue("val_loss", out var loss) || loss.Length < 2)
                continue;
            var window = loss.TakeLast(Math.Min(FallingWindow, loss.Length)).ToArray();
            if (Slope(window) < 0)
                hits.Add((f.Fold, window[0], window[^1], loss.Length));
        }
        if (hits.Count == 0)
            return;
        var detail = string.Join("; ", hits.Select(h => string.Create(Inv, $"fold {h.Fold + 1}: {h.From:F3} → {h.To:F3} over its last {Math.Min(FallingWindow, h.Epochs)} epochs")));
        warnings.Add(new ReviewWarning
        {
            Kind = "epoch-cap",
            Model = model.Name,
            Folds = hits.Select(h => h.Fold).ToList(),
            Message = string.Create(Inv, $"{model.Name}: training stopped at the epoch cap with the validation loss still falling in {FoldList(hits.Select(h => h.Fold))} ({detail}); the network may be under-trained, so allow more epochs (--epochs)."),
        });
    }

    /// <summary>Whether a fit used every epoch it was allowed: a LipNet says so; a transfer head's epochs run equal its cap.</summary>
    static bool RanToCap(Dictionary<string, string> facts)
    {
        if (facts.TryGetValue("stopped_early", out var early))
            return early == "false";
        return facts.TryGetValue("epochs_run", out var run) && facts.TryGetValue("max_epochs", out var cap) && run == cap;
    }

    static void SmallValidation(ModelResult model, List<string> classes, List<ReviewWarning> warnings)
    {
        var hits = new List<(int Fold, string Text)>();
        foreach (var f in model.Folds)
        {
            if (!f.Training.Facts.TryGetValue(ValidationClassCountsFact, out var text))
                continue;
            var counts = text.Split(',').Select(s => int.TryParse(s.Trim(), NumberStyles.Integer, Inv, out var n) ? n : -1).ToArray();
            var small = Enumerable.Range(0, Math.Min(counts.Length, classes.Count)).Where(k => counts[k] >= 0 && counts[k] < SmallValidationClass).ToList();
            if (small.Count > 0)
                hits.Add((f.Fold, string.Join(", ", small.Select(k => string.Create(Inv, $"{counts[k]} of '{classes[k]}'")))));
        }
        if (hits.Count == 0)
            return;
        warnings.Add(new ReviewWarning
        {
            Kind = "small-validation-class",
            Model = model.Name,
            Folds = hits.Select(h => h.Fold).ToList(),
            Message = string.Create(Inv, $"{model.Name}: the validation split that chose the epoch holds fewer than {SmallValidationClass} images of a class in {FoldList(hits.Select(h => h.Fold))} ({string.Join("; ", hits.Select(h => $"fold {h.Fold + 1}: {h.Text}"))}); early stopping then hardly sees that class."),
        });
    }

    static void WideIntervals(ModelResult model, List<string> classes, double confidence, List<ReviewWarning> warnings)
    {
        for (var k = 0; k < classes.Count; k++)
        {
            var hits = new List<(int Fold, long Right, long Support, Interval Interval)>();
            foreach (var f in model.Folds)
            {
                if (k >= f.Metrics.Confusion.Length)
                    continue;
                var support = f.Metrics.Confusion[k].Sum();
                var right = f.Metrics.Confusion[k][k];
                var interval = Wilson.Interval(right, support, confidence);
                if (support == 0 || interval.Width > WideIntervalWidth)
                    hits.Add((f.Fold, right, support, interval));
            }
            if (hits.Count == 0)
                continue;
            var detail = string.Join("; ", hits.Select(h => h.Support == 0
                ? string.Create(Inv, $"fold {h.Fold + 1}: no test images")
                : string.Create(Inv, $"fold {h.Fold + 1}: {h.Right}/{h.Support}, 95 % CI {h.Interval.Lower:F2}–{h.Interval.Upper:F2}")));
            warnings.Add(new ReviewWarning
            {
                Kind = "wide-class-interval",
                Model = model.Name,
                Folds = hits.Select(h => h.Fold).ToList(),
                Message = string.Create(Inv, $"{model.Name}: class '{classes[k]}' has so few test images in {FoldList(hits.Select(h => h.Fold))} that its TPR interval there is wider than {WideIntervalWidth:F1} ({detail}); read its per-fold figures as rough."),
            });
        }
    }

    static string FoldList(IEnumerable<int> folds)
    {
        var list = folds.Select(f => (f + 1).ToString(Inv)).ToList();
        return (list.Count == 1 ? "fold " : "folds ") + string.Join(", ", list);
    }

    /// <summary>Least-squares slope of values against their index.</summary>
    static double Slope(double[] values)
    {
        var n = values.Length;
        var meanX = (n - 1) / 2.0;
        var meanY = values.Average();
        double num = 0, den = 0;
        for (var i = 0; i < n; i++)
        {
            num += (i - meanX) * (values[i] - meanY);
            den += (i - meanX) * (i - meanX);
        }
        return den == 0 ? 0 : num / den;
    }
}
