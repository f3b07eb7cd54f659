namespace AutoClassify.Models;

/// <summary>
/// One trial of a model search: which pipeline was tried, with which settings, how well it validated on data
/// carved from the training fold, and what it cost. Plain and serialisable (results.json, package manifests).
/// </summary>
public sealed class TrialRecord
{
    /// <summary>1-based position in the order the trials ran.</summary>
    public int Trial { get; set; }

    /// <summary>The learner, e.g. <c>svm-rbf</c>, <c>svm-linear</c>, <c>lightgbm</c>, <c>lipnet4</c>, or <c>ensemble</c>.</summary>
    public string Family { get; set; } = "";

    /// <summary>What the learner read, e.g. <c>object features</c>, <c>field features</c>, <c>image 56 px</c>; empty in records written before it existed.</summary>
    public string Representation { get; set; } = "";

    /// <summary>Which step of the search proposed it, e.g. <c>grid</c>, <c>refine</c>, <c>sampler</c>, <c>rung 1</c>.</summary>
    public string Stage { get; set; } = "";

    /// <summary>The settings tried (name to invariant text), in a stable order.</summary>
    public Dictionary<string, string> Settings { get; set; } = [];

    /// <summary>Macro-F1 of the pooled inner-validation predictions; null when the trial failed or was stopped.</summary>
    public double? ValidationMacroF1 { get; set; }

    /// <summary>Accuracy of the same predictions; null when the trial failed or was stopped.</summary>
    public double? ValidationAccuracy { get; set; }

    /// <summary>Wall-clock seconds the trial took (every inner fit and prediction).</summary>
    public double Seconds { get; set; }

    /// <summary>1 for the best validation score; null for trials without a score.</summary>
    public int? Rank { get; set; }

    /// <summary>True for the trial whose configuration was refitted and returned.</summary>
    public bool Winner { get; set; }

    /// <summary>Why a trial has no score (an error, or the time budget), or other remarks.</summary>
    public string? Note { get; set; }

    /// <summary>The settings as one line, <c>name=value</c> pairs joined by ", ".</summary>
    public string FormatSettings() => string.Join(", ", Settings.Select(s => $"{s.Key}={s.Value}"));
}
