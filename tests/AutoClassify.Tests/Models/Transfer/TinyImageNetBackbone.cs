using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Tests.Models.Transfer;

/// <summary>
/// A real (small) three-channel network shaped like torchvision's: <c>stem</c>, <c>layer1</c>, <c>layer2</c>
/// (convolution, batch norm, ReLU, each halving the size), global average pooling, and an <c>fc</c> that
/// <see cref="Features"/> skips. Its "pretrained" weights come from a fixed seed, so every open gives the same network.
/// </summary>
internal sealed class TinyImageNetBackbone : Module, IFeatureBackbone
{
    public const string ArchitectureName = "tiny-test-net";

    readonly Sequential stem;
    readonly Sequential layer1;
    readonly Sequential layer2;

    TinyImageNetBackbone()
    {
        stem = RegisterModule("stem", Block(3, 8));
        layer1 = RegisterModule("layer1", Block(8, 16));
        layer2 = RegisterModule("layer2", Block(16, 16));
        RegisterModule("fc", new Linear(16, 10));
    }

    /// <summary>Registers the architecture under <see cref="ArchitectureName"/> (idempotent).</summary>
    public static void Register() =>
        BackboneArchitectures.Register(new BackboneArchitecture(ArchitectureName, "tiny test network", request =>
        {
            Torch.ManualSeed(request.Pretrained ? 1234 : 99);
            return new TinyImageNetBackbone();
        }));

    static Sequential Block(int input, int output) => new(new Conv2d(input, output, 3, stride: 2, padding: 1, bias: false), new BatchNorm2d(output), new ReLU());

    public string Name => ArchitectureName;

    public int InputChannels => 3;

    public int DefaultInputSize => 224;

    public int FeatureDim => 16;

    public Module Network => this;

    public IReadOnlyList<string> StageNames { get; } = ["stem", "layer1", "layer2"];

    public Tensor Features(Tensor input)
    {
        using var a = stem.Forward(input);
        using var b = layer1.Forward(a);
        using var c = layer2.Forward(b);
        using var pooled = Functional.AdaptiveAvgPool2d(c, 1, 1);
        return pooled.Flatten(1);
    }

    public override Tensor Forward(Tensor input) => Features(input);
}
