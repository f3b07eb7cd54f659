using System.Globalization;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Segmenters;

/// <summary>What a U-Net's output channels mean.</summary>
public enum OutputScheme
{
    /// <summary>Instance-aware for instance masks, semantic otherwise.</summary>
    Auto,

    /// <summary>One channel per class of the data.</summary>
    Semantic,

    /// <summary>
    /// Background, object interior and boundary between touching objects (derived from instance masks); a
    /// marker-controlled watershed turns the prediction into instances.
    /// </summary>
    Instance,
}

/// <summary>Random transforms of training patches; geometric ones move image and mask together (the mask by nearest neighbour).</summary>
public sealed record SegmentationAugmentation
{
    /// <summary>No augmentation at all.</summary>
    public static SegmentationAugmentation None { get; } = new()
    {
        Flips = false,
        QuarterTurns = false,
        RotationDegrees = 0,
        ScaleRange = 0,
        ElasticPixels = 0,
        Brightness = 0,
        Contrast = 0,
        Gamma = 0,
        Noise = 0,
        BlurProbability = 0,
    };

    /// <summary>Mirror horizontally and vertically, each with probability ½.</summary>
    public bool Flips { get; init; } = true;

    /// <summary>Rotate by a random multiple of 90°.</summary>
    public bool QuarterTurns { get; init; } = true;

    /// <summary>Further rotation drawn uniformly from ± this many degrees.</summary>
    public double RotationDegrees { get; init; } = 10;

    /// <summary>Scale factor drawn log-uniformly from [1 / (1 + s), 1 + s].</summary>
    public double ScaleRange { get; init; } = 0.1;

    /// <summary>Peak displacement of the smooth elastic deformation in pixels (0 switches it off).</summary>
    public double ElasticPixels { get; init; } = 3;

    /// <summary>Shift drawn from ± this, on the [0, 1] grey scale.</summary>
    public double Brightness { get; init; } = 0.1;

    /// <summary>Contrast factor drawn from [1 − c, 1 + c], about the image mean.</summary>
    public double Contrast { get; init; } = 0.2;

    /// <summary>Gamma drawn log-uniformly from [1 / (1 + g), 1 + g].</summary>
    public double Gamma { get; init; } = 0.3;

    /// <summary>Standard deviation of added Gaussian noise drawn from [0, n], on the [0, 1] grey scale.</summary>
    public double Noise { get; init; } = 0.03;

    /// <summary>Chance of a Gaussian blur with σ in [0.5, 1.5] pixels.</summary>
    public double BlurProbability { get; init; } = 0.2;

    /// <summary>True when every transform is off.</summary>
    public bool IsNone => !Flips && !QuarterTurns && RotationDegrees == 0 && ScaleRange == 0 && ElasticPixels == 0 &&
        Brightness == 0 && Contrast == 0 && Gamma == 0 && Noise == 0 && BlurProbability == 0;

    internal void AddProblems(List<string> problems)
    {
        UNetOptions.Range(problems, $"Augmentation.{nameof(RotationDegrees)}", RotationDegrees, 0, 180);
        UNetOptions.Range(problems, $"Augmentation.{nameof(ScaleRange)}", ScaleRange, 0, 1);
        UNetOptions.Range(problems, $"Augmentation.{nameof(ElasticPixels)}", ElasticPixels, 0, 32);
        UNetOptions.Range(problems, $"Augmentation.{nameof(Brightness)}", Brightness, 0, 1);
        UNetOptions.Range(problems, $"Augmentation.{nameof(Contrast)}", Contrast, 0, 1, highOpen: true);
        UNetOptions.Range(problems, $"Augmentation.{nameof(Gamma)}", Gamma, 0, 4);
        UNetOptions.Range(problems, $"Augmentation.{nameof(Noise)}", Noise, 0, 1);
        UNetOptions.Range(problems, $"Augmentation.{nameof(BlurProbability)}", BlurProbability, 0, 1);
    }

    public override string ToString()
    {
        if (IsNone)
            return "none";
        var parts = new List<string>();
        if (Flips)
            parts.Add("flips");
        if (QuarterTurns)
            parts.Add("quarter turns");
        if (RotationDegrees > 0)
            parts.Add(Invariant($"rotation ±{RotationDegrees}°"));
        if (ScaleRange > 0)
            parts.Add(Invariant($"scale ×(1±{ScaleRange})"));
        if (ElasticPixels > 0)
            parts.Add(Invariant($"elastic {ElasticPixels} px"));
        if (Brightness > 0)
            parts.Add(Invariant($"brightness ±{Brightness}"));
        if (Contrast > 0)
            parts.Add(Invariant($"contrast ±{Contrast}"));
        if (Gamma > 0)
            parts.Add(Invariant($"gamma ×(1±{Gamma})"));
        if (Noise > 0)
            parts.Add(Invariant($"noise σ≤{Noise}"));
        if (BlurProbability > 0)
            parts.Add(Invariant($"blur p={BlurProbability}"));
        return string.Join(", ", parts);
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Settings of a U-Net fit and of its sliding-window prediction; <see cref="Validate"/> checks them all at once.</summary>
public sealed record UNetOptions
{
    /// <summary>Defaults sized to train on two CPU cores in minutes.</summary>
    public static class Defaults
    {
        public const int Depth = 3;
        public const int BaseWidth = 16;
        public const OutputScheme Scheme = OutputScheme.Auto;
        public const int BoundaryWidth = 2;
        public const int PatchSize = 128;
        public const int BatchSize = 8;
        public const int StepsPerEpoch = 40;
        public const int MaxEpochs = 40;
        public const int Patience = 6;
        public const double LearningRate = 1e-3;
        public const LearningRateSchedule Schedule = LearningRateSchedule.Constant;
        public const double WeightDecay = 0;
        public const double WeightAveraging = 0;
        public const InferencePrecision TrainingPrecision = InferencePrecision.Float32;
        public const double DiceWeight = 1;
        public const bool ClassWeightedLoss = true;
        public const double ValidationFraction = 0.2;
        public const int ValidationPatches = 32;
        public const int TileSize = 2048;
        public const int TileOverlap = 64;
        public const int PredictionBatchSize = 2;
        public const int PredictionPixels = 1 << 20;
        public const int MinObjectArea = 4;
    }

    /// <summary>Poolings between full resolution and the bottleneck.</summary>
    public int Depth { get; init; } = Defaults.Depth;

    /// <summary>Channels at full resolution (doubling per level).</summary>
    public int BaseWidth { get; init; } = Defaults.BaseWidth;

    /// <summary>Residual blocks (the <c>resunet</c> trainer sets this).</summary>
    public bool Residual { get; init; }

    public OutputScheme Scheme { get; init; } = Defaults.Scheme;

    /// <summary>
    /// Instance scheme: object pixels within this many pixels (chessboard distance) of another object are the boundary class.
    /// </summary>
    public int BoundaryWidth { get; init; } = Defaults.BoundaryWidth;

    /// <summary>Side of the square training patches (a multiple of 2^depth).</summary>
    public int PatchSize { get; init; } = Defaults.PatchSize;

    public int BatchSize { get; init; } = Defaults.BatchSize;

    /// <summary>Optimiser steps between two validations.</summary>
    public int StepsPerEpoch { get; init; } = Defaults.StepsPerEpoch;

    public int MaxEpochs { get; init; } = Defaults.MaxEpochs;

    /// <summary>Epochs without a lower validation loss before training stops.</summary>
    public int Patience { get; init; } = Defaults.Patience;

    /// <summary>Adam's learning rate (the peak, with a cosine <see cref="Schedule"/>).</summary>
    public double LearningRate { get; init; } = Defaults.LearningRate;

    /// <summary>
    /// How the learning rate moves over the fit: constant, or after one epoch of linear warm-up half a cosine down to
    /// a hundredth of it at <see cref="MaxEpochs"/>.
    /// </summary>
    public LearningRateSchedule Schedule { get; init; } = Defaults.Schedule;

    public double WeightDecay { get; init; } = Defaults.WeightDecay;

    /// <summary>
    /// Decay of an exponential moving average of the weights (and batch-norm statistics), updated after every
    /// optimiser step; validation, early stopping and the result use the average instead of the last step's weights.
    /// The decay starts low and rises to this value ((1 + t) / (10 + t) at step t), so the average does not drag
    /// the random start along. 0 switches it off.
    /// </summary>
    public double WeightAveraging { get; init; } = Defaults.WeightAveraging;

    /// <summary>
    /// Number format of the training steps' forward passes (and so of their gradients): float32, or bfloat16 by CPU
    /// autocast, where convolutions run in bfloat16 while the weights, the optimiser and the loss stay float32. Worth it
    /// only on CPUs with native bfloat16 (<see cref="InferencePrecisions.NativeBFloat16"/>). Validation passes run in float32.
    /// </summary>
    public InferencePrecision TrainingPrecision { get; init; } = Defaults.TrainingPrecision;

    /// <summary>Weight of the soft Dice term added to the cross-entropy.</summary>
    public double DiceWeight { get; init; } = Defaults.DiceWeight;

    /// <summary>Weight the cross-entropy by √(median class frequency / class frequency) over the fitting images.</summary>
    public bool ClassWeightedLoss { get; init; } = Defaults.ClassWeightedLoss;

    /// <summary>Share of the training images (whole images, by group) held out for early stopping; 0 trains every epoch.</summary>
    public double ValidationFraction { get; init; } = Defaults.ValidationFraction;

    /// <summary>At most this many patches, tiled from the validation images, score each epoch.</summary>
    public int ValidationPatches { get; init; } = Defaults.ValidationPatches;

    public SegmentationAugmentation Augmentation { get; init; } = new();

    /// <summary>Local contrast normalisation (Gaussian window of this σ in pixels) before everything else; null switches it off.</summary>
    public double? LocalContrastSigma { get; init; }

    /// <summary>
    /// The network's working resolution: each image (and its mask, in training) is resized so that its longer side has
    /// this many pixels, and probabilities are resized back; null keeps the native resolution.
    /// </summary>
    public int? InputLongSide { get; init; }

    /// <summary>
    /// Object-scale normalisation: each training image (and its mask) is resized so that the median equivalent
    /// diameter of its objects becomes this many pixels, and at prediction each image's factor is estimated from the
    /// objects the network finds (<see cref="ObjectScale"/>); null switches it off. Excludes <see cref="InputLongSide"/>.
    /// </summary>
    public int? ObjectSize { get; init; }

    /// <summary>
    /// With <see cref="ObjectSize"/>: how an object's size is read, in training from the true masks and at prediction
    /// from the objects each rung of the ladder finds. <see cref="ObjectMeasure.Thickness"/> brings rods and wires to
    /// the object size across, not along.
    /// </summary>
    public ObjectMeasure ObjectMeasure { get; init; } = ObjectMeasure.EquivalentDiameter;

    /// <summary>With <see cref="ObjectSize"/>: the most pixels a resized image may have (a larger factor is reduced to fit).</summary>
    public int MaxScaledPixels { get; init; } = ObjectScaling.DefaultMaxPixels;

    /// <summary>
    /// With <see cref="ObjectSize"/> and the instance scheme: tune the weights that pick each image's factor on the
    /// validation images (<see cref="ScaleSelectionTuner"/>) instead of keeping <see cref="ScaleSelection.Default"/>.
    /// Off by default: on emps-particles, tuned weights did not beat the default ones on test images (README).
    /// </summary>
    public bool TuneScaleSelection { get; init; }

    /// <summary>
    /// With <see cref="ObjectSize"/>: after the U-Net, train a small CNN that reads each image's object size
    /// (<see cref="SizeNetwork"/>) on the fitting images, calibrate it on the validation images, and draw each image's
    /// choice of factor towards its estimate (<see cref="SizeEstimateOptions.Weight"/>); null, the default, leaves it
    /// out. On emps-particles it raised instance F1 by about 0.015 and cut the size error (README), at about two
    /// minutes more training on 2 cores.
    /// </summary>
    public SizeEstimateOptions? SizeEstimate { get; init; }

    /// <summary>Longest side of a sliding-window tile at prediction (rounded down to a multiple of 2^depth); <see cref="PredictionPixels"/> bounds the area.</summary>
    public int TileSize { get; init; } = Defaults.TileSize;

    /// <summary>Pixels shared by neighbouring tiles, blended with a cosine window; also the reflected margin at the borders is half of it.</summary>
    public int TileOverlap { get; init; } = Defaults.TileOverlap;

    /// <summary>Tiles per forward pass at prediction, at most.</summary>
    public int PredictionBatchSize { get; init; } = Defaults.PredictionBatchSize;

    /// <summary>
    /// Pixels one forward pass may hold at prediction (tile area times batch), which bounds its memory; an image whose
    /// mirrored field fits runs in one pass.
    /// </summary>
    public int PredictionPixels { get; init; } = Defaults.PredictionPixels;

    /// <summary>
    /// Instance scheme: objects smaller than this many pixels (of the network's working resolution) are always dropped;
    /// the post-processing tuned on the validation images may drop larger ones.
    /// </summary>
    public int MinObjectArea { get; init; } = Defaults.MinObjectArea;

    /// <summary>The settings tried when the post-processing is tuned on the validation images after training.</summary>
    public InstanceTuningGrid PostProcessingGrid { get; init; } = new();

    /// <summary>
    /// Semantic scheme with one foreground class: split the foreground into objects with the instance post-processing
    /// (seeds where p(foreground) is high, a watershed over the rest), tuned on the validation images against their
    /// masks' 4-connected regions, instead of taking each connected region as one object. Thin gaps in predicted
    /// membranes then no longer merge the cells on either side. The tuning grid holds the plain regions' setting, so
    /// on validation images it is never worse. Pixel labels (and so Dice) do not change; objects do.
    /// </summary>
    public bool SplitSemanticObjects { get; init; } = true;

    /// <summary>libtorch threads; 0 takes the training context's.</summary>
    public int Threads { get; init; }

    /// <summary>Every problem with these settings, each naming its parameter; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        Count(problems, nameof(Depth), Depth, 1, 6);
        Count(problems, nameof(BaseWidth), BaseWidth, 1, 256);
        Count(problems, nameof(BoundaryWidth), BoundaryWidth, 1, 32);
        Count(problems, nameof(PatchSize), PatchSize, 8, 2048);
        Count(problems, nameof(BatchSize), BatchSize, 1, 1024);
        Count(problems, nameof(StepsPerEpoch), StepsPerEpoch, 1, 1_000_000);
        Count(problems, nameof(MaxEpochs), MaxEpochs, 1, 100_000);
        Count(problems, nameof(Patience), Patience, 1, 100_000);
        Count(problems, nameof(ValidationPatches), ValidationPatches, 1, 100_000);
        Count(problems, nameof(TileSize), TileSize, 8, 8192);
        Count(problems, nameof(TileOverlap), TileOverlap, 0, 8192);
        Count(problems, nameof(PredictionBatchSize), PredictionBatchSize, 1, 1024);
        Count(problems, nameof(PredictionPixels), PredictionPixels, 64, 1 << 28);
        Count(problems, nameof(MinObjectArea), MinObjectArea, 0, int.MaxValue);
        Count(problems, nameof(Threads), Threads, 0, 1024);
        Range(problems, nameof(LearningRate), LearningRate, 0, 10, lowOpen: true);
        Range(problems, nameof(WeightDecay), WeightDecay, 0, 1);
        Range(problems, nameof(WeightAveraging), WeightAveraging, 0, 1, highOpen: true);
        Range(problems, nameof(DiceWeight), DiceWeight, 0, 100);
        Range(problems, nameof(ValidationFraction), ValidationFraction, 0, 0.5, highOpen: true);
        if (InputLongSide is { } longSide)
            Count(problems, nameof(InputLongSide), longSide, 1 << Math.Clamp(Depth, 1, 6), 16384);
        if (ObjectSize is { } objectSize)
        {
            Count(problems, nameof(ObjectSize), objectSize, ObjectScaling.MinObjectSize, ObjectScaling.MaxObjectSize);
            if (InputLongSide is not null)
                problems.Add($"{nameof(ObjectSize)} and {nameof(InputLongSide)} exclude each other: both set the working resolution.");
        }
        Count(problems, nameof(MaxScaledPixels), MaxScaledPixels, 4096, 1 << 28);
        if (SizeEstimate is not null)
        {
            problems.AddRange(SizeEstimate.Problems());
            if (ObjectSize is null)
                problems.Add($"{nameof(SizeEstimate)} needs {nameof(ObjectSize)}: the estimate draws the choice of each image's factor.");
        }
        if (LocalContrastSigma is { } sigma)
            Range(problems, nameof(LocalContrastSigma), sigma, 0, 1000, lowOpen: true);
        if (!Enum.IsDefined(Scheme))
            problems.Add($"{nameof(Scheme)} {Scheme} is not auto, semantic or instance.");
        if (!Enum.IsDefined(TrainingPrecision))
            problems.Add($"{nameof(TrainingPrecision)} {TrainingPrecision} is not float32 or bfloat16.");
        if (Depth is >= 1 and <= 6)
        {
            var multiple = 1 << Depth;
            if (PatchSize % multiple != 0)
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(PatchSize)} must be a multiple of 2^{nameof(Depth)} = {multiple}, got {PatchSize}."));
            if (TileSize < multiple)
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(TileSize)} must be at least 2^{nameof(Depth)} = {multiple}, got {TileSize}."));
            if (TileOverlap is >= 0 and <= 8192 && PredictionPixels < UNetTilePlan.MinimumBudget(TileOverlap, multiple))
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(PredictionPixels)} must hold a tile of the overlap plus 2^{nameof(Depth)} squared ({UNetTilePlan.MinimumBudget(TileOverlap, multiple)}), got {PredictionPixels}."));
        }
        if (TileOverlap >= TileSize / 2 && TileSize >= 8)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(TileOverlap)} must be less than half the tile size ({TileSize}), got {TileOverlap}."));
        if (PostProcessingGrid is null || PostProcessingGrid.Count == 0)
            problems.Add($"{nameof(PostProcessingGrid)} must hold at least one setting.");
        if (Augmentation is null)
            problems.Add($"{nameof(Augmentation)} must be set (use SegmentationAugmentation.None to switch it off).");
        else
            Augmentation.AddProblems(problems);
        return problems;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem, when there is any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new ArgumentException("Invalid U-Net options: " + string.Join(" ", problems));
    }

    /// <summary>The scheme used for data of <paramref name="kind"/>.</summary>
    public OutputScheme SchemeFor(MaskKind kind) => Scheme != OutputScheme.Auto ? Scheme
        : kind == MaskKind.Instances ? OutputScheme.Instance : OutputScheme.Semantic;

    internal static void Count(List<string> problems, string name, int value, int min, int max)
    {
        if (value < min || value > max)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must lie in [{min}, {max}], got {value}."));
    }

    internal static void Range(List<string> problems, string name, double value, double min, double max, bool lowOpen = false, bool highOpen = false)
    {
        var ok = !double.IsNaN(value) && (lowOpen ? value > min : value >= min) && (highOpen ? value < max : value <= max);
        if (!ok)
        {
            var interval = string.Create(CultureInfo.InvariantCulture, $"{(lowOpen ? "(" : "[")}{min}, {max}{(highOpen ? ")" : "]")}");
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must lie in {interval}, got {value}."));
        }
    }
}
