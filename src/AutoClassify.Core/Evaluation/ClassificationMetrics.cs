using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>One-vs-rest figures of one class in one fold.</summary>
public sealed class ClassMetrics
{
    /// <summary>Sensitivity, recall: TP / (TP + FN).</summary>
    public double Tpr { get; set; }

    /// <summary>Specificity: TN / (TN + FP).</summary>
    public double Tnr { get; set; }

    /// <summary>Precision: TP / (TP + FP).</summary>
    public double Ppv { get; set; }

    /// <summary>Negative predictive value: TN / (TN + FN).</summary>
    public double Npv { get; set; }

    /// <summary>2 TP / (2 TP + FP + FN).</summary>
    public double F1 { get; set; }

    /// <summary>Items of this class in the fold's test set.</summary>
    public long Support { get; set; }

    /// <summary>Names of the figures whose denominator was zero and that were therefore set to 0 (e.g. <c>PPV</c>).</summary>
    public List<string> Undefined { get; set; } = [];
}

/// <summary>
/// The classification figures of one fold, computed from its test items.
/// </summary>
/// <remarks>
/// Zero division: a ratio whose denominator is zero (e.g. PPV of a class that was never predicted) is 0,
/// as scikit-learn's <c>zero_division=0</c>, and its name is listed in <see cref="ClassMetrics.Undefined"/>
/// so a report can flag it. Macro-F1 and balanced accuracy average over the classes present in the fold's
/// truth (scikit-learn's balanced accuracy does the same); with stratified folds that is every class.
/// </remarks>
public sealed class ClassificationMetrics
{
    /// <summary>Probabilities are clipped to this before the logarithm so one confident mistake stays finite.</summary>
    public const double LogLossEpsilon = 1e-15;

    /// <summary>Per class, indexed like the class names.</summary>
    public List<ClassMetrics> PerClass { get; set; } = [];

    public double Accuracy { get; set; }

    /// <summary>Unweighted mean of the per-class F1 over classes present in the truth.</summary>
    public double MacroF1 { get; set; }

    /// <summary>Mean TPR over classes present in the truth.</summary>
    public double BalancedAccuracy { get; set; }

    /// <summary>Mean of −ln p(true class), p clipped to [1e-15, 1]; NaN when no probabilities were given.</summary>
    public double LogLoss { get; set; }

    /// <summary>Test items in the fold.</summary>
    public long Count { get; set; }

    /// <summary>Raw counts, <c>Confusion[true][predicted]</c>.</summary>
    public long[][] Confusion { get; set; } = [];

    /// <summary>Computes every figure of one fold.</summary>
    /// <param name="truth">True class of each test item.</param>
    /// <param name="predicted">Predicted class of each test item.</param>
    /// <param name="probabilities">Class probabilities of each test item, or null to leave <see cref="LogLoss"/> NaN.</param>
    /// <param name="classCount">Number of classes (at least 2).</param>
    public static ClassificationMetrics Compute(
        IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<double[]>? probabilities, int classCount)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (truth.Count == 0)
            throw new ArgumentException("A fold needs at least one test item.", nameof(truth));
        CheckLabels(truth, classCount, nameof(truth));
        CheckLabels(predicted, classCount, nameof(predicted));

        var cm = ConfusionMatrix.FromPredictions(truth, predicted, classCount);
        var result = FromConfusion(cm);
        result.LogLoss = probabilities is null ? double.NaN : ComputeLogLoss(truth, probabilities, classCount);
        return result;
    }

    /// <summary>All figures except log loss (NaN), from a confusion matrix.</summary>
    public static ClassificationMetrics FromConfusion(ConfusionMatrix cm)
    {
        ArgumentNullException.ThrowIfNull(cm);
        var result = new ClassificationMetrics
        {
            Count = cm.Total,
            Accuracy = cm.Accuracy(),
            LogLoss = double.NaN,
            Confusion = ToJagged(cm.Counts),
        };

        double tprSum = 0, f1Sum = 0;
        var present = 0;
        for (var k = 0; k < cm.ClassCount; k++)
        {
            long tp = cm.TruePositives(k), fn = cm.FalseNegatives(k), fp = cm.FalsePositives(k), tn = cm.TrueNegatives(k);
            var m = new ClassMetrics { Support = tp + fn };
            m.Tpr = Ratio(tp, tp + fn, "TPR", m.Undefined);
            m.Tnr = Ratio(tn, tn + fp, "TNR", m.Undefined);
            m.Ppv = Ratio(tp, tp + fp, "PPV", m.Undefined);
            m.Npv = Ratio(tn, tn + fn, "NPV", m.Undefined);
            m.F1 = Ratio(2 * tp, 2 * tp + fp + fn, "F1", m.Undefined);
            result.PerClass.Add(m);
            if (m.Support > 0)
            {
                tprSum += m.Tpr;
                f1Sum += m.F1;
                present++;
            }
        }
        result.MacroF1 = present == 0 ? double.NaN : f1Sum / present;
        result.BalancedAccuracy = present == 0 ? double.NaN : tprSum / present;
        return result;
    }

    /// <summary>Multi-class log loss: mean of −ln(max(p[true], 1e-15)).</summary>
    public static double ComputeLogLoss(IReadOnlyList<int> truth, IReadOnlyList<double[]> probabilities, int classCount)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (truth.Count != probabilities.Count)
            throw new ArgumentException($"{truth.Count} true labels but {probabilities.Count} probability rows.", nameof(probabilities));
        if (truth.Count == 0)
            return double.NaN;
        double sum = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            var row = probabilities[i] ?? throw new ArgumentException($"Probability row {i} is null.", nameof(probabilities));
            if (row.Length != classCount)
                throw new ArgumentException($"Probability row {i} has {row.Length} entries, expected {classCount}.", nameof(probabilities));
            var p = row[truth[i]];
            if (double.IsNaN(p))
                throw new ArgumentException($"Probability row {i} contains NaN.", nameof(probabilities));
            sum -= Math.Log(Math.Clamp(p, LogLossEpsilon, 1.0));
        }
        return sum / truth.Count;
    }

    /// <summary>Each row divided by its sum (a row with no items stays all zero).</summary>
    public static double[][] RowNormalize(long[][] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var result = new double[counts.Length][];
        for (var t = 0; t < counts.Length; t++)
        {
            var row = counts[t];
            var sum = row.Sum();
            result[t] = row.Select(c => sum == 0 ? 0.0 : (double)c / sum).ToArray();
        }
        return result;
    }

    static double Ratio(long numerator, long denominator, string name, List<string> undefined)
    {
        if (denominator != 0)
            return (double)numerator / denominator;
        undefined.Add(name);
        return 0;
    }

    static void CheckLabels(IReadOnlyList<int> labels, int classCount, string parameter)
    {
        for (var i = 0; i < labels.Count; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(parameter, $"Label {labels[i]} at position {i} is outside 0..{classCount - 1}.");
        }
    }

    static long[][] ToJagged(long[,] counts)
    {
        var n = counts.GetLength(0);
        var result = new long[n][];
        for (var t = 0; t < n; t++)
        {
            result[t] = new long[counts.GetLength(1)];
            for (var p = 0; p < result[t].Length; p++)
                result[t][p] = counts[t, p];
        }
        return result;
    }
}
