namespace AutoClassify.Evaluation.Statistics;

/// <summary>A class's confidence threshold for a target precision, chosen fold by fold and scored on the held-out fold.</summary>
public sealed class ClassThreshold
{
    public int Class { get; set; }

    public double TargetPrecision { get; set; }

    /// <summary>The threshold chosen on every out-of-fold prediction (what a deployed model would use); NaN when no threshold reaches the target.</summary>
    public double Threshold { get; set; }

    /// <summary>Per fold, the threshold chosen on the other folds' predictions; NaN when none reached the target there.</summary>
    public List<double> FoldThresholds { get; set; } = [];

    /// <summary>Held-out items predicted as the class, over all folds.</summary>
    public long Predicted { get; set; }

    /// <summary>Of those, the ones at or above their fold's threshold (answered, not abstained).</summary>
    public long Answered { get; set; }

    /// <summary>Of the answered, the ones whose true class is this class.</summary>
    public long Correct { get; set; }

    /// <summary>Answered over predicted: the share of this class's predictions a user would still get.</summary>
    public double Coverage { get; set; }

    /// <summary>Correct over answered, on held-out folds, with its Wilson interval.</summary>
    public double Precision { get; set; }

    public Interval PrecisionInterval { get; set; }
}

/// <summary>
/// Per-class confidence thresholds that reach a target precision (PPV) without flattering themselves: for each fold,
/// the threshold is chosen on the other folds' out-of-fold predictions and then applied to the held-out fold, so the
/// reported precision and coverage are those of a threshold that never saw the items it scores.
/// </summary>
public static class PrecisionThresholds
{
    /// <summary>Precision targets the report shows.</summary>
    public static IReadOnlyList<double> DefaultTargets { get; } = [0.90, 0.95, 0.99];

    /// <summary>
    /// The lowest confidence t such that the items predicted as the class with confidence ≥ t are right at least
    /// <paramref name="target"/> of the time (so the most items are kept); NaN when no t reaches it.
    /// </summary>
    /// <param name="confidence">Confidence of each item predicted as the class.</param>
    /// <param name="correct">Whether each of those items truly is the class.</param>
    /// <param name="target">The precision to reach, in (0, 1].</param>
    public static double Choose(IReadOnlyList<double> confidence, IReadOnlyList<bool> correct, double target)
    {
        ArgumentNullException.ThrowIfNull(confidence);
        ArgumentNullException.ThrowIfNull(correct);
        if (confidence.Count != correct.Count)
            throw new ArgumentException($"{confidence.Count} confidences but {correct.Count} outcomes.");
        if (!(target > 0 && target <= 1))
            throw new ArgumentOutOfRangeException(nameof(target), target, "The target precision must lie in (0, 1].");
        var order = Enumerable.Range(0, confidence.Count).OrderByDescending(i => confidence[i]).ToArray();
        var best = double.NaN;
        long kept = 0, right = 0;
        for (var j = 0; j < order.Length; j++)
        {
            kept++;
            if (correct[order[j]])
                right++;
            // Tied confidences enter together: a threshold cannot split them.
            if (j < order.Length - 1 && confidence[order[j + 1]] == confidence[order[j]])
                continue;
            if ((double)right / kept >= target)
                best = confidence[order[j]];
        }
        return best;
    }

    /// <summary>The cross-validated threshold of class <paramref name="cls"/> for <paramref name="target"/> precision.</summary>
    /// <param name="truth">True class of every out-of-fold item.</param>
    /// <param name="predicted">Predicted class of every item.</param>
    /// <param name="confidence">Probability of the predicted class of every item.</param>
    /// <param name="folds">Test fold of every item.</param>
    /// <param name="cls">The class whose predictions are thresholded.</param>
    /// <param name="target">The precision to reach.</param>
    /// <param name="confidenceLevel">Level of the Wilson interval of the held-out precision.</param>
    public static ClassThreshold CrossValidate(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<double> confidence,
        IReadOnlyList<int> folds, int cls, double target, double confidenceLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(confidence);
        ArgumentNullException.ThrowIfNull(folds);
        if (predicted.Count != truth.Count || confidence.Count != truth.Count || folds.Count != truth.Count)
            throw new ArgumentException("Truth, predictions, confidences and folds must have one entry per item.");
        var mine = Enumerable.Range(0, truth.Count).Where(i => predicted[i] == cls).ToArray();
        double ChooseOn(IEnumerable<int> items)
        {
            var list = items.ToArray();
            return Choose(list.Select(i => confidence[i]).ToArray(), list.Select(i => truth[i] == cls).ToArray(), target);
        }

        var result = new ClassThreshold { Class = cls, TargetPrecision = target, Threshold = ChooseOn(mine) };
        foreach (var f in folds.Distinct().Order())
        {
            var threshold = ChooseOn(mine.Where(i => folds[i] != f));
            result.FoldThresholds.Add(threshold);
            foreach (var i in mine.Where(i => folds[i] == f))
            {
                result.Predicted++;
                if (double.IsNaN(threshold) || confidence[i] < threshold)
                    continue;
                result.Answered++;
                if (truth[i] == cls)
                    result.Correct++;
            }
        }
        result.Coverage = result.Predicted == 0 ? double.NaN : (double)result.Answered / result.Predicted;
        result.Precision = result.Answered == 0 ? double.NaN : (double)result.Correct / result.Answered;
        result.PrecisionInterval = Wilson.Interval(result.Correct, result.Answered, confidenceLevel);
        return result;
    }
}
