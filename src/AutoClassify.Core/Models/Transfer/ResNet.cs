using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Transfer;

/// <summary>The residual block a ResNet stacks.</summary>
public enum ResNetBlockKind
{
    /// <summary>Two 3×3 convolutions (ResNet-18 and -34).</summary>
    Basic,

    /// <summary>1×1 reduce, 3×3, 1×1 expand by 4 (ResNet-50 and deeper), with the stride on the 3×3 ("v1.5").</summary>
    Bottleneck,
}

/// <summary>
/// torchvision's ResNet: a 7×7 stride-2 stem (<c>conv1</c>, <c>bn1</c>, ReLU, 3×3 max-pool), four stages
/// <c>layer1</c>…<c>layer4</c> of residual blocks at 1, 2, 4 and 8 times the base width (stride 2 from
/// <c>layer2</c> on), global average pooling and <c>fc</c>. Parameter and buffer names are torchvision's, so its
/// ImageNet state dicts load with strict key matching. A smaller <c>baseChannels</c> than 64 gives a narrow copy of
/// the same layout (for tests); initialisation follows torchvision and draws from libtorch's seeded generator.
/// </summary>
public sealed class ResNet : Module, IConvolutionalBackbone
{
    readonly Module[] stem;

    /// <summary>Builds a freshly initialised ResNet.</summary>
    /// <param name="name">Name reported by <see cref="Name"/>, e.g. <c>resnet18</c>.</param>
    /// <param name="block">Residual block type.</param>
    /// <param name="blocksPerStage">Blocks in each of the four stages, e.g. 2, 2, 2, 2 for ResNet-18.</param>
    /// <param name="classCount">Outputs of <c>fc</c> (1000 for ImageNet weights).</param>
    /// <param name="baseChannels">Channels of the stem and of <c>layer1</c>'s blocks (64 in torchvision).</param>
    public ResNet(string name, ResNetBlockKind block, IReadOnlyList<int> blocksPerStage, int classCount = 1000, int baseChannels = 64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(blocksPerStage);
        if (blocksPerStage.Count != 4 || blocksPerStage.Any(n => n < 1))
            throw new ArgumentException($"A ResNet has four stages of at least one block each; got [{string.Join(", ", blocksPerStage)}].", nameof(blocksPerStage));
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(baseChannels, 1);
        Name = name;
        Block = block;
        BaseChannels = baseChannels;
        var expansion = block == ResNetBlockKind.Bottleneck ? 4 : 1;

        Conv1 = RegisterModule("conv1", new Conv2d(3, baseChannels, 7, stride: 2, padding: 3, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(baseChannels));
        var relu = RegisterModule("relu", new ReLU());
        var maxPool = RegisterModule("maxpool", new MaxPool2d(3, stride: 2, padding: 1));
        stem = [Conv1, Bn1, relu, maxPool];

        var inChannels = baseChannels;
        Sequential Stage(string stageName, int planes, int count, int stride)
        {
            var stage = new Sequential();
            for (var i = 0; i < count; i++)
            {
                stage.Add(block == ResNetBlockKind.Bottleneck
                    ? new Bottleneck(inChannels, planes, i == 0 ? stride : 1)
                    : new BasicBlock(inChannels, planes, i == 0 ? stride : 1));
                inChannels = planes * expansion;
            }
            return RegisterModule(stageName, stage);
        }

        Layer1 = Stage("layer1", baseChannels, blocksPerStage[0], 1);
        Layer2 = Stage("layer2", baseChannels * 2, blocksPerStage[1], 2);
        Layer3 = Stage("layer3", baseChannels * 4, blocksPerStage[2], 2);
        Layer4 = Stage("layer4", baseChannels * 8, blocksPerStage[3], 2);
        AvgPool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1, 1));
        FeatureDim = inChannels;
        Fc = RegisterModule("fc", new Linear(FeatureDim, classCount));

        // torchvision: He normal (fan out) on every convolution; batch norms start at 1 and 0; fc keeps Linear's default.
        foreach (var (_, module) in NamedModules())
        {
            if (module is Conv2d conv)
                Init.KaimingNormal(conv.Weight, mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu);
        }
    }

    /// <summary>ResNet-18 (torchvision <c>resnet18</c>; 512 features).</summary>
    public static ResNet ResNet18(int classCount = 1000, int baseChannels = 64) =>
        new("resnet18", ResNetBlockKind.Basic, [2, 2, 2, 2], classCount, baseChannels);

    /// <summary>ResNet-50 (torchvision <c>resnet50</c>; 2048 features).</summary>
    public static ResNet ResNet50(int classCount = 1000, int baseChannels = 64) =>
        new("resnet50", ResNetBlockKind.Bottleneck, [3, 4, 6, 3], classCount, baseChannels);

    public string Name { get; }

    public ResNetBlockKind Block { get; }

    public int BaseChannels { get; }

    public int InputChannels => 3;

    public int DefaultInputSize => 224;

    public int FeatureDim { get; }

    public Module Network => this;

    /// <summary>conv1, bn1, layer1 … layer4: each a prefix of the parameter names it owns.</summary>
    public IReadOnlyList<string> StageNames { get; } = ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"];

    public Conv2d Conv1 { get; }

    public BatchNorm2d Bn1 { get; }

    public Sequential Layer1 { get; }

    public Sequential Layer2 { get; }

    public Sequential Layer3 { get; }

    public Sequential Layer4 { get; }

    public AdaptiveAvgPool2d AvgPool { get; }

    public Linear Fc { get; }

    /// <summary>Pooled features before <c>fc</c>: N × 3 × H × W (ImageNet-normalised) to N × <see cref="FeatureDim"/>.</summary>
    public Tensor Features(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var pooled = Chain.Run(input, [.. stem, Layer1, Layer2, Layer3, Layer4, AvgPool]);
        return pooled.Flatten(1);
    }

    /// <summary>The output of <c>layer4</c>, the last residual stage.</summary>
    public string LastMapsLayer => "layer4";

    /// <inheritdoc/>
    public Tensor LastMaps(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Chain.Run(input, [.. stem, Layer1, Layer2, Layer3, Layer4]);
    }

    /// <inheritdoc/>
    public Tensor FeaturesFromMaps(Tensor maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        using var pooled = AvgPool.Forward(maps);
        return pooled.Flatten(1);
    }

    /// <summary>Logits: <see cref="Features"/> then <c>fc</c>.</summary>
    public override Tensor Forward(Tensor input)
    {
        using var features = Features(input);
        return Fc.Forward(features);
    }
}

/// <summary>torchvision's <c>BasicBlock</c>: conv3×3, bn, ReLU, conv3×3, bn, plus the shortcut, ReLU.</summary>
public sealed class BasicBlock : Module
{
    public BasicBlock(int inChannels, int planes, int stride = 1)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        RegisterModule("relu", new ReLU());
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, padding: 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        if (Shortcut.IsNeeded(inChannels, planes, stride))
            Downsample = RegisterModule("downsample", Shortcut.Create(inChannels, planes, stride));
    }

    public Conv2d Conv1 { get; }

    public BatchNorm2d Bn1 { get; }

    public Conv2d Conv2 { get; }

    public BatchNorm2d Bn2 { get; }

    /// <summary>1×1 convolution and batch norm matching the shortcut to the output, or null for the identity.</summary>
    public Sequential? Downsample { get; }

    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var hidden = Chain.Run(input, [Conv1, Bn1], relu: true);
        var residual = Chain.Run(hidden, [Conv2, Bn2]);
        return Shortcut.AddAndRelu(residual, input, Downsample);
    }
}

/// <summary>torchvision's <c>Bottleneck</c> (v1.5): conv1×1, conv3×3 (strided), conv1×1 to 4× planes, each with bn.</summary>
public sealed class Bottleneck : Module
{
    public const int Expansion = 4;

    public Bottleneck(int inChannels, int planes, int stride = 1)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, planes, 1, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        Conv3 = RegisterModule("conv3", new Conv2d(planes, planes * Expansion, 1, bias: false));
        Bn3 = RegisterModule("bn3", new BatchNorm2d(planes * Expansion));
        RegisterModule("relu", new ReLU());
        if (Shortcut.IsNeeded(inChannels, planes * Expansion, stride))
            Downsample = RegisterModule("downsample", Shortcut.Create(inChannels, planes * Expansion, stride));
    }

    public Conv2d Conv1 { get; }

    public BatchNorm2d Bn1 { get; }

    public Conv2d Conv2 { get; }

    public BatchNorm2d Bn2 { get; }

    public Conv2d Conv3 { get; }

    public BatchNorm2d Bn3 { get; }

    /// <summary>1×1 convolution and batch norm matching the shortcut to the output, or null for the identity.</summary>
    public Sequential? Downsample { get; }

    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var first = Chain.Run(input, [Conv1, Bn1], relu: true);
        using var second = Chain.Run(first, [Conv2, Bn2], relu: true);
        var residual = Chain.Run(second, [Conv3, Bn3]);
        return Shortcut.AddAndRelu(residual, input, Downsample);
    }
}

/// <summary>The projection shortcut of a residual block and the block's closing add-and-ReLU.</summary>
internal static class Shortcut
{
    public static bool IsNeeded(int inChannels, int outChannels, int stride) => stride != 1 || inChannels != outChannels;

    public static Sequential Create(int inChannels, int outChannels, int stride) =>
        new(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), new BatchNorm2d(outChannels));

    /// <summary>ReLU(residual + shortcut); takes ownership of <paramref name="residual"/>, whose storage it reuses as torchvision does.</summary>
    public static Tensor AddAndRelu(Tensor residual, Tensor input, Sequential? downsample)
    {
        using (residual)
        {
            using (var projected = downsample?.Forward(input))
                residual.AddInPlace(projected ?? input);
            return residual.Relu();
        }
    }
}

/// <summary>Runs layers one after another, releasing each intermediate result as soon as the next layer has it.</summary>
internal static class Chain
{
    /// <summary>The output of the last module (optionally followed by ReLU); <paramref name="input"/> is left alone.</summary>
    public static Tensor Run(Tensor input, ReadOnlySpan<Module> modules, bool relu = false)
    {
        var x = input;
        try
        {
            foreach (var module in modules)
                x = Replace(x, input, module.Forward(x));
            return relu ? Replace(x, input, x.Relu()) : ReferenceEquals(x, input) ? input.Reshape(input.Shape) : x;
        }
        catch
        {
            if (!ReferenceEquals(x, input))
                x.Dispose();
            throw;
        }
    }

    static Tensor Replace(Tensor previous, Tensor input, Tensor next)
    {
        if (!ReferenceEquals(previous, input) && !ReferenceEquals(previous, next))
            previous.Dispose();
        return next;
    }
}
