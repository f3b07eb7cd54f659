using System.Globalization;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Packaging;

namespace AutoClassify.Retraining;

/// <summary>What <see cref="Retrainer.Run"/> adds, trains and decides. The training regime is the champion's, except where overridden here.</summary>
public sealed class RetrainOptions
{
    /// <summary>The default <see cref="Tolerance"/>.</summary>
    public const double DefaultTolerance = 0.01;

    /// <summary>The registry folder.</summary>
    public string Registry { get; init; } = ModelRegistry.DefaultFolder;

    /// <summary>The registry name of the model to retrain; its champion is the baseline.</summary>
    public required string Name { get; init; }

    /// <summary>The new labeled batch: a folder with one subfolder per class, as for <c>train</c>.</summary>
    public required string BatchPath { get; init; }

    /// <summary>Classes of the batch unknown to the model are added instead of being an error.</summary>
    public bool AllowNewClasses { get; init; }

    /// <summary>
    /// A CNN challenger starts from fresh weights instead of the champion's; a fine-tuned transfer challenger from its
    /// backbone's recorded original source and a new head (an error when that is not recorded or has changed).
    /// </summary>
    public bool FromScratch { get; init; }

    /// <summary>Promote the challenger whatever the comparison says.</summary>
    public bool Force { get; init; }

    /// <summary>How much lower the challenger's reference macro-F1 may be than the champion's and still be promoted.</summary>
    public double Tolerance { get; init; } = DefaultTolerance;

    /// <summary>The promotion rule: the tolerance on macro-F1 (default), or a paired test (<see cref="PairedComparison"/>).</summary>
    public PromotionRule PromoteIf { get; init; } = PromotionRule.Tolerance;

    public int Seed { get; init; } = 42;

    /// <summary>Worker threads; 0 means all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Where the comparison report goes; null puts it beside the challenger's package (<c>v&lt;N&gt;/retrain-report.html</c>).</summary>
    public string? ReportPath { get; init; }

    /// <summary>Thresholds of the batch check; <see cref="AllowNewClasses"/> overrides its own flag.</summary>
    public BatchCheckOptions Check { get; init; } = new();

    /// <summary>Maximum CNN epochs instead of the champion's.</summary>
    public int? Epochs { get; init; }

    /// <summary>CNN early-stopping patience instead of the champion's.</summary>
    public int? Patience { get; init; }

    /// <summary>CNN learning rate instead of the champion's (a smaller one suits a warm start).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Items drawn per CNN epoch instead of the champion's; 0 takes the sampler's natural size.</summary>
    public int? EpochSize { get; init; }

    /// <summary>LipNet learning-rate schedule after the warm-up instead of the champion's.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>LipNet epochs of linear learning-rate warm-up instead of the champion's (0 = none).</summary>
    public double? LearningRateWarmupEpochs { get; init; }

    /// <summary>LipNet validation checks per epoch instead of the champion's.</summary>
    public int? ValidationsPerEpoch { get; init; }

    /// <summary>SVM grid (<c>full</c> or <c>coarse</c>) instead of the champion's.</summary>
    public string? Grid { get; init; }

    /// <summary>How the SVM's grid is searched instead of the champion's.</summary>
    public SvmSearch? SvmSearch { get; init; }

    /// <summary>The command line as typed, recorded in the challenger's manifest.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>Throws naming the first bad setting.</summary>
    public void Validate()
    {
        ModelRegistry.CheckName(Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(Registry);
        ArgumentException.ThrowIfNullOrWhiteSpace(BatchPath);
        if (!double.IsFinite(Tolerance) || Tolerance < 0 || Tolerance > 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--tolerance must be in [0, 1], not {Tolerance}."));
        if (Threads < 0)
            throw new ArgumentException($"--threads must be zero or more, not {Threads}.");
        if (Epochs is < 1)
            throw new ArgumentException($"--epochs must be at least 1, not {Epochs}.");
        if (Patience is < 1)
            throw new ArgumentException($"--patience must be at least 1, not {Patience}.");
        if (LearningRate is { } lr && (!double.IsFinite(lr) || lr <= 0))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--lr must be a positive number, not {lr}."));
        if (EpochSize is < 0)
            throw new ArgumentException($"--epoch-size must be 0 (the sampler's natural size) or more, not {EpochSize}.");
        if (Schedule is { } schedule && !Enum.IsDefined(schedule))
            throw new ArgumentException($"--lr-schedule must be constant or cosine, not {schedule}.");
        if (LearningRateWarmupEpochs is { } warmup && (!double.IsFinite(warmup) || warmup < 0 || warmup > 1000))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--lr-warmup must lie in [0, 1000] epochs, not {warmup}."));
        if (ValidationsPerEpoch is < 1 or > 100)
            throw new ArgumentException($"--validations-per-epoch must lie in [1, 100], not {ValidationsPerEpoch}.");
        if (SvmSearch is { } search && !Enum.IsDefined(search))
            throw new ArgumentException($"--svm-search must be coarse-to-fine or exhaustive, not {search}.");
        if (Grid is not (null or "full" or "coarse"))
            throw new ArgumentException($"--grid must be 'full' or 'coarse', not '{Grid}'.");
        ArgumentNullException.ThrowIfNull(Check);
        Check.Validate();
    }
}

/// <summary>How a model did on the reference images.</summary>
/// <param name="Images">Reference images scored.</param>
/// <param name="Accuracy">Share predicted correctly.</param>
/// <param name="MacroF1">Unweighted mean F1 over the classes present among the images (the primary figure).</param>
/// <param name="BalancedAccuracy">Mean recall over the classes present.</param>
/// <param name="Confusion"><c>Confusion[true][predicted]</c> over <see cref="RetrainResult.ClassNames"/>.</param>
public sealed record ReferenceScore(int Images, double Accuracy, double MacroF1, double BalancedAccuracy, long[][] Confusion);

/// <summary>What a retrain did: the batch findings, the data it trained on, both scores and the decision.</summary>
public sealed class RetrainResult
{
    public required string Name { get; init; }

    public required int ChampionVersion { get; init; }

    /// <summary>The version the challenger was stored as (promoted or not).</summary>
    public required int ChallengerVersion { get; init; }

    /// <summary>True when the challenger became the champion.</summary>
    public required bool Promoted { get; init; }

    /// <summary>Why it was or was not promoted, in one sentence.</summary>
    public required string Reason { get; init; }

    /// <summary>The challenger's classes; the confusion matrices are indexed by them.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>The champion's classes.</summary>
    public required IReadOnlyList<string> ChampionClassNames { get; init; }

    /// <summary>The champion on the reference images of its own classes; null when none could be read.</summary>
    public ReferenceScore? Champion { get; init; }

    /// <summary>The challenger on the same images.</summary>
    public ReferenceScore? Challenger { get; init; }

    /// <summary>Share of the reference images of new classes the challenger got right; null when there are none.</summary>
    public double? NewClassAccuracy { get; init; }

    public required double Tolerance { get; init; }

    /// <summary>The promotion rule that decided.</summary>
    public PromotionRule PromoteIf { get; init; }

    /// <summary>The paired comparison of champion and challenger on the reference images; null when none could be read.</summary>
    public PairedComparison? Paired { get; init; }

    public required BatchCheckReport Check { get; init; }

    /// <summary>Warnings about the old data and the reference set (missing or changed files, fine-tuning on the batch alone).</summary>
    public required IReadOnlyList<string> DataWarnings { get; init; }

    /// <summary>Images of the champion's training list, and how many of them were found unchanged on disk.</summary>
    public required int OldImagesRecorded { get; init; }

    public required int OldImagesFound { get; init; }

    /// <summary>Images in the batch, and how many of them the challenger trained on.</summary>
    public required int BatchImages { get; init; }

    public required int BatchImagesTrained { get; init; }

    /// <summary>Training images per class of <see cref="ClassNames"/>.</summary>
    public required IReadOnlyList<int> TrainingCounts { get; init; }

    /// <summary>The challenger's training settings: which were carried from the champion, which overridden on the command line, which the champion does not record.</summary>
    public IReadOnlyList<CarriedSetting> Settings { get; init; } = [];

    /// <summary>Whether the CNN or transfer challenger started from the champion's weights, and why (not).</summary>
    public required string WarmStart { get; init; }

    /// <summary>The challenger's manifest as stored.</summary>
    public required ModelPackageManifest ChallengerManifest { get; init; }

    public required string ChallengerPackagePath { get; init; }

    /// <summary>The comparison report (HTML).</summary>
    public required string ReportPath { get; init; }

    /// <summary>The seed and the time, for the report.</summary>
    public required int Seed { get; init; }

    public required DateTimeOffset StartedUtc { get; init; }
}
