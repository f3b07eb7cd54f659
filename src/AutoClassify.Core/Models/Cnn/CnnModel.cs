using System.Text.Json;
using System.Text.Json.Serialization;
using AutoClassify.IO;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Cnn;

/// <summary>What a saved CNN needs besides its weights to be rebuilt and fed the same way (<c>model.json</c>).</summary>
public sealed record CnnModelInfo
{
    /// <summary>The only normalisation the CNN arm applies: each prepared image to zero mean and unit SD.</summary>
    public const string PerImageNormalisation = "per-image zero mean, unit SD";

    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Model { get; init; }

    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary><c>surround</c>, <c>crop</c> or <c>crop-mask</c>.</summary>
    public required string InputMode { get; init; }

    public required int InputSize { get; init; }

    public double CropMargin { get; init; } = CnnOptions.Defaults.CropMargin;

    public string Normalisation { get; init; } = PerImageNormalisation;

    public double Dropout { get; init; } = CnnOptions.Defaults.Dropout;

    public double HiddenDropout { get; init; } = CnnOptions.Defaults.HiddenDropout;

    /// <summary>The temperature every logit is divided by before the softmax (<c>--calibrate temperature</c>); 1 leaves them as trained.</summary>
    public double Temperature { get; init; } = 1;
}

/// <summary>A trained LipNet: its weights and how to prepare inputs for it. Dispose it to free the weights.</summary>
public sealed partial class CnnModel : ITrainedModel
{
    /// <summary>File names inside a saved model's folder.</summary>
    public const string WeightsFile = "weights.safetensors";

    public const string InfoFile = "model.json";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
    };

    readonly LipNetModule module;
    readonly CnnInputPreparer preparer;
    readonly Device device;
    readonly int threads;
    readonly int batchSize;

    internal CnnModel(LipNetModule module, CnnModelInfo info, CnnOptions options, Device device, int threads, TrainingSummary summary)
    {
        this.module = module;
        Info = info;
        this.device = device;
        this.threads = threads;
        batchSize = options.PredictionBatchSize;
        Summary = summary;
        preparer = new CnnInputPreparer(InputModes.Parse(info.InputMode), info.InputSize, info.CropMargin);
        module.Eval();
    }

    public CnnModelInfo Info { get; }

    public TrainingSummary Summary { get; }

    /// <summary>The network (for inspection; the model owns it).</summary>
    public LipNetModule Network => module;

    /// <inheritdoc/>
    public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
    {
        var logits = Logits(data, indices);
        var result = new double[logits.Length][];
        for (var i = 0; i < logits.Length; i++)
            result[i] = TemperatureScaling.Softmax(logits[i], Info.Temperature);
        return result;
    }

    /// <summary>Raw network outputs (one row per requested item), in evaluation mode and without augmentation.</summary>
    public float[][] Logits(TrainingData data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        if (data.ClassCount != Info.ClassNames.Count)
            throw new ArgumentException($"The model knows {Info.ClassNames.Count} classes but the data has {data.ClassCount}.", nameof(data));
        var result = new float[indices.Count][];
        var classes = Info.ClassNames.Count;
        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        using var noGrad = Torch.NoGrad();
        module.Eval();
        var all = indices as int[] ?? [.. indices];
        for (var start = 0; start < all.Length; start += batchSize)
        {
            var count = Math.Min(batchSize, all.Length - start);
            var chunk = new ArraySegment<int>(all, start, count);
            var (pixels, _) = preparer.PrepareBatch(data, chunk);
            using var scope = DisposeScope.Begin();
            var x = CnnTrainer.ToDevice(Tensor.FromArray(pixels, [count, 1, Info.InputSize, Info.InputSize]), device);
            var logits = module.Forward(x);
            var values = (logits.Device == Device.Cpu ? logits : logits.To(Device.Cpu)).ToArray<float>();
            for (var i = 0; i < count; i++)
                result[start + i] = values.AsSpan(i * classes, classes).ToArray();
        }
        return result;
    }

    /// <summary>Writes <c>weights.safetensors</c> and <c>model.json</c> into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        module.Save(Path.Combine(directory, WeightsFile), new Dictionary<string, string> { ["model"] = Info.Model });
        AtomicFile.WriteAllText(Path.Combine(directory, InfoFile), JsonSerializer.Serialize(Info, Json));
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <param name="directory">The folder holding the two files.</param>
    /// <param name="options">Prediction settings (device, threads, batch size); the architecture comes from the files.</param>
    public static CnnModel Load(string directory, CnnOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var infoPath = Path.Combine(directory, InfoFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        foreach (var path in new[] { infoPath, weightsPath })
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: a saved CNN needs this file beside {(path == infoPath ? WeightsFile : InfoFile)}.", path);
        }
        CnnModelInfo info;
        try
        {
            info = JsonSerializer.Deserialize<CnnModelInfo>(File.ReadAllText(infoPath), Json)
                ?? throw new InvalidDataException($"{infoPath}: the file is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{infoPath}: not a CNN model description ({e.Message}).", e);
        }
        if (info.Format != CnnModelInfo.CurrentFormat)
            throw new InvalidDataException($"{infoPath}: format {info.Format} is not the supported {CnnModelInfo.CurrentFormat}.");

        options ??= new CnnOptions();
        var spec = LipNet.Find(info.Model);
        var device = ResolveDevice(options.Device);
        var module = LipNet.Build(spec, info.ClassNames.Count, info.InputSize, info.Dropout, info.HiddenDropout);
        try
        {
            module.Load(weightsPath);
            module.To(device);
            module.UseChannelsLast();
            var summary = new TrainingSummary();
            summary.Facts["model"] = info.Model;
            summary.Facts["loaded_from"] = directory;
            var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
            return new CnnModel(module, info, options with { Model = spec.Name }, device, threads, summary);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    internal static Device ResolveDevice(string text)
    {
        var device = Device.Parse(text);
        if (device.Type == DeviceType.Cuda && !Torch.CudaIsAvailable)
            throw new ArgumentException($"Device '{text}' was requested, but this libtorch has no usable CUDA (Debian's libtorch is CPU-only; see the README on CUDA builds).");
        return device;
    }

    public void Dispose() => module.Dispose();
}
