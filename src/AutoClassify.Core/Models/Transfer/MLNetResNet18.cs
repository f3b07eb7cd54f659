using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using AutoClassify.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// The ImageNet ResNet-18 that ML.NET ships as ONNX in the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// (CNTK's training, not torchvision's weights): a backbone that needs no download, because <c>dotnet restore</c>
/// already put it in the NuGet cache (the project asks for it with <c>PackageDownload</c>). Two graphs, both opset 8
/// with a fixed 1 × 3 × 224 × 224 input: <c>ResNetPreprocess.onnx</c> takes RGB in 0..255, turns it to BGR and
/// subtracts a per-pixel mean image; <c>ResNet18.onnx</c> ends in the 7 × 7 average pool (512 features, no classifier).
/// Both files are pinned by SHA-256: any other file is refused.
/// </summary>
public static class MLNetResNet18
{
    /// <summary>The architecture name (<c>resnet18-mlnet-frozen</c>, <c>resnet18-mlnet-frozen-svm</c>, <c>resnet18-mlnet-finetune</c>).</summary>
    public const string Name = "resnet18-mlnet";

    /// <summary>The NuGet package that carries the graphs.</summary>
    public const string NuGetId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version whose files are pinned.</summary>
    public const string NuGetVersion = "0.24.0";

    /// <summary>Environment variable naming a folder that holds <c>ResNet18Onnx/ResNet18.onnx</c> and <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>.</summary>
    public const string FolderVariable = "AUTOCLASSIFY_MLNET_RESNET18";

    /// <summary>SHA-256 of <c>ResNet18Onnx/ResNet18.onnx</c> in version <see cref="NuGetVersion"/>.</summary>
    public const string NetworkSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";

    /// <summary>SHA-256 of <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c> in version <see cref="NuGetVersion"/>.</summary>
    public const string PreprocessSha256 = "84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004";

    /// <summary>Side of the square input both graphs are fixed at.</summary>
    public const int InputSize = 224;

    /// <summary>Length of the pooled feature vector.</summary>
    public const int FeatureDim = 512;

    /// <summary>One line for the model list and the report.</summary>
    public const string Description = "ResNet-18 (ML.NET's ImageNet ONNX from NuGet, no download; frozen via ONNX Runtime), 224 px, 512 features";

    internal static readonly string NetworkFile = Path.Combine("ResNet18Onnx", "ResNet18.onnx");
    internal static readonly string PreprocessFile = Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx");

    // Verified files by path, length and write time: hashing 64 MB on every open would cost more than a fold's head.
    static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Verified = new();

    /// <summary>
    /// Folders searched for the graphs, in order: <see cref="FolderVariable"/>, <c>DnnImageModels</c> beside the
    /// application (where a <c>PackageReference</c> to the package copies them), then the package in the NuGet cache
    /// (<c>$NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>).
    /// </summary>
    public static IReadOnlyList<string> Candidates()
    {
        var folders = new List<string>();
        var own = Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrWhiteSpace(own))
            folders.Add(Path.GetFullPath(own));
        folders.Add(Path.Combine(AppContext.BaseDirectory, "DnnImageModels"));
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(cache))
            cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        folders.Add(Path.Combine(cache, NuGetId.ToLowerInvariant(), NuGetVersion, "tools", "DnnImageModels"));
        return folders;
    }

    /// <summary>
    /// The folder holding both graphs with their pinned hashes. Throws <see cref="FileNotFoundException"/> listing every
    /// folder tried and how to restore the package, or <see cref="InvalidDataException"/> naming a file whose hash differs.
    /// </summary>
    public static string Locate()
    {
        var tried = Candidates();
        foreach (var folder in tried)
        {
            var network = Path.Combine(folder, NetworkFile);
            var preprocess = Path.Combine(folder, PreprocessFile);
            if (!File.Exists(network) || !File.Exists(preprocess))
                continue;
            Verify(network, NetworkSha256);
            Verify(preprocess, PreprocessSha256);
            return folder;
        }
        throw new FileNotFoundException(
            $"ML.NET's ResNet-18 ({NetworkFile} and {PreprocessFile}) was not found in: {string.Join(", ", tried)}. " +
            $"It comes from the NuGet package {NuGetId} {NuGetVersion}: run 'dotnet restore' on AutoClassify.sln (it downloads the package into the NuGet cache), " +
            $"or set {FolderVariable} to a folder holding both files.");
    }

    /// <summary>Checks a file's SHA-256 against <paramref name="expected"/>; throws naming the file and both hashes when they differ.</summary>
    internal static void Verify(string path, string expected)
    {
        var info = new FileInfo(path);
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc);
        if (!Verified.TryGetValue(key, out var actual))
        {
            using (var stream = File.OpenRead(path))
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            Verified[key] = actual;
        }
        if (!actual.Equals(expected, StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: SHA-256 {actual} is not the pinned {expected} of {NuGetId} {NuGetVersion}; refusing to use a different network.");
    }

    /// <summary>Opens the backbone on ONNX Runtime's CPU provider with <paramref name="threads"/> intra-op threads (0 = libtorch's current count).</summary>
    public static IFeatureBackbone Open(int threads = 0) => new OnnxResNet18Backbone(Locate(), threads > 0 ? threads : Torch.Threads);

    /// <summary>Refuses <c>--weights</c> other than <c>imagenet</c>: this backbone's weights are the pinned graph's and nothing else.</summary>
    internal static void CheckWeights(string? weightsPath)
    {
        var weights = weightsPath?.Trim();
        if (weights is not null && !weights.Equals(BackboneOptions.ImageNet, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{Name} takes no --weights ('{weights}'): its weights are those of the ONNX graph in {NuGetId} {NuGetVersion}.");
    }

    // Frozen models run the graph itself; fine-tuning gets the same weights in the C# ResNet.
    internal static BackboneArchitecture Architecture { get; } = new(Name, Description, request =>
    {
        CheckWeights(request.WeightsPath);
        if (!request.Trainable)
            return Open();
        var network = MLNetResNet18Torch.Create(request.Pretrained);
        network.Network.Eval();
        return network;
    });
}

/// <summary>
/// <see cref="MLNetResNet18"/> as a frozen <see cref="IFeatureBackbone"/>: <see cref="Features"/> takes the ImageNet-normalised
/// batch every ImageNet backbone gets, undoes the normalisation to RGB in 0..255 (the input ML.NET's featurizer feeds),
/// and runs both graphs image by image (their batch is fixed at 1). The network has no trainable tensors; its state
/// dict holds the SHA-256 of the graph as a buffer, so feature-cache keys and packages name the exact file, and a
/// package made with another file is refused when it runs.
/// </summary>
internal sealed class OnnxResNet18Backbone : IFeatureBackbone
{
    readonly InferenceSession preprocess;
    readonly InferenceSession network;
    readonly HashModule identity;

    public OnnxResNet18Backbone(string folder, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        preprocess = Session(Path.Combine(folder, MLNetResNet18.PreprocessFile), options);
        try
        {
            network = Session(Path.Combine(folder, MLNetResNet18.NetworkFile), options);
        }
        catch
        {
            preprocess.Dispose();
            throw;
        }
        identity = new HashModule(Convert.FromHexString(MLNetResNet18.NetworkSha256));
        Folder = folder;
    }

    /// <summary>The folder the graphs were loaded from.</summary>
    public string Folder { get; }

    public string Name => MLNetResNet18.Name;

    public int InputChannels => 3;

    public int DefaultInputSize => MLNetResNet18.InputSize;

    public int FeatureDim => MLNetResNet18.FeatureDim;

    public Tensors.NN.Module Network => identity;

    public IReadOnlyList<string> StageNames => [];

    public Tensor Features(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = input.Shape;
        const int size = MLNetResNet18.InputSize;
        if (shape.Length != 4 || shape[1] != 3 || shape[2] != size || shape[3] != size)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Name} runs ML.NET's ONNX graph, whose input is fixed at 3 x {size} x {size}; got {Tensor.FormatShape(shape)} (use --input-size {size})."), nameof(input));
        }
        CheckIdentity();
        var pixels = (input.Device == Device.Cpu ? input.ToFloatArray() : CopyToCpu(input));
        var count = (int)shape[0];
        const int plane = size * size;
        var features = new float[count * FeatureDim];
        var image = new float[3 * plane];
        for (var n = 0; n < count; n++)
        {
            var offset = n * 3 * plane;
            for (var c = 0; c < 3; c++)
            {
                float mean = ImageNetInput.Mean[c], std = ImageNetInput.Std[c];
                for (var i = 0; i < plane; i++)
                    image[c * plane + i] = (pixels[offset + c * plane + i] * std + mean) * 255f;
            }
            Run(image, features.AsSpan(n * FeatureDim, FeatureDim));
        }
        var result = Tensor.FromArray(features, [count, FeatureDim]);
        if (input.Device == Device.Cpu)
            return result;
        using (result)
            return result.To(input.Device);
    }

    static float[] CopyToCpu(Tensor input)
    {
        using var cpu = input.To(Device.Cpu);
        return cpu.ToFloatArray();
    }

    void Run(float[] rgb255, Span<float> destination)
    {
        long[] shape = [1, 3, MLNetResNet18.InputSize, MLNetResNet18.InputSize];
        using var input = OrtValue.CreateTensorValueFromMemory(rgb255, shape);
        using var run = new RunOptions();
        using var prepared = preprocess.Run(run, [preprocess.InputNames[0]], [input], [preprocess.OutputNames[0]]);
        using var pooled = network.Run(run, [network.InputNames[0]], [prepared[0]], [network.OutputNames[0]]);
        var values = pooled[0].GetTensorDataAsSpan<float>();
        if (values.Length != FeatureDim)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{Name}: the graph returned {values.Length} values, not {FeatureDim}."));
        values.CopyTo(destination);
    }

    // A package made with another graph would otherwise give features its head was never trained on.
    void CheckIdentity()
    {
        var recorded = identity.Hash();
        if (!recorded.Equals(MLNetResNet18.NetworkSha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"This {Name} model was made with the graph of SHA-256 {recorded}, but {Path.Combine(Folder, MLNetResNet18.NetworkFile)} is {MLNetResNet18.NetworkSha256}.");
        }
    }

    static InferenceSession Session(string path, SessionOptions options)
    {
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        preprocess.Dispose();
        network.Dispose();
        identity.Dispose();
    }

    /// <summary>No trainable tensors: only the graph's SHA-256 as a byte buffer.</summary>
    sealed class HashModule : Tensors.NN.Module
    {
        const string BufferName = "onnx_sha256";

        public HashModule(byte[] sha256) => RegisterBuffer(BufferName, Tensor.FromArray(sha256, [sha256.Length]));

        public override Tensor Forward(Tensor input) =>
            throw new NotSupportedException($"{MLNetResNet18.Name} runs on ONNX Runtime: call Features, not the network.");

        public string Hash()
        {
            var tensor = NamedBuffers().Single().Tensor;
            var bytes = new byte[tensor.NumElements];
            using var cpu = tensor.Device == Device.Cpu ? null : tensor.To(Device.Cpu);
            (cpu ?? tensor).CopyRawTo(bytes);
            return Convert.ToHexStringLower(bytes);
        }
    }
}
