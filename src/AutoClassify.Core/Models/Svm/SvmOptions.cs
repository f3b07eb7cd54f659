using System.Globalization;
using AutoClassify.Native;

namespace AutoClassify.Models.Svm;

/// <summary>How the SVM's (C, gamma) grid is searched.</summary>
public enum SvmSearch
{
    /// <summary>Every cell of the grid is scored.</summary>
    Exhaustive,

    /// <summary>Every other exponent first, then the neighbourhood of the best cells at the grid's own step.</summary>
    CoarseToFine,
}

/// <summary>
/// Settings of the SVM arm: an RBF (or linear) C-SVC whose C and gamma are searched on log2 grids by an inner
/// stratified cross-validation on the training fold (a linear kernel has no gamma, so only C is searched). Checked once, by <see cref="Validate"/>, when a
/// <see cref="SvmTrainer"/> is built.
/// </summary>
public sealed class SvmOptions
{
    /// <summary>The defaults: the coarse grid of the LIBSVM practical guide and svm-train's solver settings.</summary>
    public static class Defaults
    {
        public const int InnerFolds = 3;
        // LIBSVM fills its cache column by column, so a cap above the kernel matrix costs nothing; 512 MB holds the
        // whole kernel of an 11,000-item fold, where 100 MB made the final fit recompute rows.
        public const double CacheSizeMb = 512;
        public const SvmSearch Search = SvmSearch.CoarseToFine;
        public const double Epsilon = 1e-3;
        public const bool BalanceClassWeights = true;
        public const bool LogSolverOutput = false;
        public const int MaxTuningItems = 3000;

        /// <summary>log2 C = -5, -3, ..., 15.</summary>
        public static IReadOnlyList<double> Log2CGrid { get; } = Log2Range(-5, 15, 2);

        /// <summary>log2 gamma = -15, -13, ..., 3.</summary>
        public static IReadOnlyList<double> Log2GammaGrid { get; } = Log2Range(-15, 3, 2);
    }

    /// <summary>
    /// The feature matrix the SVM reads: <see cref="ModelInput.Features"/> (the handcrafted object features, model
    /// <c>svm</c>) or <see cref="ModelInput.FieldFeatures"/> (whole-field particle and texture features, <c>svm-field</c>).
    /// </summary>
    public ModelInput Input { get; init; } = ModelInput.Features;

    /// <summary><see cref="LibSvmKernel.Rbf"/> (the thesis's) or <see cref="LibSvmKernel.Linear"/>.</summary>
    public LibSvmKernel Kernel { get; init; } = LibSvmKernel.Rbf;

    /// <summary>Folds of the inner cross-validation that scores each (C, gamma) cell.</summary>
    public int InnerFolds { get; init; } = Defaults.InnerFolds;

    /// <summary>
    /// Largest training fold the grid search scores on in full; bigger folds are searched on a stratified sample
    /// of this size (0 = never sample). The final fit always uses the whole fold.
    /// </summary>
    public int MaxTuningItems { get; init; } = Defaults.MaxTuningItems;

    /// <summary>Exponents e of the C values 2^e tried.</summary>
    public IReadOnlyList<double> Log2CGrid { get; init; } = Defaults.Log2CGrid;

    /// <summary>Exponents e of the gamma values 2^e tried.</summary>
    public IReadOnlyList<double> Log2GammaGrid { get; init; } = Defaults.Log2GammaGrid;

    /// <summary>
    /// How the grid is searched: every cell (<see cref="SvmSearch.Exhaustive"/>), or every other exponent and then the
    /// neighbourhood of the best cells at the grid's step (<see cref="SvmSearch.CoarseToFine"/>, the advice of
    /// LIBSVM's practical guide). Grids of at most 4 values per axis are always searched in full.
    /// </summary>
    public SvmSearch Search { get; init; } = Defaults.Search;

    /// <summary>LIBSVM kernel cache per training, in MB.</summary>
    public double CacheSizeMb { get; init; } = Defaults.CacheSizeMb;

    /// <summary>LIBSVM stopping tolerance.</summary>
    public double Epsilon { get; init; } = Defaults.Epsilon;

    /// <summary>Weight each class's C inversely to its frequency in the training data (n / (K n_k)).</summary>
    public bool BalanceClassWeights { get; init; } = Defaults.BalanceClassWeights;

    /// <summary>
    /// Forward LIBSVM's solver messages of the final fit to <see cref="TrainingContext.Log"/>; verbose
    /// (a few lines per class pair and per fold of its probability calibration), so off by default.
    /// </summary>
    public bool LogSolverOutput { get; init; } = Defaults.LogSolverOutput;

    /// <summary>The exponents from, from + step, ..., up to and including to (within rounding).</summary>
    public static IReadOnlyList<double> Log2Range(double from, double to, double step)
    {
        if (!double.IsFinite(from) || !double.IsFinite(to))
            throw new ArgumentException($"Grid bounds must be finite, got {from} and {to}.");
        if (!double.IsFinite(step) || step <= 0)
            throw new ArgumentOutOfRangeException(nameof(step), step, "The grid step must be positive.");
        var count = (int)Math.Floor((to - from) / step + 1e-9) + 1;
        if (count < 1)
            throw new ArgumentException($"Empty grid: from {from} to {to}.", nameof(to));
        return Enumerable.Range(0, count).Select(i => from + i * step).ToArray();
    }

    /// <summary>Throws an exception naming the first bad setting.</summary>
    public void Validate()
    {
        if (Kernel is not (LibSvmKernel.Rbf or LibSvmKernel.Linear))
            throw new ArgumentOutOfRangeException(nameof(Kernel), Kernel, "The SVM arm supports the RBF and linear kernels.");
        if (Input is not (ModelInput.Features or ModelInput.FieldFeatures))
            throw new ArgumentOutOfRangeException(nameof(Input), Input, "The SVM reads a feature matrix: Features or FieldFeatures.");
        if (InnerFolds < 2)
            throw new ArgumentOutOfRangeException(nameof(InnerFolds), InnerFolds, "The inner cross-validation needs at least 2 folds.");
        if (MaxTuningItems < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxTuningItems), MaxTuningItems, "The tuning sample size must be zero (no cap) or positive.");
        CheckGrid(Log2CGrid, nameof(Log2CGrid));
        CheckGrid(Log2GammaGrid, nameof(Log2GammaGrid));
        if (!Enum.IsDefined(Search))
            throw new ArgumentOutOfRangeException(nameof(Search), Search, "The grid search is exhaustive or coarse-to-fine.");
        if (!double.IsFinite(CacheSizeMb) || CacheSizeMb <= 0)
            throw new ArgumentOutOfRangeException(nameof(CacheSizeMb), CacheSizeMb, "The kernel cache must be a positive number of MB.");
        if (!double.IsFinite(Epsilon) || Epsilon <= 0)
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "The stopping tolerance must be positive.");
    }

    static void CheckGrid(IReadOnlyList<double>? grid, string name)
    {
        if (grid is null || grid.Count == 0)
            throw new ArgumentException($"{name} must list at least one exponent.", name);
        foreach (var e in grid)
        {
            // 2^±60 is far outside any useful C or gamma, and keeps 2^e a normal, finite double.
            if (!double.IsFinite(e) || Math.Abs(e) > 60)
                throw new ArgumentOutOfRangeException(name, e, $"{name} exponents must be finite and within [-60, 60].");
        }
        if (grid.Distinct().Count() != grid.Count)
        {
            throw new ArgumentException(
                $"{name} lists an exponent twice: {string.Join(", ", grid.Select(e => e.ToString(CultureInfo.InvariantCulture)))}.", name);
        }
    }
}
