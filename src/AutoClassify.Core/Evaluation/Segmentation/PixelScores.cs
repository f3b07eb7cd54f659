namespace AutoClassify.Evaluation.Segmentation;

/// <summary>Pixel-level agreement of two class maps of one image.</summary>
public static class PixelScores
{
    /// <summary>Share of pixels whose predicted class is the true one.</summary>
    public static double Accuracy(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        CheckSameLength(truth.Length, predicted.Length);
        if (truth.IsEmpty)
            return double.NaN;
        var hits = 0;
        for (var i = 0; i < truth.Length; i++)
            hits += truth[i] == predicted[i] ? 1 : 0;
        return (double)hits / truth.Length;
    }

    /// <summary>
    /// Dice (2|A∩B| / (|A| + |B|)) and IoU (|A∩B| / |A∪B|) of every class 0..<paramref name="classCount"/>−1; NaN for a
    /// class that neither map holds (nothing to score).
    /// </summary>
    public static (double[] Dice, double[] IoU) PerClass(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int classCount)
    {
        CheckSameLength(truth.Length, predicted.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        var inTruth = new long[classCount];
        var inPrediction = new long[classCount];
        var both = new long[classCount];
        for (var i = 0; i < truth.Length; i++)
        {
            int t = truth[i], p = predicted[i];
            if ((uint)t >= (uint)classCount || (uint)p >= (uint)classCount)
                throw new ArgumentException($"Pixel {i} holds class {Math.Max(t, p)}, outside 0..{classCount - 1}.");
            inTruth[t]++;
            inPrediction[p]++;
            if (t == p)
                both[t]++;
        }
        var dice = new double[classCount];
        var iou = new double[classCount];
        for (var k = 0; k < classCount; k++)
        {
            var sum = inTruth[k] + inPrediction[k];
            dice[k] = sum == 0 ? double.NaN : 2.0 * both[k] / sum;
            iou[k] = sum == 0 ? double.NaN : (double)both[k] / (sum - both[k]);
        }
        return (dice, iou);
    }

    internal static void CheckSameLength(int truth, int predicted)
    {
        if (truth != predicted)
            throw new ArgumentException($"Truth has {truth} pixels but the prediction {predicted}.");
    }
}

/// <summary>
/// Boundary F1 (Csurka et al. 2013): a boundary pixel is a pixel with a 4-neighbour of another label; a predicted
/// boundary pixel is correct when a true one lies within the tolerance (Euclidean), and vice versa for recall.
/// </summary>
public static class BoundaryScore
{
    /// <summary>The boundary pixels of a label map (class map or instance map): 1 where a 4-neighbour differs.</summary>
    public static bool[] Boundaries(ReadOnlySpan<int> labels, int width, int height)
    {
        if (labels.Length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} labels, got {labels.Length}.");
        var result = new bool[labels.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                if ((x + 1 < width && labels[i + 1] != labels[i]) || (y + 1 < height && labels[i + width] != labels[i]))
                {
                    result[i] = true;
                    if (x + 1 < width && labels[i + 1] != labels[i])
                        result[i + 1] = true;
                    if (y + 1 < height && labels[i + width] != labels[i])
                        result[i + width] = true;
                }
            }
        }
        return result;
    }

    /// <summary>
    /// F1 of boundary precision and recall at <paramref name="tolerance"/> pixels; 1 when neither map has a boundary,
    /// 0 when only one has.
    /// </summary>
    public static (double Precision, double Recall, double F1) Score(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int width, int height, double tolerance = 2)
    {
        PixelScores.CheckSameLength(truth.Length, predicted.Length);
        if (!(tolerance >= 0) || !double.IsFinite(tolerance))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "Tolerance must be a non-negative number of pixels.");
        var t = Boundaries(truth, width, height);
        var p = Boundaries(predicted, width, height);
        var (tp, pCount) = Near(p, t, width, height, tolerance);
        var (tr, tCount) = Near(t, p, width, height, tolerance);
        if (pCount == 0 && tCount == 0)
            return (1, 1, 1);
        if (pCount == 0 || tCount == 0)
            return (pCount == 0 ? double.NaN : 0, tCount == 0 ? double.NaN : 0, 0);
        var precision = (double)tp / pCount;
        var recall = (double)tr / tCount;
        return (precision, recall, precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0);
    }

    // How many pixels of `from` have a pixel of `to` within the tolerance, and how many pixels `from` has.
    static (int Hits, int Count) Near(bool[] from, bool[] to, int width, int height, double tolerance)
    {
        var r = (int)Math.Floor(tolerance);
        var offsets = new List<(int Dx, int Dy)>();
        for (var dy = -r; dy <= r; dy++)
        {
            for (var dx = -r; dx <= r; dx++)
            {
                if ((dx * dx) + (dy * dy) <= tolerance * tolerance)
                    offsets.Add((dx, dy));
            }
        }
        int hits = 0, count = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (!from[(y * width) + x])
                    continue;
                count++;
                foreach (var (dx, dy) in offsets)
                {
                    int nx = x + dx, ny = y + dy;
                    if (nx >= 0 && nx < width && ny >= 0 && ny < height && to[(ny * width) + nx])
                    {
                        hits++;
                        break;
                    }
                }
            }
        }
        return (hits, count);
    }
}
