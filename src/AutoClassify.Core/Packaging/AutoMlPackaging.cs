using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;

namespace AutoClassify.Packaging;

/// <summary>
/// Packages what <c>auto</c> found: the package holds the winner under the winner's own kind (<c>svm</c>,
/// <c>lipnet4</c>, ...), so it loads and predicts like any other package; the search is recorded in the manifest. A
/// tiled winner is packaged as its tile learner with the tiling in the manifest (<see cref="TilingOf"/>), as
/// <c>train --tile</c> packages one.
/// </summary>
public static class AutoMlPackaging
{
    /// <summary>The registration of the <c>auto</c> kind: it wraps, but never loads (no manifest says <c>auto</c>).</summary>
    public static PackagedModelKind Registration { get; } = new(AutoMlTrainer.ModelName, Wrap, Load);

    static IPackagedModel Wrap(ITrainedModel trained)
    {
        if (trained is not AutoMlModel auto)
            throw new ArgumentException($"The auto kind packages an AutoMlModel, not a {trained.GetType().Name}.", nameof(trained));
        var kind = PackagedModelKinds.Find(auto.WinnerKind)
            ?? throw new InvalidOperationException($"AutoML chose '{auto.WinnerKind}', which this build cannot package.");
        var winner = auto.DetachWinner();
        try
        {
            IPackagedModel packaged;
            if (winner is TiledModel tiled)
            {
                packaged = kind.Wrap(tiled.DetachInner());
                tiled.Dispose();
            }
            else
            {
                packaged = kind.Wrap(winner);
            }
            auto.Dispose();
            return packaged;
        }
        catch
        {
            winner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The tiling a package of <paramref name="trained"/> records: the tiles of a tiled AutoML winner, whose packaged
    /// learner reads tiles; null for any other model.
    /// </summary>
    public static PackageTiling? TilingOf(ITrainedModel trained) =>
        trained is AutoMlModel { Winner: TiledModel tiled } ? PackageTiling.From(tiled.Spec, tiled.Aggregation) : null;

    /// <summary>
    /// A fitted model in its packaged form by <paramref name="kind"/>; a <see cref="TiledModel"/> (an ensemble member)
    /// becomes a <see cref="TiledPackagedModel"/> around its packaged learner.
    /// </summary>
    internal static IPackagedModel WrapMember(PackagedModelKind kind, ITrainedModel trained)
    {
        if (trained is not TiledModel tiled)
            return kind.Wrap(trained);
        var tiling = PackageTiling.From(tiled.Spec, tiled.Aggregation);
        var learner = tiled.DetachInner();
        tiled.Dispose();
        IPackagedModel? inner = null;
        try
        {
            inner = kind.Wrap(learner);
            return new TiledPackagedModel(inner, tiling);
        }
        catch
        {
            if (inner is null)
                learner.Dispose();
            else
                inner.Dispose();
            throw;
        }
    }

    static IPackagedModel Load(string directory, ModelPackageManifest manifest) =>
        throw new InvalidDataException($"A package never holds the kind '{AutoMlTrainer.ModelName}'; it stores the winner's own kind.");
}

/// <summary>The AutoML search behind a package: what won, how it was found, and every trial.</summary>
public sealed record PackageSearchSummary
{
    /// <summary>The winning family, e.g. <c>svm-rbf</c> or <c>lipnet4</c>.</summary>
    public string Winner { get; init; } = "";

    public string WinnerSettings { get; init; } = "";

    /// <summary>What the winner read, e.g. <c>field features</c>; empty in packages written before it was recorded.</summary>
    public string Representation { get; init; } = "";

    /// <summary>One sentence: what was chosen and how the best alternative compared on the inner folds.</summary>
    public string Choice { get; init; } = "";

    /// <summary>The search's remarks: the probes' verdict, trials that did not fit, a budget too small for image models.</summary>
    public string Notes { get; init; } = "";

    /// <summary>The winner's pooled inner-validation macro-F1 (optimistic: it is the best of many).</summary>
    public double? ValidationMacroF1 { get; init; }

    public string TimeBudget { get; init; } = "";

    public string StoppedBy { get; init; } = "";

    public IReadOnlyList<TrialRecord> Trials { get; init; } = [];

    /// <summary>The search recorded in a fit's summary, or null when the fit searched nothing.</summary>
    public static PackageSearchSummary? From(TrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (summary.Trials.Count == 0)
            return null;
        var facts = summary.Facts;
        return new PackageSearchSummary
        {
            Winner = facts.GetValueOrDefault("automl_winner", ""),
            WinnerSettings = facts.GetValueOrDefault("automl_winner_settings", ""),
            Representation = facts.GetValueOrDefault("automl_winner_representation", ""),
            Choice = facts.GetValueOrDefault("automl_choice", ""),
            Notes = facts.GetValueOrDefault("automl_notes", ""),
            ValidationMacroF1 = double.TryParse(facts.GetValueOrDefault("automl_validation_macro_f1"), NumberStyles.Float, CultureInfo.InvariantCulture, out var f1) ? f1 : null,
            TimeBudget = facts.GetValueOrDefault("automl_time_budget", ""),
            StoppedBy = facts.GetValueOrDefault("automl_stopped_by", ""),
            Trials = [.. summary.Trials],
        };
    }
}
