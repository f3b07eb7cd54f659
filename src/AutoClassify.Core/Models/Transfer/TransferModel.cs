using System.Text.Json;
using System.Text.Json.Serialization;
using AutoClassify.IO;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Transfer;

/// <summary>What a saved transfer model needs besides its weights to be rebuilt and fed the same way (<c>transfer.json</c>).</summary>
public sealed record TransferModelInfo
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    /// <summary>The catalog name it was trained as, e.g. <c>lipnet-backbone-finetune</c>.</summary>
    public required string Model { get; init; }

    /// <summary>The backbone's architecture: a registered ImageNet name or a LipNet name.</summary>
    public required string Backbone { get; init; }

    /// <summary>For a LipNet backbone, how its network was built (the source task's classes, input size, dropout).</summary>
    public CnnModelInfo? LipNetSource { get; init; }

    public required IReadOnlyList<string> ClassNames { get; init; }

    public required int Channels { get; init; }

    public required int InputSize { get; init; }

    /// <summary><c>PerImage</c> or <c>ImageNet</c>.</summary>
    public required string Normalisation { get; init; }

    /// <summary><c>surround</c>, <c>crop</c> or <c>crop-mask</c>.</summary>
    public required string InputMode { get; init; }

    public double CropMargin { get; init; } = CnnOptions.Defaults.CropMargin;

    public required int FeatureDim { get; init; }

    /// <summary>The temperature the head's logits are divided by before the softmax (<c>--calibrate temperature</c>); 1 leaves them as trained.</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>The input preparation these fields describe.</summary>
    public BackboneInputSpec ToInputSpec() =>
        new(Channels, InputSize, Enum.Parse<PixelNormalisation>(Normalisation), InputModes.Parse(InputMode), CropMargin);
}

/// <summary>
/// A backbone with a softmax head, as the frozen and fine-tuning modes train it. A frozen model predicts through its
/// feature extractor (and so through the feature cache); a fine-tuned one runs the images through the network.
/// Dispose it to free the weights.
/// </summary>
public sealed class TransferModel : ITrainedModel, IGradCamModel
{
    /// <summary>File names inside a saved model's folder.</summary>
    public const string BackboneFile = "backbone.safetensors";

    public const string HeadFile = "head.safetensors";

    public const string InfoFile = "transfer.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
    };

    readonly BackboneInputPreparer preparer;
    readonly Device device;
    readonly int threads;
    readonly int batchSize;
    readonly FeatureExtractor? extractor;

    internal TransferModel(IFeatureBackbone backbone, TransferHead head, TransferModelInfo info, Device device, int threads, int batchSize,
        FeatureExtractor? extractor, TrainingSummary summary)
    {
        Backbone = backbone;
        Head = head;
        Info = info;
        this.device = device;
        this.threads = threads;
        this.batchSize = batchSize;
        this.extractor = extractor;
        Summary = summary;
        preparer = new BackboneInputPreparer(info.ToInputSpec());
        backbone.Network.Eval();
        head.Eval();
    }

    public TransferModelInfo Info { get; }

    public TrainingSummary Summary { get; }

    /// <summary>The backbone (owned by the model).</summary>
    public IFeatureBackbone Backbone { get; }

    /// <summary>The classifier on the pooled features (owned by the model).</summary>
    public TransferHead Head { get; }

    /// <inheritdoc/>
    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        if (data.ClassCount != Info.ClassNames.Count)
            throw new ArgumentException($"The model knows {Info.ClassNames.Count} classes but the data has {data.ClassCount}.", nameof(data));
        var result = new double[indices.Count][];
        if (indices.Count == 0)
            return result;
        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        using var noGrad = Torch.NoGrad();
        Backbone.Network.Eval();
        Head.Eval();
        var all = indices as int[] ?? [.. indices];
        for (var start = 0; start < all.Length; start += batchSize)
        {
            var chunk = all.AsSpan(start, Math.Min(batchSize, all.Length - start)).ToArray();
            using var scope = DisposeScope.Begin();
            var logits = Head.Forward(Features(data, chunk));
            var classes = Info.ClassNames.Count;
            if (Info.Temperature == 1)
            {
                var probabilities = logits.To(ScalarType.Float64).Softmax(1);
                var values = (probabilities.Device == Device.Cpu ? probabilities : probabilities.To(Device.Cpu)).ToArray<double>();
                for (var i = 0; i < chunk.Length; i++)
                    result[start + i] = values.AsSpan(i * classes, classes).ToArray();
            }
            else
            {
                var values = (logits.Device == Device.Cpu ? logits : logits.To(Device.Cpu)).ToArray<float>();
                for (var i = 0; i < chunk.Length; i++)
                    result[start + i] = TemperatureScaling.Softmax(values.AsSpan(i * classes, classes).ToArray(), Info.Temperature);
            }
        }
        return result;
    }

    Tensor Features(TrainingData data, int[] items)
    {
        if (extractor is not null)
        {
            var rows = extractor.Extract(data, items);
            return TransferFit.ToTensor(rows, Info.FeatureDim, device);
        }
        var (pixels, _) = preparer.PrepareGrey(data, items);
        var grey = CnnTrainer.ToDevice(Tensor.FromArray(pixels, [items.Length, 1, Info.InputSize, Info.InputSize]), device);
        return Backbone.Features(preparer.ToNetworkInput(grey));
    }

    /// <summary>
    /// Class activation maps of <paramref name="targets"/> at the backbone's last convolutional block (see
    /// <see cref="GradCamMap"/>), through the pooling and the linear head, for frozen and fine-tuned models alike. A
    /// backbone that runs without gradients gives no maps; <see cref="CnnExplanation.Unavailable"/> then says so.
    /// </summary>
    /// <param name="data">The data set the item indices point into.</param>
    /// <param name="targets">Items with the class to explain (usually the predicted one).</param>
    public CnnExplanation GradCam(TrainingData data, IReadOnlyList<(int Item, int Class)> targets)
    {
        ArgumentNullException.ThrowIfNull(data);
        ClassActivationMaps.CheckTargets(targets, Info.ClassNames.Count);
        if (Backbone is not IConvolutionalBackbone backbone)
        {
            return new CnnExplanation
            {
                InputSize = Info.InputSize,
                Unavailable = $"its {Backbone.Name} backbone runs on an inference engine without gradients (ONNX Runtime); the fine-tuned model of the same backbone runs on libtorch and has maps",
            };
        }
        var explanation = new CnnExplanation { InputSize = Info.InputSize, Layer = backbone.LastMapsLayer };
        if (targets.Count == 0)
            return explanation;
        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        Backbone.Network.Eval();
        Head.Eval();
        var cut = new ClassActivationMaps.Cut(
            backbone.LastMapsLayer,
            [Backbone.Network, Head],
            items =>
            {
                var (pixels, _) = preparer.PrepareGrey(data, items);
                var grey = CnnTrainer.ToDevice(Tensor.FromArray(pixels, [items.Count, 1, Info.InputSize, Info.InputSize]), device);
                return (preparer.ToNetworkInput(grey), pixels, Info.InputSize);
            },
            backbone.LastMaps,
            maps => Head.Forward(backbone.FeaturesFromMaps(maps)));
        explanation.GradCam = ClassActivationMaps.Compute(cut, targets, Info.ClassNames.Count, batchSize, device);
        return explanation;
    }

    /// <summary>Writes <c>backbone.safetensors</c>, <c>head.safetensors</c> and <c>transfer.json</c> into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        Backbone.Network.Save(Path.Combine(directory, BackboneFile), new Dictionary<string, string> { ["backbone"] = Info.Backbone });
        Head.Save(Path.Combine(directory, HeadFile), new Dictionary<string, string> { ["model"] = Info.Model });
        AtomicFile.WriteAllText(Path.Combine(directory, InfoFile), JsonSerializer.Serialize(Info, Json));
    }

    /// <summary>Reads a model written by <see cref="Save"/>: rebuilds the backbone's architecture and loads both state files.</summary>
    /// <param name="directory">The folder holding the three files.</param>
    /// <param name="threads">libtorch threads for prediction (0 = all cores).</param>
    /// <param name="deviceName"><c>cpu</c> or <c>cuda[:N]</c>.</param>
    public static TransferModel Load(string directory, int threads = 0, string deviceName = CnnOptions.Defaults.Device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var infoPath = Path.Combine(directory, InfoFile);
        foreach (var path in new[] { infoPath, Path.Combine(directory, BackboneFile), Path.Combine(directory, HeadFile) })
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: a saved transfer model needs {InfoFile}, {BackboneFile} and {HeadFile}.", path);
        }
        TransferModelInfo info;
        try
        {
            info = JsonSerializer.Deserialize<TransferModelInfo>(File.ReadAllText(infoPath), Json)
                ?? throw new InvalidDataException($"{infoPath}: the file is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{infoPath}: not a transfer model description ({e.Message}).", e);
        }
        if (info.Format != TransferModelInfo.CurrentFormat)
            throw new InvalidDataException($"{infoPath}: format {info.Format} is not the supported {TransferModelInfo.CurrentFormat}.");

        var device = CnnModel.ResolveDevice(deviceName);
        var backbone = BuildBackbone(info);
        TransferHead? head = null;
        try
        {
            if (backbone.FeatureDim != info.FeatureDim)
                throw new InvalidDataException($"{infoPath}: the rebuilt {info.Backbone} gives {backbone.FeatureDim} features, the file says {info.FeatureDim}.");
            backbone.Network.Load(Path.Combine(directory, BackboneFile));
            head = new TransferHead(info.FeatureDim, info.ClassNames.Count);
            head.Load(Path.Combine(directory, HeadFile));
            backbone.Network.To(device);
            head.To(device);
            var summary = new TrainingSummary();
            summary.Facts["model"] = info.Model;
            summary.Facts["loaded_from"] = directory;
            return new TransferModel(backbone, head, info, device, threads > 0 ? threads : Environment.ProcessorCount,
                TransferOptions.Defaults.ExtractionBatchSize, null, summary);
        }
        catch
        {
            head?.Dispose();
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A copy of the backbone with its current weights (and batch-norm statistics), owned by the caller and independent
    /// of this model: the start of a fit that continues from this model's backbone.
    /// </summary>
    public IFeatureBackbone CopyBackbone()
    {
        var copy = BuildBackbone(Info);
        try
        {
            copy.Network.LoadStateDict(Backbone.Network.StateDict());
            copy.Network.Eval();
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    // The backbone's architecture with fresh weights, for loading a saved state into.
    static IFeatureBackbone BuildBackbone(TransferModelInfo info) => info.LipNetSource is { } source
        ? LipNetBackbone.Build(source)
        : BackboneArchitectures.Require(info.Backbone).Create(new BackboneRequest
        {
            Pretrained = false,
            Trainable = info.Model.EndsWith(TransferCatalog.FineTune, StringComparison.Ordinal),
        });

    public void Dispose()
    {
        Head.Dispose();
        Backbone.Dispose();
    }
}

/// <summary>An SVM on frozen backbone features (<c>*-frozen-svm</c>): the CNN arm's features, the SVM arm's classifier.</summary>
public sealed class FrozenSvmModel : ITrainedModel, IGradCamModel
{
    readonly IFeatureBackbone backbone;
    readonly FeatureExtractor extractor;
    readonly int threads;

    internal FrozenSvmModel(IFeatureBackbone backbone, FeatureExtractor extractor, SvmModel svm, int threads)
    {
        this.backbone = backbone;
        this.extractor = extractor;
        this.threads = threads;
        Svm = svm;
    }

    /// <summary>The fitted SVM (owned by the model).</summary>
    public SvmModel Svm { get; }

    public TrainingSummary Summary => Svm.Summary;

    /// <summary>
    /// No maps: the RBF SVM's decision is not linear in the pooled features, and its probabilities come from pairwise
    /// Platt scaling, so a class's score has no gradient that adds up over the image's locations.
    /// <see cref="CnnExplanation.Unavailable"/> says so in the report.
    /// </summary>
    public CnnExplanation GradCam(TrainingData data, IReadOnlyList<(int Item, int Class)> targets) => new()
    {
        InputSize = extractor.Input.Size,
        Unavailable = $"its classifier is an RBF SVM on the {backbone.Name} backbone's pooled features, whose decision is not linear in the features and whose probabilities come from pairwise Platt scaling, so no class score adds up over the image's locations; the -frozen model has the same features under a linear softmax head, and its maps",
    };

    /// <inheritdoc/>
    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        float[][] rows;
        using (TorchThreads.Gate.EnterScope())
        using (new TorchThreads(threads))
            rows = extractor.Extract(data, indices);
        var compact = TransferFit.FeatureData(data, indices, rows);
        return Svm.PredictProbabilities(compact, [.. Enumerable.Range(0, indices.Count)]);
    }

    public void Dispose()
    {
        Svm.Dispose();
        backbone.Dispose();
    }
}
