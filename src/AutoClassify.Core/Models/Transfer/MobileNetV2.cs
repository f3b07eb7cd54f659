using System.Globalization;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Transfer;

/// <summary>One row of MobileNetV2's block table: expansion t, output channels c, repeats n, first stride s.</summary>
public sealed record InvertedResidualSetting(int ExpandRatio, int Channels, int Repeats, int Stride);

/// <summary>
/// torchvision's MobileNetV2: <c>features</c> (a 3×3 stride-2 conv-bn-ReLU6, the inverted residual blocks, a 1×1
/// conv-bn-ReLU6 to <see cref="FeatureDim"/> channels), global average pooling, then <c>classifier</c> (dropout,
/// linear). Parameter and buffer names are torchvision's (<c>features.0.0.weight</c>,
/// <c>features.1.conv.0.0.weight</c>, <c>classifier.1.weight</c>, …). The width multiplier, channel rounding
/// and block table are torchvision's constructor arguments; the last width is exposed too so that a tiny variant
/// exists for tests.
/// </summary>
public sealed class MobileNetV2 : Module, IConvolutionalBackbone
{
    /// <summary>torchvision's block table.</summary>
    public static IReadOnlyList<InvertedResidualSetting> DefaultSettings { get; } =
    [
        new(1, 16, 1, 1),
        new(6, 24, 2, 2),
        new(6, 32, 3, 2),
        new(6, 64, 4, 2),
        new(6, 96, 3, 1),
        new(6, 160, 3, 2),
        new(6, 320, 1, 1),
    ];

    /// <summary>Builds a freshly initialised MobileNetV2 (initialisation as torchvision's, from libtorch's seeded generator).</summary>
    /// <param name="classCount">Outputs of the classifier (1000 for ImageNet weights).</param>
    /// <param name="widthMultiplier">Scales every layer's channels (then rounded to <paramref name="roundNearest"/>).</param>
    /// <param name="settings">Block table; null for torchvision's.</param>
    /// <param name="lastChannel">Channels of the final 1×1 convolution before widening by the multiplier (1280 in torchvision).</param>
    /// <param name="roundNearest">Channel counts are multiples of this (8 in torchvision; 1 turns rounding off).</param>
    /// <param name="dropout">Dropout before the classifier's linear layer.</param>
    public MobileNetV2(int classCount = 1000, double widthMultiplier = 1.0, IReadOnlyList<InvertedResidualSetting>? settings = null,
        int lastChannel = 1280, int roundNearest = 8, double dropout = 0.2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (!(widthMultiplier > 0) || !double.IsFinite(widthMultiplier))
            throw new ArgumentOutOfRangeException(nameof(widthMultiplier), widthMultiplier, "The width multiplier must be finite and positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(lastChannel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(roundNearest, 1);
        settings ??= DefaultSettings;
        if (settings.Count == 0 || settings.Any(s => s.ExpandRatio < 1 || s.Channels < 1 || s.Repeats < 1 || s.Stride is not (1 or 2)))
            throw new ArgumentException("Every block setting needs expansion, channels and repeats of at least 1 and a stride of 1 or 2.", nameof(settings));
        WidthMultiplier = widthMultiplier;

        var inChannels = MakeDivisible(32 * widthMultiplier, roundNearest);
        FeatureDim = MakeDivisible(lastChannel * Math.Max(1.0, widthMultiplier), roundNearest);
        // Added one by one: Sequential's constructor would splice a nested Sequential's children in.
        var features = new Sequential();
        features.Add(ConvBnReLU6(3, inChannels, 3, stride: 2));
        foreach (var setting in settings)
        {
            var outChannels = MakeDivisible(setting.Channels * widthMultiplier, roundNearest);
            for (var i = 0; i < setting.Repeats; i++)
            {
                features.Add(new InvertedResidual(inChannels, outChannels, i == 0 ? setting.Stride : 1, setting.ExpandRatio));
                inChannels = outChannels;
            }
        }
        features.Add(ConvBnReLU6(inChannels, FeatureDim, 1));
        FeatureLayers = RegisterModule("features", features);
        Classifier = RegisterModule("classifier", new Sequential(new Dropout(dropout), new Linear(FeatureDim, classCount)));
        StageNames = [.. Enumerable.Range(0, features.Count).Select(i => "features." + i.ToString(CultureInfo.InvariantCulture))];

        // torchvision: He normal (fan out) on convolutions, N(0, 0.01) on the linear weight, zero biases.
        foreach (var (_, module) in NamedModules())
        {
            if (module is Conv2d conv)
            {
                Init.KaimingNormal(conv.Weight, mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu);
            }
            else if (module is Linear linear)
            {
                Init.Normal(linear.Weight, 0, 0.01);
                if (linear.Bias is not null)
                    Init.Zeros(linear.Bias);
            }
        }
    }

    public string Name => "mobilenet_v2";

    public double WidthMultiplier { get; }

    public int InputChannels => 3;

    public int DefaultInputSize => 224;

    public int FeatureDim { get; }

    public Module Network => this;

    /// <summary><c>features.0</c> … <c>features.18</c> (for torchvision's table): each a prefix of the parameter names it owns.</summary>
    public IReadOnlyList<string> StageNames { get; }

    /// <summary>The <c>features</c> module.</summary>
    public Sequential FeatureLayers { get; }

    /// <summary>The <c>classifier</c> module (dropout, linear).</summary>
    public Sequential Classifier { get; }

    /// <summary>Pooled features before the classifier: N × 3 × H × W (ImageNet-normalised) to N × <see cref="FeatureDim"/>.</summary>
    public Tensor Features(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var maps = FeatureLayers.Forward(input);
        using var pooled = Functional.AdaptiveAvgPool2d(maps, 1, 1);
        return pooled.Flatten(1);
    }

    /// <summary>The output of the last <c>features</c> module, the 1 × 1 conv-bn-ReLU6 to <see cref="FeatureDim"/> channels.</summary>
    public string LastMapsLayer => StageNames[^1];

    /// <inheritdoc/>
    public Tensor LastMaps(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return FeatureLayers.Forward(input);
    }

    /// <inheritdoc/>
    public Tensor FeaturesFromMaps(Tensor maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        using var pooled = Functional.AdaptiveAvgPool2d(maps, 1, 1);
        return pooled.Flatten(1);
    }

    /// <summary>Logits: <see cref="Features"/> then the classifier.</summary>
    public override Tensor Forward(Tensor input)
    {
        using var features = Features(input);
        return Classifier.Forward(features);
    }

    /// <summary>torchvision's <c>_make_divisible</c>: the nearest multiple of the divisor, never more than 10 % below the value.</summary>
    public static int MakeDivisible(double value, int divisor)
    {
        var rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }

    /// <summary>torchvision's <c>Conv2dNormActivation</c> with ReLU6: children 0 (conv, no bias), 1 (batch norm), 2 (ReLU6).</summary>
    internal static Sequential ConvBnReLU6(int inChannels, int outChannels, int kernelSize, int stride = 1, int groups = 1) =>
        new(new Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups, bias: false),
            new BatchNorm2d(outChannels),
            new ReLU6());
}

/// <summary>
/// MobileNetV2's block: an optional 1×1 expansion (conv-bn-ReLU6), a 3×3 depthwise conv-bn-ReLU6, and a linear 1×1
/// projection with batch norm, all in <c>conv</c>; the input is added back when the shape is unchanged.
/// </summary>
public sealed class InvertedResidual : Module
{
    public InvertedResidual(int inChannels, int outChannels, int stride, int expandRatio)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expandRatio, 1);
        var hidden = (int)Math.Round(inChannels * (double)expandRatio, MidpointRounding.ToEven);
        UsesResidual = stride == 1 && inChannels == outChannels;
        var conv = new Sequential();
        if (expandRatio != 1)
            conv.Add(MobileNetV2.ConvBnReLU6(inChannels, hidden, 1));
        conv.Add(MobileNetV2.ConvBnReLU6(hidden, hidden, 3, stride, groups: hidden))
            .Add(new Conv2d(hidden, outChannels, 1, bias: false))
            .Add(new BatchNorm2d(outChannels));
        Conv = RegisterModule("conv", conv);
    }

    /// <summary>True when the block adds its input to its output (stride 1, same channels).</summary>
    public bool UsesResidual { get; }

    public Sequential Conv { get; }

    public override Tensor Forward(Tensor input)
    {
        var output = Conv.Forward(input);
        if (!UsesResidual)
            return output;
        using (output)
            return output.Add(input);
    }
}
