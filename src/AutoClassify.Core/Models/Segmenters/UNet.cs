using System.Globalization;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// An encoder-decoder segmentation network (Ronneberger et al.'s U-Net, same-padded): <see cref="Depth"/> times a
/// block of two 3×3 convolutions and a 2×2 max-pool, a bottleneck block, then as many 2×2 transposed convolutions,
/// each concatenated with the encoder's output at that scale and fed through a block, and a 1×1 convolution to one
/// logit per output channel. Widths double at every level from <see cref="BaseWidth"/>. With
/// <see cref="Residual"/> every block adds its input through a shortcut (the residual U-Net). Batch normalisation
/// after every convolution; in evaluation mode it is a fixed per-channel affine map, so a tile's output does not depend
/// on what else is in its batch. Any input size: the input is reflected up to a multiple of 2^depth and the output cut back.
/// </summary>
public sealed class UNet : Module
{
    readonly UNetBlock[] encoder;
    readonly ConvTranspose2d[] upsamplers;
    readonly UNetBlock[] decoder;
    readonly Conv2d head;

    /// <summary>Builds a freshly initialised network (He normal on convolutions, from libtorch's seeded generator).</summary>
    /// <param name="inChannels">Input channels (1 for grey micrographs).</param>
    /// <param name="outChannels">Logits per pixel (classes).</param>
    /// <param name="depth">Poolings between the full-resolution level and the bottleneck (1 to 6).</param>
    /// <param name="baseWidth">Channels at full resolution; level l has baseWidth · 2^l.</param>
    /// <param name="residual">Residual blocks (conv, bn, ReLU, conv, bn, plus a shortcut, ReLU) instead of plain ones.</param>
    public UNet(int inChannels, int outChannels, int depth = 3, int baseWidth = 16, bool residual = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, 6);
        ArgumentOutOfRangeException.ThrowIfLessThan(baseWidth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(baseWidth, 256);
        (InChannels, OutChannels, Depth, BaseWidth, Residual) = (inChannels, outChannels, depth, baseWidth, residual);

        encoder = new UNetBlock[depth + 1];
        var channels = inChannels;
        for (var level = 0; level <= depth; level++)
        {
            encoder[level] = RegisterModule(Name("down", level), new UNetBlock(channels, Width(level), residual));
            channels = Width(level);
        }
        upsamplers = new ConvTranspose2d[depth];
        decoder = new UNetBlock[depth];
        for (var level = depth - 1; level >= 0; level--)
        {
            upsamplers[level] = RegisterModule(Name("up", level), new ConvTranspose2d(Width(level + 1), Width(level), 2, stride: 2));
            decoder[level] = RegisterModule(Name("dec", level), new UNetBlock(2 * Width(level), Width(level), residual));
        }
        head = RegisterModule("head", new Conv2d(baseWidth, outChannels, 1));

        foreach (var (_, module) in NamedModules())
        {
            if (module is Conv2d conv && !ReferenceEquals(conv, head))
                Init.KaimingNormal(conv.Weight, mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu);
        }
    }

    public int InChannels { get; }

    public int OutChannels { get; }

    public int Depth { get; }

    public int BaseWidth { get; }

    public bool Residual { get; }

    /// <summary>Input sides that need no padding are multiples of this (2^depth).</summary>
    public int SizeMultiple => 1 << Depth;

    /// <summary>A one-line description for reports.</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{(Residual ? "residual U-Net" : "U-Net")}, depth {Depth}, widths {string.Join("-", Enumerable.Range(0, Depth + 1).Select(Width))}, batch norm, transposed-convolution upsampling");

    int Width(int level) => BaseWidth << level;

    static string Name(string prefix, int level) => prefix + level.ToString(CultureInfo.InvariantCulture);

    /// <summary>N × InChannels × H × W to N × OutChannels × H × W logits, for any H and W.</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim != 4 || input.Size(1) != InChannels)
            throw new ArgumentException($"The U-Net needs N x {InChannels} x H x W input, got {Tensor.FormatShape(input.Shape)}.", nameof(input));
        var height = (int)input.Size(2);
        var width = (int)input.Size(3);
        var padBottom = (SizeMultiple - (height % SizeMultiple)) % SizeMultiple;
        var padRight = (SizeMultiple - (width % SizeMultiple)) % SizeMultiple;
        if (padBottom == 0 && padRight == 0)
            return Run(input);

        // Reflection needs a pad smaller than the side; tiny inputs repeat their edge instead.
        var mode = padBottom < height && padRight < width ? PaddingMode.Reflect : PaddingMode.Replicate;
        using var padded = Functional.Pad2d(input, 0, padRight, 0, padBottom, mode);
        using var logits = Run(padded);
        using var rows = logits.Narrow(2, 0, height);
        return rows.Narrow(3, 0, width);
    }

    Tensor Run(Tensor input)
    {
        var skips = new List<Tensor>(Depth);
        Tensor? x = null;
        try
        {
            var current = input;
            for (var level = 0; level < Depth; level++)
            {
                var features = encoder[level].Forward(current);
                skips.Add(features);
                x?.Dispose();
                x = Functional.MaxPool2d(features, 2);
                current = x;
            }
            var bottom = encoder[Depth].Forward(current);
            x?.Dispose();
            x = bottom;
            for (var level = Depth - 1; level >= 0; level--)
            {
                using var upsampled = upsamplers[level].Forward(x);
                x.Dispose();
                x = null;
                using var joined = Tensor.Cat([skips[level], upsampled], 1);
                x = decoder[level].Forward(joined);
            }
            return head.Forward(x);
        }
        finally
        {
            x?.Dispose();
            foreach (var skip in skips)
                skip.Dispose();
        }
    }

}

/// <summary>
/// Two 3×3 convolutions, each followed by batch normalisation, with ReLUs; the residual kind adds its input (through a
/// 1×1 convolution and batch norm when the width changes) before the last ReLU.
/// </summary>
public sealed class UNetBlock : Module
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Sequential? shortcut;

    public UNetBlock(int inChannels, int outChannels, bool residual)
    {
        conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, padding: 1, bias: false));
        bn1 = RegisterModule("bn1", new BatchNorm2d(outChannels));
        conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false));
        bn2 = RegisterModule("bn2", new BatchNorm2d(outChannels));
        Residual = residual;
        if (residual && inChannels != outChannels)
            shortcut = RegisterModule("shortcut", new Sequential(new Conv2d(inChannels, outChannels, 1, bias: false), new BatchNorm2d(outChannels)));
    }

    public bool Residual { get; }

    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var a = conv1.Forward(input);
        using var b = bn1.Forward(a);
        using var c = b.Relu();
        using var d = conv2.Forward(c);
        using var e = bn2.Forward(d);
        if (!Residual)
            return e.Relu();
        using var identity = shortcut is null ? null : shortcut.Forward(input);
        using var sum = e.Add(identity ?? input);
        return sum.Relu();
    }
}
