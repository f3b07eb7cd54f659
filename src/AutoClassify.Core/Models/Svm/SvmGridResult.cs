namespace AutoClassify.Models.Svm;

/// <summary>One (C, gamma) cell of the grid and its inner cross-validation score.</summary>
/// <param name="Log2C">Exponent of C.</param>
/// <param name="Log2Gamma">Exponent of gamma.</param>
/// <param name="MacroF1">Macro-F1 of the pooled out-of-fold predictions of the inner folds; NaN when not scored.</param>
public sealed record SvmGridCell(double Log2C, double Log2Gamma, double MacroF1)
{
    public double C => Math.Pow(2, Log2C);

    public double Gamma => Math.Pow(2, Log2Gamma);
}

/// <summary>The outcome of the inner grid search on one training fold.</summary>
public sealed class SvmGridResult
{
    internal SvmGridResult(IReadOnlyList<SvmGridCell> cells, SvmGridCell best, int innerFolds, string? note)
    {
        Cells = cells;
        Best = best;
        InnerFolds = innerFolds;
        Note = note;
    }

    /// <summary>Every scored cell, C-major in grid order; empty when the search was skipped.</summary>
    public IReadOnlyList<SvmGridCell> Cells { get; }

    /// <summary>
    /// The highest macro-F1; among exact ties the cell nearest the centre of the tied region wins
    /// (then the smaller C, then the smaller gamma).
    /// </summary>
    public SvmGridCell Best { get; }

    /// <summary>Inner folds actually used (fewer than asked when a class is small; 0 when skipped).</summary>
    public int InnerFolds { get; }

    /// <summary>Why the inner folds were reduced or the search skipped; null when it ran as configured.</summary>
    public string? Note { get; }

    /// <summary>Cells of the whole grid; <see cref="Cells"/> holds fewer when the search was coarse-to-fine.</summary>
    public int GridSize { get; init; }

    /// <summary>How the grid was searched (exhaustive for grids too small to refine).</summary>
    public SvmSearch Search { get; init; }

    /// <summary>Wall time of the search.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Summed duration of the inner fits, in seconds; above <see cref="Elapsed"/> when they ran in parallel.</summary>
    public double FitSeconds { get; init; }

    /// <summary>Wall seconds per scored cell (all its inner folds); NaN when none was scored.</summary>
    public double SecondsPerCell => Cells.Count == 0 ? double.NaN : Elapsed.TotalSeconds / Cells.Count;
}
