using System.Globalization;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// <see cref="MLNetResNet18"/>'s weights in the C# ResNet, so the network can be trained (fine-tuned) by libtorch. The
/// graph is not quite torchvision's ResNet-18: its last stage has three basic blocks, not two (blocks 2, 2, 2, 3;
/// 22 convolutions). Every convolution and batch norm of <c>ResNet18.onnx</c> is matched to the layer in torchvision's layout (main-path
/// convolutions in graph order, the three 1 × 1 shortcut convolutions in graph order; shapes checked), and the
/// preprocessing graph's mean image becomes a buffer. The graph pads its stride-2 layers asymmetrically (begin 3/1,
/// end 2/0) where torchvision pads symmetrically; at the fixed 224 px input both give the same windows, so the
/// outputs agree (a test checks against ONNX Runtime). <c>fc</c> is not in the graph and keeps its initialisation.
/// </summary>
public sealed class MLNetResNet18Torch : Module, IConvolutionalBackbone
{
    /// <summary>Basic blocks per stage in the graph.</summary>
    public static readonly IReadOnlyList<int> BlocksPerStage = [2, 2, 2, 3];

    readonly ResNet net;
    readonly Tensor meanImage;

    MLNetResNet18Torch()
    {
        net = RegisterModule("resnet", new ResNet("resnet18", ResNetBlockKind.Basic, BlocksPerStage));
        meanImage = RegisterBuffer("mean_image", Tensor.Zeros([1, 3, MLNetResNet18.InputSize, MLNetResNet18.InputSize]))!;
    }

    /// <summary>A network with the imported weights, or with fresh ones to load a package's state into.</summary>
    public static MLNetResNet18Torch Create(bool pretrained)
    {
        var network = new MLNetResNet18Torch();
        try
        {
            if (pretrained)
                network.Import(MLNetResNet18.Locate());
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public string Name => MLNetResNet18.Name;

    public int InputChannels => 3;

    public int DefaultInputSize => MLNetResNet18.InputSize;

    public int FeatureDim => MLNetResNet18.FeatureDim;

    public Module Network => this;

    public IReadOnlyList<string> StageNames { get; } = ["resnet.conv1", "resnet.bn1", "resnet.layer1", "resnet.layer2", "resnet.layer3", "resnet.layer4"];

    /// <summary>ImageNet-normalised N × 3 × 224 × 224 in; the graph's input (BGR 0..255 minus the mean image) through the ResNet; N × 512 out.</summary>
    public Tensor Features(Tensor input)
    {
        using var scope = DisposeScope.Begin();
        return net.Features(GraphInput(input)).DetachFromDisposeScope();
    }

    /// <summary>The output of the ResNet's <c>layer4</c>.</summary>
    public string LastMapsLayer => "resnet.layer4";

    /// <inheritdoc/>
    public Tensor LastMaps(Tensor input)
    {
        using var scope = DisposeScope.Begin();
        return net.LastMaps(GraphInput(input)).MoveToOuterScope();
    }

    /// <inheritdoc/>
    public Tensor FeaturesFromMaps(Tensor maps) => net.FeaturesFromMaps(maps);

    // The graph's input (BGR 0..255 minus the mean image) of an ImageNet-normalised batch; belongs to the caller's scope.
    Tensor GraphInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = input.Shape;
        const int size = MLNetResNet18.InputSize;
        if (shape.Length != 4 || shape[1] != 3 || shape[2] != size || shape[3] != size)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Name} has its mean image at 3 x {size} x {size}; got {Tensor.FormatShape(shape)} (use --input-size {size})."), nameof(input));
        }
        var std = Statistics(ImageNetInput.Std, input.Device);
        var mean = Statistics(ImageNetInput.Mean, input.Device);
        var rgb255 = input.Multiply(std).Add(mean).Multiply(255.0);
        return rgb255.Flip(1).Subtract(meanImage);
    }

    /// <summary>Logits of the (untrained) <c>fc</c>; the transfer models use <see cref="Features"/>.</summary>
    public override Tensor Forward(Tensor input)
    {
        using var features = Features(input);
        return net.Fc.Forward(features);
    }

    static Tensor Statistics(IReadOnlyList<float> values, Device device)
    {
        var cpu = Tensor.FromArray(values.ToArray(), [1, 3, 1, 1]);
        if (device == Device.Cpu)
            return cpu;
        using (cpu)
            return cpu.To(device);
    }

    void Import(string folder)
    {
        var networkPath = Path.Combine(folder, MLNetResNet18.NetworkFile);
        var preprocessPath = Path.Combine(folder, MLNetResNet18.PreprocessFile);
        var graph = OnnxInitializers.Read(networkPath);
        var preprocess = OnnxInitializers.Read(preprocessPath);
        var weights = new Dictionary<string, (long[] Dims, float[] Values)>(StringComparer.Ordinal);

        var convs = graph.Nodes.Where(n => n.Op == "Conv").ToList();
        var norms = graph.Nodes.Where(n => n.Op == "BatchNormalization").ToDictionary(n => n.Inputs[0], StringComparer.Ordinal);
        OnnxInitializers.Initializer Get(OnnxInitializers.Initializer? value, string name) =>
            value ?? throw new InvalidDataException($"{networkPath}: initialiser '{name}' is missing or not float.");
        OnnxInitializers.Initializer Initializer(string name) => Get(graph.Initializers.GetValueOrDefault(name), name);
        bool IsShortcut(OnnxInitializers.Node conv) => Initializer(conv.Inputs[1]).Dims is [_, _, 1, 1];

        string[] main = ["conv1", .. Enumerable.Range(1, 4).SelectMany(l => Enumerable.Range(0, BlocksPerStage[l - 1]).SelectMany(b => new[] { $"layer{l}.{b}.conv1", $"layer{l}.{b}.conv2" }))];
        string[] shortcut = [.. Enumerable.Range(2, 3).Select(l => $"layer{l}.0.downsample.0")];
        var graphMain = convs.Where(c => !IsShortcut(c)).ToList();
        var graphShortcut = convs.Where(IsShortcut).ToList();
        if (graphMain.Count != main.Length || graphShortcut.Count != shortcut.Length)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{networkPath}: {graphMain.Count} main and {graphShortcut.Count} shortcut convolutions, not the {main.Length} and {shortcut.Length} of a ResNet with blocks {string.Join(", ", BlocksPerStage)}."));
        }
        foreach (var (conv, ours) in graphMain.Zip(main).Concat(graphShortcut.Zip(shortcut)))
        {
            if (conv.Inputs.Count != 2)
                throw new InvalidDataException($"{networkPath}: convolution '{conv.Outputs[0]}' has a bias, which a ResNet's convolutions do not.");
            var weight = Initializer(conv.Inputs[1]);
            weights[$"resnet.{ours}.weight"] = (weight.Dims, weight.Values);
            if (!norms.TryGetValue(conv.Outputs[0], out var norm) || norm.Inputs.Count != 5)
                throw new InvalidDataException($"{networkPath}: convolution '{conv.Outputs[0]}' is not followed by a batch norm.");
            var bn = "resnet." + (ours.EndsWith(".0", StringComparison.Ordinal) ? ours[..^1] + "1" : ours.Replace("conv", "bn", StringComparison.Ordinal));
            string[] parts = ["weight", "bias", "running_mean", "running_var"];
            for (var p = 0; p < parts.Length; p++)
            {
                var value = Initializer(norm.Inputs[p + 1]);
                weights[$"{bn}.{parts[p]}"] = (value.Dims, value.Values);
            }
        }
        var sub = preprocess.Nodes.SingleOrDefault(n => n.Op == "Sub")
            ?? throw new InvalidDataException($"{preprocessPath}: no subtraction of a mean image.");
        var mean = Get(preprocess.Initializers.GetValueOrDefault(sub.Inputs[1]), sub.Inputs[1]);
        weights["mean_image"] = (mean.Dims, mean.Values);

        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, own) in StateDict())
            {
                if (weights.TryGetValue(name, out var value))
                {
                    if (!value.Dims.SequenceEqual(own.Shape))
                        throw new InvalidDataException($"{networkPath}: '{name}' has shape {Tensor.FormatShape(value.Dims)} in the graph, {Tensor.FormatShape(own.Shape)} in the C# network.");
                    state[name] = Tensor.FromArray(value.Values, value.Dims);
                    weights.Remove(name);
                }
            }
            if (weights.Count > 0)
                throw new InvalidDataException($"{networkPath}: no tensor of the C# network for {string.Join(", ", weights.Keys)}.");
            // fc and the batch counters are not in the graph: they keep their values.
            LoadStateDict(state, strict: false);
        }
        finally
        {
            foreach (var tensor in state.Values)
                tensor.Dispose();
        }
    }
}
