namespace AutoClassify.Evaluation.Statistics;

/// <summary>A receiver operating characteristic: false and true positive rates as the threshold falls.</summary>
public sealed class RocCurve
{
    public double[] FalsePositiveRate { get; set; } = [];

    public double[] TruePositiveRate { get; set; } = [];

    /// <summary>Area under the curve (trapezoids); NaN when the items hold no positive or no negative.</summary>
    public double Auc { get; set; }
}

/// <summary>A precision-recall curve as the threshold falls, and its average precision.</summary>
public sealed class PrecisionRecallCurve
{
    public double[] Recall { get; set; } = [];

    public double[] Precision { get; set; } = [];

    /// <summary>Σ (Rₙ − Rₙ₋₁) Pₙ over thresholds, without interpolation; NaN when there is no positive.</summary>
    public double AveragePrecision { get; set; }
}

/// <summary>
/// ROC and precision-recall curves of one score against a binary truth, as scikit-learn computes them: one point per
/// distinct score (tied items enter together), collinear ROC points dropped (scikit-learn's <c>drop_intermediate</c>).
/// </summary>
public static class BinaryCurves
{
    /// <summary>The ROC curve, starting at (0, 0), and its AUC.</summary>
    public static RocCurve Roc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        var (tps, fps) = Cumulative(scores, positive);
        var p = tps.Count == 0 ? 0 : tps[^1];
        var n = fps.Count == 0 ? 0 : fps[^1];
        if (p == 0 || n == 0)
            return new RocCurve { Auc = double.NaN };

        // scikit-learn's drop_intermediate: a point on a straight segment changes neither the plot nor the area.
        var keep = new List<int>();
        for (var i = 0; i < tps.Count; i++)
        {
            var inner = i > 0 && i < tps.Count - 1;
            if (!inner || (fps[i + 1] - 2 * fps[i] + fps[i - 1]) != 0 || (tps[i + 1] - 2 * tps[i] + tps[i - 1]) != 0)
                keep.Add(i);
        }
        var fpr = new double[keep.Count + 1];
        var tpr = new double[keep.Count + 1];
        for (var j = 0; j < keep.Count; j++)
        {
            fpr[j + 1] = (double)fps[keep[j]] / n;
            tpr[j + 1] = (double)tps[keep[j]] / p;
        }
        double auc = 0;
        for (var j = 1; j < fpr.Length; j++)
            auc += (fpr[j] - fpr[j - 1]) * (tpr[j] + tpr[j - 1]) / 2;
        return new RocCurve { FalsePositiveRate = fpr, TruePositiveRate = tpr, Auc = auc };
    }

    /// <summary>The precision-recall curve from recall 0 (precision 1) down to the lowest score, and the average precision.</summary>
    public static PrecisionRecallCurve PrecisionRecall(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        var (tps, fps) = Cumulative(scores, positive);
        var p = tps.Count == 0 ? 0 : tps[^1];
        if (p == 0)
            return new PrecisionRecallCurve { AveragePrecision = double.NaN };
        var recall = new List<double> { 0 };
        var precision = new List<double> { 1 };
        double ap = 0;
        for (var i = 0; i < tps.Count; i++)
        {
            var r = (double)tps[i] / p;
            var pr = (double)tps[i] / (tps[i] + fps[i]);
            ap += (r - recall[^1]) * pr;
            recall.Add(r);
            precision.Add(pr);
        }
        return new PrecisionRecallCurve { Recall = [.. recall], Precision = [.. precision], AveragePrecision = ap };
    }

    /// <summary>True and false positives above each distinct score, highest score first.</summary>
    static (List<long> Tps, List<long> Fps) Cumulative(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(positive);
        if (scores.Count != positive.Count)
            throw new ArgumentException($"{scores.Count} scores but {positive.Count} labels.");
        if (scores.Any(double.IsNaN))
            throw new ArgumentException("A score is NaN.", nameof(scores));
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        List<long> tps = [], fps = [];
        long tp = 0, fp = 0;
        for (var j = 0; j < order.Length; j++)
        {
            if (positive[order[j]])
                tp++;
            else
                fp++;
            if (j == order.Length - 1 || scores[order[j + 1]] != scores[order[j]])
            {
                tps.Add(tp);
                fps.Add(fp);
            }
        }
        return (tps, fps);
    }
}
