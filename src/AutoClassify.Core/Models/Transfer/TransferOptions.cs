using System.Globalization;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// Settings of the transfer-learning models (<c>*-frozen</c>, <c>*-frozen-svm</c>, <c>*-finetune</c>). The training
/// regime they share with the CNNs (epochs, patience, optimiser, learning rate, sampler, augmentation, input mode)
/// comes from <see cref="Cnn.CnnOptions"/>; only what is specific to a backbone lives here.
/// </summary>
public sealed record TransferOptions
{
    /// <summary>Defaults of every setting.</summary>
    public static class Defaults
    {
        /// <summary>Input side of ImageNet networks when none is given.</summary>
        public const int ImageNetInputSize = 224;

        /// <summary>Backbone learning rate as a fraction of the head's.</summary>
        public const double BackboneLearningRateFactor = 0.1;

        /// <summary>Epochs in which only the head trains before the backbone is unfrozen.</summary>
        public const int WarmupEpochs = 2;

        /// <summary>Augmented feature variants cached per image in frozen mode (0 = the plain image only).</summary>
        public const int FrozenAugmentDraws = 0;

        /// <summary>Images per backbone forward pass when extracting features.</summary>
        public const int ExtractionBatchSize = 32;
    }

    /// <summary>Input sides an ImageNet backbone accepts: the weights' 224 and two faster sizes.</summary>
    public static IReadOnlyList<int> ImageNetInputSizes { get; } = [224, 112, 96];

    /// <summary>
    /// The backbone of the <c>lipnet-backbone-*</c> models (domain transfer): an AutoClassify CNN package
    /// (<c>.acpkg</c>), a registry version folder (<c>models/x/v3</c>) or a registry model folder (its champion).
    /// </summary>
    public string? Backbone { get; init; }

    /// <summary>
    /// A transfer model's package (<c>*-frozen</c> or <c>*-finetune</c> with the same backbone prefix) whose trained
    /// backbone the fit starts from, instead of the one <see cref="Backbone"/> or the architecture's weights give:
    /// <c>retrain</c> sets its champion's package (see <see cref="BackboneSource.FromTransferPackage"/>).
    /// </summary>
    public string? StartPackage { get; init; }

    /// <summary>
    /// Weights of an ImageNet backbone: a <c>.pth</c> or <c>.safetensors</c> file, or <c>none</c> for random initialisation;
    /// null looks in the torch hub cache and AutoClassify's cache, then downloads (see <see cref="PretrainedWeights"/>).
    /// </summary>
    public string? WeightsPath { get; init; }

    /// <summary>Input side for ImageNet backbones (224, 112 or 96; null = 224). LipNet backbones always use their package's size.</summary>
    public int? InputSize { get; init; }

    /// <summary>Stages unfrozen by fine-tuning, counted from the output end; null unfreezes every stage, 0 trains the head only.</summary>
    public int? UnfreezeStages { get; init; }

    /// <summary>Learning rate of the unfrozen backbone stages as a fraction of the head's (in (0, 1]).</summary>
    public double BackboneLearningRateFactor { get; init; } = Defaults.BackboneLearningRateFactor;

    /// <summary>Fine-tuning epochs that train the head alone before the backbone stages join.</summary>
    public int WarmupEpochs { get; init; } = Defaults.WarmupEpochs;

    /// <summary>
    /// Augmented variants per image that frozen mode extracts and caches besides the plain image; each draw is
    /// seeded by the image's content and the draw number, so every fold and every run reuses it.
    /// </summary>
    public int FrozenAugmentDraws { get; init; } = Defaults.FrozenAugmentDraws;

    /// <summary>Folder of the frozen-feature cache; null takes <see cref="FeatureCache.DefaultDirectory"/>.</summary>
    public string? FeatureCacheDirectory { get; init; }

    /// <summary>Keep frozen features in memory only (nothing is read from or written to disk).</summary>
    public bool DisableDiskCache { get; init; }

    /// <summary>Images per backbone forward pass when extracting frozen features.</summary>
    public int ExtractionBatchSize { get; init; } = Defaults.ExtractionBatchSize;

    /// <summary>Every problem with these settings, each naming its parameter; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (UnfreezeStages is < 0)
            problems.Add($"{nameof(UnfreezeStages)} must be 0 or more (null = all), got {UnfreezeStages}.");
        if (double.IsNaN(BackboneLearningRateFactor) || BackboneLearningRateFactor <= 0 || BackboneLearningRateFactor > 1)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(BackboneLearningRateFactor)} must lie in (0, 1], got {BackboneLearningRateFactor}."));
        if (WarmupEpochs < 0)
            problems.Add($"{nameof(WarmupEpochs)} must be 0 or more, got {WarmupEpochs}.");
        if (FrozenAugmentDraws is < 0 or > 64)
            problems.Add($"{nameof(FrozenAugmentDraws)} must lie in [0, 64], got {FrozenAugmentDraws}.");
        if (ExtractionBatchSize < 1)
            problems.Add($"{nameof(ExtractionBatchSize)} must be at least 1, got {ExtractionBatchSize}.");
        if (Backbone is not null && string.IsNullOrWhiteSpace(Backbone))
            problems.Add($"{nameof(Backbone)} is blank; give a package file or a registry path, or leave it out.");
        if (WeightsPath is not null && string.IsNullOrWhiteSpace(WeightsPath))
            problems.Add($"{nameof(WeightsPath)} is blank; give a weights file or leave it out.");
        if (StartPackage is not null && string.IsNullOrWhiteSpace(StartPackage))
            problems.Add($"{nameof(StartPackage)} is blank; give a transfer model's package file or leave it out.");
        if (StartPackage is not null && (Backbone is not null || WeightsPath is not null))
            problems.Add($"{nameof(StartPackage)} takes the backbone and its weights from a package; leave {nameof(Backbone)} and {nameof(WeightsPath)} out.");
        return problems;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem, when there is any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new ArgumentException("Invalid transfer options: " + string.Join(" ", problems));
    }

    /// <summary>Parses <c>--unfreeze</c>: <c>all</c> (null) or a stage count.</summary>
    public static int? ParseUnfreeze(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("all", StringComparison.OrdinalIgnoreCase))
            return null;
        if (int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            return count;
        throw new FormatException($"--unfreeze must be 'all' or a whole number of stages, not '{text}'.");
    }
}
