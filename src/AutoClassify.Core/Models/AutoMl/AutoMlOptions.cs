using System.Globalization;
using System.Text.Json.Serialization;

namespace AutoClassify.Models.AutoMl;

/// <summary>
/// Settings of the AutoML search (<c>auto</c>): how long one fit may take, how many trials it may run, how the
/// training fold is split for validation, and the successive-halving schedule of the image models.
/// <see cref="Validate"/> checks them all at once.
/// </summary>
public sealed record AutoMlOptions
{
    /// <summary>The defaults.</summary>
    public static class Defaults
    {
        /// <summary>The budget of a whole benchmark or train run when none is given; callers split it across fits.</summary>
        public static readonly TimeSpan RunBudget = TimeSpan.FromMinutes(10);

        /// <summary>The budget of one fit when a caller sets none.</summary>
        public static readonly TimeSpan FitBudget = TimeSpan.FromMinutes(2);

        public const int InnerFolds = 3;
        public const int MinEpochs = 3;
        public const int ReductionFactor = 3;
        public const int MaxImageConfigs = 27;
        public const int SamplerCandidates = 3;
        public const double FeatureShare = 0.5;
    }

    /// <summary>
    /// Wall-clock budget of one <see cref="AutoMlTrainer"/> fit: the whole search plus the refit of the winner.
    /// Null means no limit (use <see cref="MaxTrials"/> then). Trial counts under a clock budget depend on the machine.
    /// </summary>
    public TimeSpan? TimeBudget { get; init; } = Defaults.FitBudget;

    /// <summary>At most this many trials per fit; null means no cap. With no time budget the search then repeats exactly.</summary>
    public int? MaxTrials { get; init; }

    /// <summary>Stratified folds carved from the training fold; every trial is scored on all of them (pooled macro-F1).</summary>
    public int InnerFolds { get; init; } = Defaults.InnerFolds;

    /// <summary>Epochs of the first successive-halving rung of the image models.</summary>
    public int MinEpochs { get; init; } = Defaults.MinEpochs;

    /// <summary>
    /// Successive halving's η: each rung keeps the best 1/η of the previous rung's configurations and trains them for
    /// η times more epochs, up to the CNN options' maximum epochs.
    /// </summary>
    public int ReductionFactor { get; init; } = Defaults.ReductionFactor;

    /// <summary>At most this many image-model configurations enter the first rung.</summary>
    public int MaxImageConfigs { get; init; } = Defaults.MaxImageConfigs;

    /// <summary>How many of the best feature-model configurations are retried with every other sampler.</summary>
    public int SamplerCandidates { get; init; } = Defaults.SamplerCandidates;

    /// <summary>
    /// Share of the time budget the feature models may take before the image models have had their turn; the feature
    /// trials left then run after the image models, in the time they leave.
    /// </summary>
    public double FeatureShare { get; init; } = Defaults.FeatureShare;

    /// <summary>
    /// How many searches share the run's budget (<see cref="SplitBudget"/>), so a budget too small for an image model can
    /// be stated as the <c>--time-budget</c> of the whole run. Not a setting of the results.
    /// </summary>
    [JsonIgnore]
    public int BudgetShares { get; init; } = 1;

    /// <summary>What is searched.</summary>
    public AutoMlSearchSpace Space { get; init; } = AutoMlSearchSpace.Default;

    /// <summary>The clock the budget is measured with (not a setting of the results, so never serialised).</summary>
    [JsonIgnore]
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Sees every index list the search fits or predicts on (for tests that prove what the search reads).</summary>
    internal Action<AutoMlDataAccess>? Audit { get; init; }

    /// <summary>A budget for the whole run split evenly across <paramref name="fits"/> fits (e.g. outer folds).</summary>
    public static TimeSpan SplitBudget(TimeSpan total, int fits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fits, 1);
        if (total <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(total), total, "The time budget must be positive.");
        return total / fits;
    }

    /// <summary>Every problem with these settings, each naming its parameter; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (TimeBudget is { } budget && budget <= TimeSpan.Zero)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(TimeBudget)} must be positive, got {budget.TotalSeconds} s."));
        if (MaxTrials is { } trials && trials < 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(MaxTrials)} must be at least 1, got {trials}."));
        if (InnerFolds < 2)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(InnerFolds)} must be at least 2, got {InnerFolds}."));
        if (MinEpochs < 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(MinEpochs)} must be at least 1, got {MinEpochs}."));
        if (ReductionFactor < 2)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ReductionFactor)} must be at least 2, got {ReductionFactor}."));
        if (MaxImageConfigs < 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(MaxImageConfigs)} must be at least 1, got {MaxImageConfigs}."));
        if (SamplerCandidates < 0)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(SamplerCandidates)} must be 0 or more, got {SamplerCandidates}."));
        if (double.IsNaN(FeatureShare) || FeatureShare <= 0 || FeatureShare > 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(FeatureShare)} must lie in (0, 1], got {FeatureShare}."));
        if (BudgetShares < 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(BudgetShares)} must be at least 1, got {BudgetShares}."));
        if (Clock is null)
            problems.Add($"{nameof(Clock)} must be set.");
        if (Space is null)
            problems.Add($"{nameof(Space)} must be set.");
        else
            problems.AddRange(Space.Problems().Select(p => $"{nameof(Space)}.{p}"));
        return problems;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem, when there is any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new ArgumentException("Invalid AutoML options: " + string.Join(" ", problems));
    }

    /// <summary>The budget as the report shows it.</summary>
    public string DescribeBudget() =>
        TimeBudget is { } budget ? global::AutoClassify.Models.AutoMl.TimeBudget.Format(budget) + " per fit" : "no time limit";
}

/// <summary>One index list the search handed to a fit or a prediction.</summary>
/// <param name="Trial">1-based trial number, or 0 for the refit of the winner.</param>
/// <param name="Family">The candidate family.</param>
/// <param name="Purpose"><c>fit</c>, <c>predict</c> or <c>refit</c>.</param>
/// <param name="Items">Dataset indices (before any resampling).</param>
internal sealed record AutoMlDataAccess(int Trial, string Family, string Purpose, IReadOnlyList<int> Items);
