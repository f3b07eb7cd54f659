namespace AutoClassify.Evaluation;

/// <summary>A figure over folds: mean and sample standard deviation (n − 1).</summary>
public readonly record struct MeanSd(double Mean, double Sd, int Count)
{
    /// <summary>Mean and sample SD; SD is NaN for fewer than two values, and both are NaN if any value is.</summary>
    public static MeanSd Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var n = values.Count;
        if (n == 0)
            return new MeanSd(double.NaN, double.NaN, 0);
        var mean = values.Sum() / n;
        if (n < 2)
            return new MeanSd(mean, double.NaN, n);
        var squares = values.Sum(v => (v - mean) * (v - mean));
        return new MeanSd(mean, Math.Sqrt(squares / (n - 1)), n);
    }
}

/// <summary>One class's figures over folds.</summary>
public sealed class ClassMetricsSummary
{
    public MeanSd Tpr { get; set; }

    public MeanSd Tnr { get; set; }

    public MeanSd Ppv { get; set; }

    public MeanSd Npv { get; set; }

    public MeanSd F1 { get; set; }

    /// <summary>Test items of this class per fold.</summary>
    public MeanSd Support { get; set; }

    /// <summary>Test items of this class over all folds.</summary>
    public long TotalSupport { get; set; }

    /// <summary>Figures that were undefined (zero denominator, counted as 0) in at least one fold.</summary>
    public List<string> UndefinedInSomeFold { get; set; } = [];
}

/// <summary>A model's figures over the folds of a cross-validation.</summary>
public sealed class AggregatedMetrics
{
    public int Folds { get; set; }

    public List<ClassMetricsSummary> PerClass { get; set; } = [];

    public MeanSd Accuracy { get; set; }

    public MeanSd MacroF1 { get; set; }

    public MeanSd BalancedAccuracy { get; set; }

    public MeanSd LogLoss { get; set; }

    /// <summary>Raw confusion counts summed over folds, <c>[true][predicted]</c>.</summary>
    public long[][] ConfusionSum { get; set; } = [];

    /// <summary>Each fold's row-normalised confusion matrix, averaged over folds: row t is the mean share of class t predicted as each class.</summary>
    public double[][] ConfusionRowNormalizedMean { get; set; } = [];

    /// <summary>Aggregates per-fold metrics; all folds must have the same class count.</summary>
    public static AggregatedMetrics FromFolds(IReadOnlyList<ClassificationMetrics> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        if (folds.Count == 0)
            throw new ArgumentException("At least one fold is needed.", nameof(folds));
        var classCount = folds[0].PerClass.Count;
        if (folds.Any(f => f.PerClass.Count != classCount || f.Confusion.Length != classCount))
            throw new ArgumentException("All folds must have the same number of classes.", nameof(folds));

        var result = new AggregatedMetrics
        {
            Folds = folds.Count,
            Accuracy = Over(folds, f => f.Accuracy),
            MacroF1 = Over(folds, f => f.MacroF1),
            BalancedAccuracy = Over(folds, f => f.BalancedAccuracy),
            LogLoss = Over(folds, f => f.LogLoss),
            ConfusionSum = new long[classCount][],
            ConfusionRowNormalizedMean = new double[classCount][],
        };

        for (var k = 0; k < classCount; k++)
        {
            var perFold = folds.Select(f => f.PerClass[k]).ToList();
            result.PerClass.Add(new ClassMetricsSummary
            {
                Tpr = MeanSd.Of(perFold.Select(m => m.Tpr).ToList()),
                Tnr = MeanSd.Of(perFold.Select(m => m.Tnr).ToList()),
                Ppv = MeanSd.Of(perFold.Select(m => m.Ppv).ToList()),
                Npv = MeanSd.Of(perFold.Select(m => m.Npv).ToList()),
                F1 = MeanSd.Of(perFold.Select(m => m.F1).ToList()),
                Support = MeanSd.Of(perFold.Select(m => (double)m.Support).ToList()),
                TotalSupport = perFold.Sum(m => m.Support),
                UndefinedInSomeFold = perFold.SelectMany(m => m.Undefined).Distinct().Order(StringComparer.Ordinal).ToList(),
            });
            result.ConfusionSum[k] = new long[classCount];
            result.ConfusionRowNormalizedMean[k] = new double[classCount];
        }

        foreach (var fold in folds)
        {
            var normalized = ClassificationMetrics.RowNormalize(fold.Confusion);
            for (var t = 0; t < classCount; t++)
            {
                for (var p = 0; p < classCount; p++)
                {
                    result.ConfusionSum[t][p] += fold.Confusion[t][p];
                    result.ConfusionRowNormalizedMean[t][p] += normalized[t][p] / folds.Count;
                }
            }
        }
        return result;
    }

    static MeanSd Over(IReadOnlyList<ClassificationMetrics> folds, Func<ClassificationMetrics, double> figure) =>
        MeanSd.Of(folds.Select(figure).ToList());
}
