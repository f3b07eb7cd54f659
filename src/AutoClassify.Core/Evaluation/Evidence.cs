using System.Text.Json.Serialization;
using AutoClassify.Evaluation.Statistics;

namespace AutoClassify.Evaluation;

/// <summary>
/// The statistics that let a reader decide between models (<see cref="BenchmarkResult.Evidence"/>): how the intervals
/// were drawn, baselines, paired comparisons, which model is significantly best per figure, and a reviewer's warnings.
/// Computed from the out-of-fold predictions (image level in a tiled run) by <see cref="EvidenceBuilder"/>.
/// </summary>
public sealed class EvidenceSummary
{
    /// <summary>Level of every interval and the significance threshold (1 − level) of every test.</summary>
    public double Confidence { get; set; } = EvidenceBuilder.DefaultConfidence;

    /// <summary>B, the bootstrap replicates behind every bootstrap interval.</summary>
    public int BootstrapReplicates { get; set; }

    /// <summary>Seed of the bootstrap, derived from the run seed.</summary>
    public int BootstrapSeed { get; set; }

    public List<BaselineResult> Baselines { get; set; } = [];

    /// <summary>Every pair of models, in the order the models were given.</summary>
    public List<PairwiseComparison> Comparisons { get; set; } = [];

    /// <summary>Per figure (and class), the model that is significantly better than every other, if any.</summary>
    public List<SignificantBest> Best { get; set; } = [];

    /// <summary>Problems a careful reviewer would raise, each naming the model and the folds.</summary>
    public List<ReviewWarning> Warnings { get; set; } = [];
}

/// <summary>A rule that needs no learning, scored on the same folds: what a model must beat.</summary>
public sealed class BaselineResult
{
    /// <summary><c>majority</c> or <c>stratified</c>.</summary>
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public MeanSd Accuracy { get; set; }

    public MeanSd MacroF1 { get; set; }

    public MeanSd BalancedAccuracy { get; set; }

    /// <summary>Log loss of predicting the training fold's class shares; NaN where the baseline gives no probabilities.</summary>
    public MeanSd LogLoss { get; set; }

    /// <summary>Accuracy over all out-of-fold items (the figure a model's interval is held against).</summary>
    public double PooledAccuracy { get; set; }
}

/// <summary>A figure over the pooled out-of-fold predictions with its bootstrap interval.</summary>
public readonly record struct Estimate(double Value, Interval Interval);

/// <summary>A proportion of counted items with its Wilson interval.</summary>
public readonly record struct Rate(long Successes, long Trials, double Value, Interval Interval);

/// <summary>One model's intervals, ranking curves, calibration and coverage (<see cref="ModelResult.Evidence"/>).</summary>
public sealed class ModelEvidence
{
    /// <summary>Pooled accuracy over all out-of-fold predictions, with its stratified-bootstrap interval.</summary>
    public Estimate Accuracy { get; set; }

    public Estimate MacroF1 { get; set; }

    public Estimate BalancedAccuracy { get; set; }

    public Estimate LogLoss { get; set; }

    public List<ClassEvidence> PerClass { get; set; } = [];

    public CalibrationSummary Calibration { get; set; } = new();

    /// <summary>With <c>--calibrate temperature</c>: calibration of the same predictions before their fold's temperature was applied; null otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public CalibrationSummary? BeforeTemperature { get; set; }

    /// <summary>Accuracy and macro-F1 when answering only the most confident items.</summary>
    public List<CoveragePoint> Coverage { get; set; } = [];

    /// <summary>Per class and target precision, a confidence threshold chosen on other folds and scored on the held-out one.</summary>
    public List<ClassThreshold> Thresholds { get; set; } = [];
}

/// <summary>One class of one model: pooled one-vs-rest rates with Wilson intervals, F1 with a bootstrap interval, and ranking quality.</summary>
public sealed class ClassEvidence
{
    public Rate Tpr { get; set; }

    public Rate Tnr { get; set; }

    public Rate Ppv { get; set; }

    public Rate Npv { get; set; }

    public Estimate F1 { get; set; }

    /// <summary>One-vs-rest ROC AUC of the class's probability, mean ± SD over folds (folds lacking the class left out).</summary>
    public MeanSd Auc { get; set; }

    /// <summary>Average precision of the class's probability, mean ± SD over folds.</summary>
    public MeanSd AveragePrecision { get; set; }

    /// <summary>The ROC curve of the pooled out-of-fold probabilities (for the plot; at most <see cref="EvidenceBuilder.MaxCurvePoints"/> points).</summary>
    public RocCurve Roc { get; set; } = new();

    /// <summary>The precision-recall curve of the pooled out-of-fold probabilities (for the plot).</summary>
    public PrecisionRecallCurve PrecisionRecall { get; set; } = new();
}

/// <summary>A corrected resampled t-test of one figure between two models, with its Holm-adjusted p-value.</summary>
public sealed class FoldTest
{
    /// <summary>Mean over folds of first minus second.</summary>
    public double MeanDifference { get; set; }

    public Interval Interval { get; set; }

    public double T { get; set; }

    public int DegreesOfFreedom { get; set; }

    public double PValue { get; set; }

    /// <summary>Holm-adjusted over all pairs (equal to <see cref="PValue"/> for two models).</summary>
    public double AdjustedP { get; set; }
}

/// <summary>Two models on the same folds.</summary>
public sealed class PairwiseComparison
{
    public string First { get; set; } = "";

    public string Second { get; set; } = "";

    /// <summary>Exact McNemar test on the pooled out-of-fold predictions.</summary>
    public McNemarResult McNemar { get; set; }

    /// <summary>Holm-adjusted over all pairs.</summary>
    public double McNemarAdjustedP { get; set; }

    /// <summary>Nadeau–Bengio corrected t-test of per-fold accuracy.</summary>
    public FoldTest Accuracy { get; set; } = new();

    public FoldTest MacroF1 { get; set; } = new();

    public FoldTest BalancedAccuracy { get; set; } = new();

    public FoldTest LogLoss { get; set; } = new();

    /// <summary>The model the tests favour, or null when the data cannot tell.</summary>
    public string? Better { get; set; }

    /// <summary>One plain sentence: which is better and how sure, or that the data cannot tell.</summary>
    public string Verdict { get; set; } = "";
}

/// <summary>Which model is significantly best in one figure; <see cref="Model"/> null means no clear winner.</summary>
public sealed class SignificantBest
{
    /// <summary><c>accuracy</c>, <c>macro_f1</c>, <c>balanced_accuracy</c>, <c>log_loss</c>, or a per-class <c>TPR</c>, <c>TNR</c>, <c>PPV</c>, <c>NPV</c>, <c>F1</c>.</summary>
    public string Figure { get; set; } = "";

    /// <summary>The class of a per-class figure; null for a headline figure.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Class { get; set; }

    public string? Model { get; set; }

    /// <summary>The test behind the decision, in words.</summary>
    public string Basis { get; set; } = "";
}

/// <summary>A warning about one model's evidence; <see cref="Folds"/> are 0-based (empty when it concerns the pooled result).</summary>
public sealed class ReviewWarning
{
    /// <summary><c>epoch-cap</c>, <c>small-validation-class</c>, <c>wide-class-interval</c> or <c>below-baseline</c>.</summary>
    public string Kind { get; set; } = "";

    public string Model { get; set; } = "";

    public List<int> Folds { get; set; } = [];

    public string Message { get; set; } = "";
}
