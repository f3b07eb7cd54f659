namespace AutoClassify.Models;

/// <summary>Counts of (true class, predicted class) pairs; rows are true classes.</summary>
public sealed class ConfusionMatrix
{
    public ConfusionMatrix(int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        ClassCount = classCount;
        Counts = new long[classCount, classCount];
    }

    public int ClassCount { get; }

    /// <summary><c>Counts[true, predicted]</c>.</summary>
    public long[,] Counts { get; }

    public long Total
    {
        get
        {
            long n = 0;
            foreach (var c in Counts)
                n += c;
            return n;
        }
    }

    public static ConfusionMatrix FromPredictions(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Count != predicted.Count)
            throw new ArgumentException($"{truth.Count} true labels but {predicted.Count} predictions.");
        var matrix = new ConfusionMatrix(classCount);
        for (var i = 0; i < truth.Count; i++)
            matrix.Counts[truth[i], predicted[i]]++;
        return matrix;
    }

    public void Add(ConfusionMatrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.ClassCount != ClassCount)
            throw new ArgumentException("Confusion matrices of different class counts cannot be added.");
        for (var t = 0; t < ClassCount; t++)
            for (var p = 0; p < ClassCount; p++)
                Counts[t, p] += other.Counts[t, p];
    }

    public long TruePositives(int k) => Counts[k, k];

    public long FalseNegatives(int k) => RowSum(k) - Counts[k, k];

    public long FalsePositives(int k) => ColumnSum(k) - Counts[k, k];

    public long TrueNegatives(int k) => Total - RowSum(k) - ColumnSum(k) + Counts[k, k];

    public long RowSum(int k)
    {
        long s = 0;
        for (var p = 0; p < ClassCount; p++)
            s += Counts[k, p];
        return s;
    }

    public long ColumnSum(int k)
    {
        long s = 0;
        for (var t = 0; t < ClassCount; t++)
            s += Counts[t, k];
        return s;
    }

    public double Accuracy()
    {
        long correct = 0;
        for (var k = 0; k < ClassCount; k++)
            correct += Counts[k, k];
        var total = Total;
        return total == 0 ? double.NaN : (double)correct / total;
    }

    /// <summary>F1 of class k; 0 when the class is neither present nor predicted (scikit-learn's zero_division=0).</summary>
    public double F1(int k)
    {
        var tp = TruePositives(k);
        var denominator = 2 * tp + FalsePositives(k) + FalseNegatives(k);
        return denominator == 0 ? 0 : 2.0 * tp / denominator;
    }

    /// <summary>Unweighted mean of the per-class F1 scores over classes present in the truth.</summary>
    public double MacroF1()
    {
        double sum = 0;
        var present = 0;
        for (var k = 0; k < ClassCount; k++)
        {
            if (RowSum(k) == 0)
                continue;
            sum += F1(k);
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }
}
