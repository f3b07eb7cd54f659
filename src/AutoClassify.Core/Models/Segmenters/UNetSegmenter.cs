using System.Buffers;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Segmenters;

/// <summary>What a trained U-Net needs besides its weights to segment, and what a package records about it.</summary>
public sealed record UNetSegmenterInfo
{
    /// <summary>
    /// Version of the saved description. Format 2 adds <see cref="PostProcessing"/>; a format-1 instance segmenter
    /// (written before it) still loads and splits its objects the old way. Format 3 adds <see cref="ObjectScale"/>,
    /// and only a segmenter that uses it is written as format 3, so older readers refuse it instead of ignoring it.
    /// Format 4 adds <see cref="ObjectScale.Measure"/>: only a segmenter that reads object sizes other than by their
    /// equivalent diameter is written as format 4. Format 5 adds <see cref="SizeEstimate"/> and a second weights file,
    /// <see cref="UNetSegmenter.SizeWeightsFile"/>: only a segmenter with a size CNN is written as format 5.
    /// A reader refuses any other format.
    /// </summary>
    public const int CurrentFormat = 5;

    /// <summary>The format of a segmenter with a size CNN beside its U-Net.</summary>
    public const int EstimatedFormat = 5;

    /// <summary>The format of a segmenter with object scaling by another measure than the equivalent diameter.</summary>
    public const int ThicknessFormat = 4;

    /// <summary>The format of a segmenter with object scaling by the equivalent diameter.</summary>
    public const int ScaledFormat = 3;

    /// <summary>The format of a segmenter without object scaling.</summary>
    public const int UnscaledFormat = 2;

    /// <summary>The oldest format a reader accepts.</summary>
    public const int OldestFormat = 1;

    public int Format { get; init; } = UnscaledFormat;

    /// <summary>The format a segmenter with object scaling by <paramref name="measure"/> is written as.</summary>
    public static int FormatFor(ObjectMeasure measure) => measure == ObjectMeasure.EquivalentDiameter ? ScaledFormat : ThicknessFormat;

    /// <summary>The format of a segmenter with object scaling by <paramref name="measure"/>, with or without a size CNN.</summary>
    public static int FormatFor(ObjectMeasure measure, bool sizeEstimate) => sizeEstimate ? EstimatedFormat : FormatFor(measure);

    /// <summary><c>unet</c> or <c>resunet</c>.</summary>
    public required string Model { get; init; }

    public required OutputScheme Scheme { get; init; }

    /// <summary>The network's output channels.</summary>
    public required IReadOnlyList<string> ChannelNames { get; init; }

    /// <summary>The data's semantic classes, background first; labels are indices into these.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    public required int Depth { get; init; }

    public required int BaseWidth { get; init; }

    public required bool Residual { get; init; }

    public double? LocalContrastSigma { get; init; }

    /// <summary>Working resolution: images are resized to this longer side before the network (null: native).</summary>
    public int? InputLongSide { get; init; }

    /// <summary>Object-scale normalisation (format 3): each image is resized to bring its objects to one size; null: off.</summary>
    public ObjectScale? ObjectScale { get; init; }

    /// <summary>
    /// Format 5: the size CNN whose estimate of each image's object size draws the object scale's choice of factor
    /// (by <see cref="ScaleSelection.EstimateWeight"/>); its weights are <see cref="UNetSegmenter.SizeWeightsFile"/>. Null: none.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SizeEstimateInfo? SizeEstimate { get; init; }

    public int TileSize { get; init; } = UNetOptions.Defaults.TileSize;

    public int TileOverlap { get; init; } = UNetOptions.Defaults.TileOverlap;

    public int PredictionBatchSize { get; init; } = UNetOptions.Defaults.PredictionBatchSize;

    /// <summary>The most pixels one forward pass holds at prediction (a batch of tiles); it bounds the memory prediction takes.</summary>
    public int PredictionPixels { get; init; } = UNetOptions.Defaults.PredictionPixels;

    public int MinObjectArea { get; init; } = UNetOptions.Defaults.MinObjectArea;

    /// <summary>The instance scheme's boundary width the network was trained with (recorded, not used at prediction).</summary>
    public int BoundaryWidth { get; init; } = UNetOptions.Defaults.BoundaryWidth;

    /// <summary>
    /// Instance scheme: how probabilities become objects, tuned on the trainer's validation images (at the network's
    /// resolution). Null only in format-1 descriptions, whose objects come from <see cref="SegmentationTargets.SplitInstances"/>.
    /// Semantic scheme with two classes: when set, how the foreground is split into objects (see
    /// <see cref="UNetOptions.SplitSemanticObjects"/>); when null, each connected foreground region is one object.
    /// </summary>
    public InstancePostProcessing? PostProcessing { get; init; }

    /// <summary>Tile side actually used: <see cref="TileSize"/> rounded down to a multiple of 2^depth.</summary>
    [JsonIgnore]
    public int EffectiveTileSize => Math.Max(1 << Depth, TileSize / (1 << Depth) * (1 << Depth));

    /// <summary>What makes this description unusable, or null.</summary>
    public string? FindProblem()
    {
        if (Format is < OldestFormat or > CurrentFormat)
            return $"format {Format} is not one of the supported {OldestFormat} to {CurrentFormat}";
        if (Model is not ("unet" or "resunet"))
            return $"model '{Model}' is not unet or resunet";
        if (Residual != (Model == "resunet"))
            return $"model '{Model}' but residual blocks {(Residual ? "on" : "off")}";
        if (Scheme is not (OutputScheme.Semantic or OutputScheme.Instance))
            return $"scheme {Scheme} is not semantic or instance";
        if (ChannelNames is null || ChannelNames.Count < 2 || ClassNames is null || ClassNames.Count < 2)
            return "fewer than two channels or classes";
        if (Scheme == OutputScheme.Instance && !ChannelNames.SequenceEqual(SegmentationTargets.InstanceChannels, StringComparer.Ordinal))
            return "the instance scheme's channels are not background, interior, boundary";
        if (Scheme == OutputScheme.Semantic && !ChannelNames.SequenceEqual(ClassNames, StringComparer.Ordinal))
            return "the semantic scheme's channels are not the classes";
        if (Format >= 2 && Scheme == OutputScheme.Instance && PostProcessing is null)
            return "the instance scheme has no post_processing settings";
        if (Scheme == OutputScheme.Semantic && PostProcessing is not null && ClassNames.Count != 2)
            return $"a semantic segmenter with post_processing needs two classes, got {ClassNames.Count}";
        if (PostProcessing?.FindProblem() is { } postProblem)
            return "post_processing: " + postProblem;
        if ((Format >= 3) != (ObjectScale is not null))
            return Format >= 3 ? $"format {Format} needs object_scale settings" : $"object_scale needs format 3, got {Format}";
        if (ObjectScale is not null && Format < FormatFor(ObjectScale.Measure))
            return $"object_scale measure {ObjectScale.Measure} needs format {FormatFor(ObjectScale.Measure)}, got {Format}";
        if (ObjectScale?.FindProblem() is { } scaleProblem)
            return "object_scale: " + scaleProblem;
        if (ObjectScale is not null && InputLongSide is not null)
            return "object_scale and input_long_side exclude each other";
        if ((Format >= EstimatedFormat) != (SizeEstimate is not null))
            return Format >= EstimatedFormat ? $"format {Format} needs size_estimate settings" : $"size_estimate needs format {EstimatedFormat}, got {Format}";
        if (SizeEstimate?.FindProblem() is { } estimateProblem)
            return "size_estimate: " + estimateProblem;
        if (ObjectScale is { Selection.EstimateWeight: > 0 } && SizeEstimate is null)
            return "object_scale's selection weighs a size estimate, but there is no size_estimate";
        var options = new UNetOptions
        {
            Depth = Depth,
            BaseWidth = BaseWidth,
            LocalContrastSigma = LocalContrastSigma,
            InputLongSide = InputLongSide,
            TileSize = TileSize,
            TileOverlap = TileOverlap,
            PredictionBatchSize = PredictionBatchSize,
            PredictionPixels = PredictionPixels,
            MinObjectArea = MinObjectArea,
            BoundaryWidth = BoundaryWidth,
            PatchSize = Math.Max(8, 1 << Math.Clamp(Depth, 1, 6)),
        };
        var problems = options.Problems();
        return problems.Count > 0 ? problems[0] : null;
    }
}

/// <summary>
/// A trained U-Net that segments images of any size with an overlap-tile sliding window: the image is standardised
/// as a whole, mirrored beyond its borders by half the overlap, covered by the fewest equal tiles that fit the pixel
/// budget (<see cref="UNetTilePlan"/>; one tile when the whole field fits), run in batches under no_grad,
/// and the tiles' softmax outputs are blended with a cosine (Hann) window, so tile edges, where the network sees
/// least context, count least and no seams show. The label map is the arg-max class; the instance scheme's
/// prediction is split into objects by <see cref="PostProcessing"/> at the network's working resolution, and the ids
/// are resized to the image (a format-1 segmenter keeps <see cref="SegmentationTargets.SplitInstances"/> at the
/// image's resolution). Thread-safe: predictions take turns on libtorch. The network runs folded
/// (<see cref="UNet.Fold"/>), folded once per number format at the first prediction in it: its weights must not change after that.
/// </summary>
public sealed class UNetSegmenter : ISegmenter
{
    /// <summary>The weights' file in a saved segmenter's folder (safetensors).</summary>
    public const string WeightsFile = "weights.safetensors";

    /// <summary>The description's file in a saved segmenter's folder.</summary>
    public const string InfoFile = "segmenter.json";

    /// <summary>The size CNN's weights in a saved format-5 segmenter's folder (safetensors).</summary>
    public const string SizeWeightsFile = "size.safetensors";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    readonly int threads;
    readonly bool ownsNetwork;
    // The CNN that estimates each image's object size (format 5), owned with the network.
    readonly SizeNetwork? sizeNetwork;
    // The network folded for prediction in one number format, made at the first prediction in that format.
    FoldedUNet? folded;
    bool disposed;

    /// <summary>Wraps a network; the segmenter owns and disposes it.</summary>
    public UNetSegmenter(UNet network, UNetSegmenterInfo info, int threads = 0)
        : this(network, info, threads, ownsNetwork: true)
    {
    }

    /// <summary>Wraps a network and the size CNN that <paramref name="info"/>'s <see cref="UNetSegmenterInfo.SizeEstimate"/> describes; the segmenter owns both.</summary>
    internal UNetSegmenter(UNet network, SizeNetwork? sizeNetwork, UNetSegmenterInfo info, int threads)
        : this(network, info, threads, ownsNetwork: true, sizeNetwork)
    {
    }

    UNetSegmenter(UNet network, UNetSegmenterInfo info, int threads, bool ownsNetwork, SizeNetwork? sizeNetwork = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(info);
        if ((info.SizeEstimate is null) != (sizeNetwork is null))
            throw new ArgumentException(info.SizeEstimate is null ? "A size network was given, but the info has no size_estimate." : "The info has a size_estimate, but no size network was given.", nameof(info));
        this.sizeNetwork = sizeNetwork;
        if (network.OutChannels != info.ChannelNames.Count)
            throw new ArgumentException($"The network has {network.OutChannels} output channels but the info names {info.ChannelNames.Count}.", nameof(info));
        if (info.Scheme == OutputScheme.Auto)
            throw new ArgumentException("A trained segmenter needs a concrete scheme, semantic or instance.", nameof(info));
        Network = network;
        Info = info;
        this.ownsNetwork = ownsNetwork;
        this.threads = threads > 0 ? threads : Environment.ProcessorCount;
        Network.Eval();
        Network.UseChannelsLast();
    }

    /// <summary>
    /// A segmenter over a network that stays its caller's: disposing it releases only what the segmenter made. The
    /// trainer's probes, which run the network it goes on to return, are these.
    /// </summary>
    internal static UNetSegmenter Borrowing(UNet network, UNetSegmenterInfo info, int threads) =>
        new(network, info, threads, ownsNetwork: false);

    public string Name => Info.Model;

    /// <summary>The trained network (predictions run a folded snapshot of it; see the class remarks).</summary>
    public UNet Network { get; }

    public UNetSegmenterInfo Info { get; }

    /// <summary>The instance post-processing in use: the info's, or untuned settings with its minimum object area when it has none.</summary>
    public InstancePostProcessing PostProcessing => Info.PostProcessing ?? new InstancePostProcessing { MinObjectArea = Info.MinObjectArea };

    /// <summary>
    /// The number format of the forward passes (float32 unless set). bfloat16 is about twice as fast on CPUs with
    /// native support (<see cref="InferencePrecisions.NativeBFloat16"/>) and emulated, slower, elsewhere; its
    /// probabilities differ from float32's by a few 1e-4 on average, a few 1e-2 at most. Softmax, blending and
    /// post-processing stay float32.
    /// </summary>
    public InferencePrecision Precision { get; set; } = InferencePrecision.Float32;

    /// <summary>
    /// Views of every tile whose softmax outputs are averaged (test-time flips): 1, the tile alone (the default); 2, it
    /// and its left-right mirror; 4, also its top-bottom mirror and both (a half turn). Each view is mirrored back
    /// before the average, so the probabilities stay aligned with the image; a prediction costs that many passes.
    /// With object scaling, the ladder of factors runs on the image alone and only the rung it picks runs again with
    /// the flips: averaged views on every rung made the pick worse on emps-particles, and cost every rung that many passes.
    /// The counts allowed are <see cref="TestTimeFlipCounts"/>.
    /// </summary>
    public int TestTimeFlips
    {
        get => flipViews.Length;
        set => flipViews = value switch
        {
            1 => [[]],
            2 => [[], [3]],
            4 => [[], [3], [2], [2, 3]],
            _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Test-time flips must be 1, 2 or 4."),
        };
    }

    /// <summary>The values <see cref="TestTimeFlips"/> takes.</summary>
    public static IReadOnlyList<int> TestTimeFlipCounts { get; } = [1, 2, 4];

    // The dimensions each view mirrors (NCHW: 3 is left-right, 2 top-bottom); the first view is the tile itself.
    long[][] flipViews = OneView;

    static readonly long[][] OneView = [[]];

    /// <summary>Facts and curves of the fit that made this segmenter (empty when it was loaded).</summary>
    public SegmenterTrainingSummary Summary { get; init; } = new();

    public SegmentationPrediction Predict(GrayImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(disposed, this);
        return Finish(image, WorkingPass(image, cancellationToken));
    }

    /// <summary>
    /// The prediction when the network works at <paramref name="factor"/> times the image's size (bounded by the
    /// object scale's pixel limit) instead of the estimated one: for oracle measurements, where the factor comes from the truth.
    /// </summary>
    internal SegmentationPrediction PredictAtFactor(GrayImage image, double factor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(disposed, this);
        return Finish(image, PassAt(image, factor, flipViews, cancellationToken));
    }

    /// <summary>
    /// The network's pass that a prediction uses: at the fixed working size, or, with object scaling, the rung of
    /// <see cref="Ladder"/> that the scale's <see cref="ObjectScale.Selection"/> picks, run again over the flips when
    /// there are any.
    /// </summary>
    internal ScaledPass WorkingPass(GrayImage image, CancellationToken cancellationToken)
    {
        if (Info.ObjectScale is null)
        {
            var (width, height) = InputScaling.Size(image.Width, image.Height, Info.InputLongSide);
            return Run(image, width, height, flipViews, cancellationToken);
        }
        var chosen = ChosenRung(image, cancellationToken);
        return flipViews.Length == 1 ? chosen : Run(image, chosen.Width, chosen.Height, flipViews, cancellationToken);
    }

    /// <summary>With object scaling, the pass of the image alone at the rung of <see cref="Ladder"/> that the scale's selection picks.</summary>
    ScaledPass ChosenRung(GrayImage image, CancellationToken cancellationToken)
    {
        var scale = Info.ObjectScale ?? throw new InvalidOperationException("Only a segmenter with object scaling has a ladder of factors.");
        return Choose(Ladder(image, cancellationToken), scale.Selection, scale.ObjectSize, EstimatedFactor(image));
    }

    /// <summary>
    /// The pass of <paramref name="ladder"/> that <paramref name="selection"/> picks for objects of
    /// <paramref name="objectSize"/> pixels, drawn towards <paramref name="estimatedFactor"/> when there is one.
    /// </summary>
    internal static ScaledPass Choose(List<ScaledPass> ladder, ScaleSelection selection, int objectSize, double? estimatedFactor = null) =>
        ladder[selection.Choose([.. ladder.Select(p => p.Rung)], objectSize, estimatedFactor)];

    /// <summary>
    /// The factor that brings the image's objects to the object size by the size CNN's estimate of their median size
    /// (format 5); null without a size CNN, or when it reads no size (an image too small to read).
    /// </summary>
    internal double? EstimatedFactor(GrayImage image)
    {
        if (sizeNetwork is null || Info.ObjectScale is not { } scale)
            return null;
        double size;
        using (TorchThreads.Gate.EnterScope())
        using (new TorchThreads(threads))
            size = sizeNetwork.Estimate(image);
        return size > 0 && double.IsFinite(size) ? ObjectScaling.Factor(size, scale.ObjectSize) : null;
    }

    /// <summary>
    /// With object scaling, the passes at <see cref="ObjectScale.ProbeFactor"/> × 2^(k/2) (k = −6..6, within the
    /// scale's factor range), in the order of their factors; a factor within 10 % of one already run is skipped. Each
    /// pass sees the image alone, unless <paramref name="withFlips"/> averages every pass over <see cref="TestTimeFlips"/>
    /// views (for measurements of that choice).
    /// </summary>
    internal List<ScaledPass> Ladder(GrayImage image, CancellationToken cancellationToken, bool withFlips = false)
    {
        var views = withFlips ? flipViews : OneView;
        var scale = Info.ObjectScale ?? throw new InvalidOperationException("Only a segmenter with object scaling has a ladder of factors.");
        var ladder = new List<ScaledPass>();
        for (var k = -LadderHalfSteps; k <= LadderHalfSteps; k++)
        {
            var factor = Math.Clamp(scale.ProbeFactor * Math.Pow(2, k / 2.0), scale.MinFactor, scale.MaxFactor);
            // A factor within 10 % of one already run would give nearly the same objects.
            if (ladder.Any(r => Math.Abs(Math.Log(factor / r.Factor)) < Math.Log(1.1)))
                continue;
            ladder.Add(PassAt(image, factor, views, cancellationToken));
        }
        return ladder;
    }

    /// <summary>Half-octave rungs each side of the probe factor (an eighth to eight times it).</summary>
    const int LadderHalfSteps = 6;

    /// <summary>The instance ids of an instance-scheme pass over <paramref name="image"/>, at the image's size.</summary>
    internal static int[] InstancesAt(GrayImage image, ScaledPass pass) =>
        InputScaling.Labels(pass.Instances ?? throw new InvalidOperationException("The pass has no instances."), pass.Width, pass.Height, image.Width, image.Height);

    /// <summary>The network's confidence in a pass: the mean top probability over the pixels whose top channel is not the first (background).</summary>
    internal static double Confidence(float[] probabilities, int channels, int n)
    {
        double sum = 0;
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            var (best, top) = (0, probabilities[i]);
            for (var c = 1; c < channels; c++)
            {
                if (probabilities[(c * n) + i] > top)
                    (best, top) = (c, probabilities[(c * n) + i]);
            }
            if (best != 0)
            {
                sum += top;
                count++;
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    ScaledPass PassAt(GrayImage image, double factor, long[][] views, CancellationToken cancellationToken)
    {
        var maxPixels = Info.ObjectScale?.MaxPixels ?? ObjectScaling.DefaultMaxPixels;
        var (width, height, _) = ObjectScaling.Size(image.Width, image.Height, factor, maxPixels);
        return Run(image, width, height, views, cancellationToken);
    }

    ScaledPass Run(GrayImage image, int width, int height, long[][] views, CancellationToken cancellationToken)
    {
        var plan = TilePlan(width, height, Info.TileSize, Info.TileOverlap);
        var working = NetworkProbabilities(InputScaling.Image(image, width, height), plan, views, cancellationToken);
        int[]? instances = null;
        if (Info.Scheme == OutputScheme.Instance && Info.Format >= 2)
            instances = PostProcessing.Apply(working, width, height);
        else if (Info.Scheme == OutputScheme.Semantic && Info.PostProcessing is { } split)
            instances = split.ApplySemantic(working, width, height);
        var factor = Math.Sqrt((double)width * height / ((double)image.Width * image.Height));
        if (Info.ObjectScale is null)
            return new ScaledPass(working, width, height, factor, instances, null);
        var objects = instances ?? ObjectScaling.ObjectIds(ArgMax(working, Info.ChannelNames.Count, width * height), width, height, MaskKind.ClassMap);
        var (diameter, spread) = ObjectScaling.Sizes(objects, width, height, Info.ObjectScale.Measure);
        return new ScaledPass(working, width, height, factor, instances, diameter, spread, Confidence(working, Info.ChannelNames.Count, width * height));
    }

    /// <summary>
    /// The first channel with the highest probability at each pixel of channel-major maps. Channel by channel over whole
    /// planes, in SIMD vectors: a later channel takes a pixel only when strictly higher, so ties (and NaN) keep the earlier one.
    /// </summary>
    internal static int[] ArgMax(float[] probabilities, int channels, int n)
    {
        var labels = new int[n];
        var top = probabilities.AsSpan(0, n).ToArray();
        var width = Vector<float>.Count;
        for (var c = 1; c < channels; c++)
        {
            var plane = probabilities.AsSpan(c * n, n);
            var channel = new Vector<int>(c);
            var i = 0;
            for (; i <= n - width; i += width)
            {
                var value = new Vector<float>(plane[i..]);
                var best = new Vector<float>(top, i);
                var higher = Vector.GreaterThan(value, best);
                Vector.ConditionalSelect(higher, value, best).CopyTo(top, i);
                Vector.ConditionalSelect(higher, channel, new Vector<int>(labels, i)).CopyTo(labels, i);
            }
            for (; i < n; i++)
            {
                if (plane[i] > top[i])
                    (top[i], labels[i]) = (plane[i], c);
            }
        }
        return labels;
    }

    SegmentationPrediction Finish(GrayImage image, ScaledPass pass)
    {
        var (working, workingWidth, workingHeight) = (pass.Probabilities, pass.Width, pass.Height);
        var probabilities = InputScaling.Probabilities(working, Info.ChannelNames.Count, workingWidth, workingHeight, image.Width, image.Height);
        int width = image.Width, height = image.Height, n = width * height;
        // The instance scheme's labels are its objects' foreground, so its arg-max would go unused.
        var labels = Info.Scheme == OutputScheme.Instance ? new int[n] : ArgMax(probabilities, Info.ChannelNames.Count, n);

        int[]? instances = null;
        if (Info.Scheme == OutputScheme.Instance)
        {
            // Objects form where the network worked, with the areas they were tuned at, and are then resized as ids.
            instances = Info.Format < 2
                ? SegmentationTargets.SplitInstances(probabilities, width, height, Info.MinObjectArea)
                : InstancesAt(image, pass);
            for (var i = 0; i < n; i++)
                labels[i] = instances[i] > 0 ? 1 : 0;
        }
        else if (pass.Instances is not null)
        {
            // A split semantic prediction: the objects, while the labels stay the arg-max classes.
            instances = InstancesAt(image, pass);
        }
        return new SegmentationPrediction
        {
            Width = width,
            Height = height,
            ChannelNames = Info.ChannelNames,
            Probabilities = probabilities,
            Labels = labels,
            Instances = instances,
            ScaleFactor = pass.Factor,
        };
    }

    /// <summary>Blended softmax probabilities, channel-major [channel × height × width], with the tiling of <see cref="Info"/>.</summary>
    public float[] Probabilities(GrayImage image, CancellationToken cancellationToken = default) =>
        Probabilities(image, Info.TileSize, Info.TileOverlap, cancellationToken);

    /// <summary>
    /// Blended softmax probabilities with tiles of sides at most <paramref name="tileSize"/> overlapping by
    /// <paramref name="tileOverlap"/>, planned by <see cref="TilePlan"/>: the fewest pixels computed within
    /// <see cref="UNetSegmenterInfo.PredictionPixels"/> per forward pass, so an image whose mirrored field fits the budget
    /// runs in one pass.
    /// </summary>
    public float[] Probabilities(GrayImage image, int tileSize, int tileOverlap, CancellationToken cancellationToken = default) =>
        Probabilities(image, tileSize, tileOverlap, Info.PredictionPixels, cancellationToken);

    /// <summary>The same with <paramref name="pixelBudget"/> pixels at most in one forward pass instead of the info's.</summary>
    public float[] Probabilities(GrayImage image, int tileSize, int tileOverlap, int pixelBudget, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, Network.SizeMultiple);
        ArgumentOutOfRangeException.ThrowIfNegative(tileOverlap);
        ObjectDisposedException.ThrowIf(disposed, this);
        var (width, height) = InputScaling.Size(image.Width, image.Height, Info.InputLongSide);
        if (Info.ObjectScale is not null)
        {
            var pass = ChosenRung(image, cancellationToken);
            (width, height) = (pass.Width, pass.Height);
        }
        var probabilities = NetworkProbabilities(InputScaling.Image(image, width, height), TilePlan(width, height, tileSize, tileOverlap, pixelBudget), flipViews, cancellationToken);
        return InputScaling.Probabilities(probabilities, Info.ChannelNames.Count, width, height, image.Width, image.Height);
    }

    /// <summary>
    /// The tiles <see cref="Probabilities(GrayImage, int, int, CancellationToken)"/> runs on an image of
    /// <paramref name="width"/> × <paramref name="height"/> at the network's working resolution.
    /// </summary>
    public UNetTilePlan TilePlan(int width, int height, int tileSize, int tileOverlap, int? pixelBudget = null) =>
        UNetTilePlan.Create(width, height, Math.Max(tileSize, Network.SizeMultiple), tileOverlap, Network.SizeMultiple,
            pixelBudget ?? Info.PredictionPixels, Info.PredictionBatchSize);

    /// <summary>Blended probabilities of an image already at the network's working resolution (no resizing).</summary>
    internal float[] NetworkProbabilities(GrayImage image, int tileSize, int tileOverlap, CancellationToken cancellationToken) =>
        NetworkProbabilities(image, TilePlan(image.Width, image.Height, tileSize, tileOverlap), flipViews, cancellationToken);

    float[] NetworkProbabilities(GrayImage image, UNetTilePlan plan, long[][] views, CancellationToken cancellationToken)
    {
        var input = SegmenterInput.Prepare(image, Info.LocalContrastSigma);
        int tileWidth = plan.TileWidth, tileHeight = plan.TileHeight;
        var windowX = Window(tileWidth);
        var windowY = Window(tileHeight);
        var channels = Info.ChannelNames.Count;
        int width = input.Width, height = input.Height, n = width * height, area = tileWidth * tileHeight;
        // One tile needs no blending: its window divides out, and its image part fills every sum.
        var weights = plan.TileCount == 1 ? null : new float[n];
        var sums = weights is null ? GC.AllocateUninitializedArray<float>(channels * n) : new float[channels * n];
        var origins = plan.Origins.ToArray();
        var batchSize = plan.BatchSize;
        // Scratch, written before it is read: pooled, so a large field does not page-fault fresh memory on every call.
        // One tile's probabilities go straight into the sums, so it needs no tile buffer.
        var pixels = ArrayPool<float>.Shared.Rent(batchSize * area);
        var output = weights is null ? [] : ArrayPool<float>.Shared.Rent(batchSize * channels * area);
        try
        {
            Blend(input, plan, views, origins, pixels, output, sums, weights, windowX, windowY, cancellationToken);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
            if (weights is not null)
                ArrayPool<float>.Shared.Return(output);
        }
        if (weights is null)
            return sums;
        for (var i = 0; i < n; i++)
        {
            var scale = 1 / weights[i];
            for (var c = 0; c < channels; c++)
                sums[(c * n) + i] *= scale;
        }
        return sums;
    }

    // Runs the plan's batches and adds each tile's probabilities into the sums and window weights; without weights (one
    // tile) the tile's probabilities are the sums.
    void Blend(SegmenterInput input, UNetTilePlan plan, long[][] views, (int X, int Y)[] origins, float[] pixels, float[] output, float[] sums, float[]? weights,
        float[] windowX, float[] windowY, CancellationToken cancellationToken)
    {
        int tileWidth = plan.TileWidth, tileHeight = plan.TileHeight, area = tileWidth * tileHeight;
        int width = input.Width, height = input.Height, channels = Info.ChannelNames.Count, batchSize = plan.BatchSize;

        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        using var noGrad = Torch.NoGrad();
        var dtype = Precision.ScalarType();
        var folded = Folded(dtype);
        for (var start = 0; start < origins.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, origins.Length - start);
            for (var b = 0; b < count; b++)
                input.CopyWindow(origins[start + b].X, origins[start + b].Y, tileWidth, tileHeight, pixels.AsSpan(b * area, area), standardise: true);
            using (var scope = DisposeScope.Begin())
            {
                var batch = Tensor.From<float>(pixels.AsSpan(0, count * area), [count, 1, tileHeight, tileWidth]);
                Tensor? sum = null;
                foreach (var flip in views)
                {
                    var view = flip.Length == 0 ? batch : batch.Flip(flip);
                    var logits = folded.Forward(dtype == ScalarType.Float32 ? view : view.To(dtype));
                    if (flip.Length > 0)
                        logits = logits.Flip(flip);
                    // One tile, so one batch: only the image's part of it is converted and gets a softmax, straight into the sums.
                    if (weights is null)
                        logits = logits.Narrow(2, -origins[start].Y, height).Narrow(3, -origins[start].X, width);
                    if (dtype != ScalarType.Float32)
                        logits = logits.To(ScalarType.Float32);
                    var softmax = logits.Softmax(1);
                    sum = sum is null ? softmax : sum + softmax;
                }
                var probabilities = (views.Length == 1 ? sum! : sum! / views.Length).Contiguous();
                if (weights is null)
                {
                    probabilities.CopyTo<float>(sums);
                    return;
                }
                probabilities.CopyTo<float>(output.AsSpan(0, count * channels * area));
            }
            for (var b = 0; b < count; b++)
                Accumulate(output.AsSpan(b * channels * area), origins[start + b], tileWidth, tileHeight, channels, windowX, windowY, sums, weights, width, height);
        }
    }

    // Called under the gate, which also keeps two predictions from folding at once.
    FoldedUNet Folded(ScalarType dtype)
    {
        if (folded?.ScalarType != dtype)
        {
            folded?.Dispose();
            folded = null;
            folded = Network.Fold(dtype);
        }
        return folded;
    }

    static void Accumulate(ReadOnlySpan<float> probabilities, (int X, int Y) origin, int tileWidth, int tileHeight, int channels,
        float[] windowX, float[] windowY, float[] sums, float[] weights, int width, int height)
    {
        int n = width * height, area = tileWidth * tileHeight;
        int y0 = Math.Max(0, origin.Y), y1 = Math.Min(height, origin.Y + tileHeight);
        int x0 = Math.Max(0, origin.X), x1 = Math.Min(width, origin.X + tileWidth);
        for (var y = y0; y < y1; y++)
        {
            var ty = y - origin.Y;
            var wy = windowY[ty];
            for (var x = x0; x < x1; x++)
            {
                var tx = x - origin.X;
                var w = wy * windowX[tx];
                var i = (y * width) + x;
                weights[i] += w;
                var t = (ty * tileWidth) + tx;
                for (var c = 0; c < channels; c++)
                    sums[(c * n) + i] += w * probabilities[(c * area) + t];
            }
        }
    }

    // A Hann window lifted off zero, so every pixel has weight even where only a tile edge covers it.
    static float[] Window(int tile)
    {
        var window = new float[tile];
        for (var i = 0; i < tile; i++)
            window[i] = (float)(1e-3 + (0.5 - (0.5 * Math.Cos(2 * Math.PI * (i + 0.5) / tile))));
        return window;
    }

    /// <summary>Writes <see cref="WeightsFile"/> and <see cref="InfoFile"/> into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ObjectDisposedException.ThrowIf(disposed, this);
        Directory.CreateDirectory(directory);
        Network.Save(Path.Combine(directory, WeightsFile), new Dictionary<string, string> { ["model"] = Info.Model });
        sizeNetwork?.Save(Path.Combine(directory, SizeWeightsFile));
        AutoClassify.IO.AtomicFile.WriteAllText(Path.Combine(directory, InfoFile), JsonSerializer.Serialize(Info, Json));
    }

    /// <summary>
    /// Reads a segmenter written by <see cref="Save"/>; throws naming the file when either is missing, the description
    /// is unusable, or the weights do not fit the architecture it describes.
    /// </summary>
    public static UNetSegmenter Load(string directory, int threads = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var infoPath = Path.Combine(directory, InfoFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        foreach (var path in new[] { infoPath, weightsPath })
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: a saved segmenter needs this file beside {(path == infoPath ? WeightsFile : InfoFile)}.", path);
        }
        UNetSegmenterInfo info;
        try
        {
            info = JsonSerializer.Deserialize<UNetSegmenterInfo>(File.ReadAllText(infoPath), Json)
                ?? throw new InvalidDataException($"{infoPath}: the file is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{infoPath}: not a segmenter description ({e.Message}).", e);
        }
        if (info.FindProblem() is { } problem)
            throw new InvalidDataException($"{infoPath}: {problem.TrimEnd('.')}.");
        var sizePath = Path.Combine(directory, SizeWeightsFile);
        if (info.SizeEstimate is not null && !File.Exists(sizePath))
            throw new FileNotFoundException($"{sizePath}: a format-{info.Format} segmenter needs its size network's weights beside {InfoFile}.", sizePath);
        var network = new UNet(1, info.ChannelNames.Count, info.Depth, info.BaseWidth, info.Residual);
        SizeNetwork? size = null;
        try
        {
            network.Load(weightsPath);
            if (info.SizeEstimate is { } estimate)
                size = SizeNetwork.Load(sizePath, estimate, info.ObjectScale!.ObjectSize);
            return new UNetSegmenter(network, info, threads, ownsNetwork: true, size);
        }
        catch
        {
            network.Dispose();
            size?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        using (TorchThreads.Gate.EnterScope())
        {
            folded?.Dispose();
            folded = null;
        }
        if (ownsNetwork)
            Network.Dispose();
        sizeNetwork?.Dispose();
    }
}

/// <summary>
/// One pass of the network over an image resized to <paramref name="Width"/> x <paramref name="Height"/>
/// (<paramref name="Factor"/> times its size): the probabilities there, the instances the post-processing made of them
/// (instance scheme), and, with object scaling, the median equivalent diameter of the objects found (working pixels),
/// the spread of their sizes (the interquartile range of their log diameters, objects cut by the border left out;
/// null with fewer than two such objects) and the network's confidence (<see cref="UNetSegmenter.Confidence"/>).
/// </summary>
internal sealed record ScaledPass(float[] Probabilities, int Width, int Height, double Factor, int[]? Instances, double? MedianDiameter, double? SizeSpread = null, double Confidence = 0)
{
    /// <summary>What the scale selection sees of this pass.</summary>
    public ScaleRung Rung => new(Factor, MedianDiameter, SizeSpread, Confidence);
}
