using System.Globalization;

namespace AutoClassify.Evaluation;

/// <summary>
/// One independent piece of a benchmark: one model's fit and test on one outer fold (an AutoML search of one outer
/// fold is one unit too). Units share nothing but the checkpoint folder, so a scheduler can run them anywhere.
/// </summary>
/// <param name="Model">The model's name as given to <c>--models</c>.</param>
/// <param name="Fold">Zero-based outer fold.</param>
public readonly record struct BenchmarkUnit(string Model, int Fold)
{
    /// <summary>Every unit of a run, model by model, folds in order.</summary>
    public static IReadOnlyList<BenchmarkUnit> All(IEnumerable<string> models, int folds) =>
        models.SelectMany(m => Enumerable.Range(0, folds).Select(f => new BenchmarkUnit(m, f))).ToList();

    /// <summary>Reads the form <see cref="ToString"/> writes (<c>svm:fold2</c>, folds counted from 1).</summary>
    public static BenchmarkUnit Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(":fold", StringComparison.Ordinal);
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 5), NumberStyles.None, CultureInfo.InvariantCulture, out var fold) || fold < 1)
            throw new FormatException($"'{text}' is not a benchmark unit (expected model:foldN, for example svm:fold2).");
        return new BenchmarkUnit(text[..colon], fold - 1);
    }

    /// <summary><c>model:foldN</c>, with folds counted from 1 as the report counts them.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Model}:fold{Fold + 1}");
}

/// <summary>Which folds a benchmark run trains.</summary>
public enum BenchmarkScope
{
    /// <summary>Every fold not restored from the checkpoint, then the result: a local run.</summary>
    All,

    /// <summary>Only <see cref="BenchmarkOptions.Units"/>, saved to an existing checkpoint; no result (a cluster task).</summary>
    Units,

    /// <summary>Nothing is trained: every fold must come from the checkpoint (a cluster's aggregation job).</summary>
    CheckpointOnly,
}

/// <summary>Thrown when a result is asked for from a checkpoint that lacks some units; lists every one.</summary>
public sealed class MissingUnitsException : Exception
{
    public MissingUnitsException(string directory, IReadOnlyList<BenchmarkUnit> missing)
        : base($"No report is written: {missing.Count} unit(s) have no finished fold in '{directory}': " +
            string.Join(", ", missing) + ". Run them first (with --slurm, repeat the command: only missing and failed units are submitted).")
    {
        Directory = directory;
        Missing = missing;
    }

    /// <summary>The checkpoint folder.</summary>
    public string Directory { get; }

    /// <summary>The units without a saved fold.</summary>
    public IReadOnlyList<BenchmarkUnit> Missing { get; }
}
