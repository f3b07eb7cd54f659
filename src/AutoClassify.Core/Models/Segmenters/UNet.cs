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
    public override Tensor Forward(Tensor input) =>
        Forward(input, (level, x) => encoder[level].Forward(x), (level, x) => upsamplers[level].Forward(x), (level, x) => decoder[level].Forward(x));

    /// <summary>
    /// This network in evaluation mode with every batch norm folded into the convolution before it and every upsampler
    /// run as a 1×1 convolution and a pixel shuffle: the same logits (to float rounding) with fewer memory passes, and
    /// activations that stay channels-last (libtorch's transposed convolution converts them both ways). A snapshot of
    /// the current weights, cast to <paramref name="dtype"/> (its input must then be of that type too); dispose it.
    /// </summary>
    internal FoldedUNet Fold(ScalarType dtype = ScalarType.Float32)
    {
        using var noGrad = Torch.NoGrad();
        return new FoldedUNet(this, dtype, encoder.Select(b => b.Fold(dtype)).ToArray(), upsamplers.Select(u => ShuffledUpsampler.From(u, dtype)).ToArray(),
            decoder.Select(b => b.Fold(dtype)).ToArray(), FoldedUNetBlock.InType((head.Weight.Detach(), head.Bias!.Detach()), dtype));
    }

    internal Tensor Forward(Tensor input, Func<int, Tensor, Tensor> encode, Func<int, Tensor, Tensor> upsample, Func<int, Tensor, Tensor> decode) =>
        Forward(input, encode, upsample, decode, head.Forward);

    internal Tensor Forward(Tensor input, Func<int, Tensor, Tensor> encode, Func<int, Tensor, Tensor> upsample, Func<int, Tensor, Tensor> decode, Func<Tensor, Tensor> finish)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim != 4 || input.Size(1) != InChannels)
            throw new ArgumentException($"The U-Net needs N x {InChannels} x H x W input, got {Tensor.FormatShape(input.Shape)}.", nameof(input));
        var height = (int)input.Size(2);
        var width = (int)input.Size(3);
        var padBottom = (SizeMultiple - (height % SizeMultiple)) % SizeMultiple;
        var padRight = (SizeMultiple - (width % SizeMultiple)) % SizeMultiple;
        if (padBottom == 0 && padRight == 0)
            return Run(input, encode, upsample, decode, finish);

        // Reflection needs a pad smaller than the side; tiny inputs repeat their edge instead.
        var mode = padBottom < height && padRight < width ? PaddingMode.Reflect : PaddingMode.Replicate;
        using var padded = Functional.Pad2d(input, 0, padRight, 0, padBottom, mode);
        using var logits = Run(padded, encode, upsample, decode, finish);
        using var rows = logits.Narrow(2, 0, height);
        return rows.Narrow(3, 0, width);
    }

    Tensor Run(Tensor input, Func<int, Tensor, Tensor> encode, Func<int, Tensor, Tensor> upsample, Func<int, Tensor, Tensor> decode, Func<Tensor, Tensor> finish)
    {
        var skips = new List<Tensor>(Depth);
        Tensor? x = null;
        try
        {
            var current = input;
            for (var level = 0; level < Depth; level++)
            {
                var features = encode(level, current);
                skips.Add(features);
                x?.Dispose();
                x = Functional.MaxPool2d(features, 2);
                current = x;
            }
            var bottom = encode(Depth, current);
            x?.Dispose();
            x = bottom;
            for (var level = Depth - 1; level >= 0; level--)
            {
                using var upsampled = upsample(level, x);
                x.Dispose();
                x = null;
                using var joined = Tensor.Cat([skips[level], upsampled], 1);
                x = decode(level, joined);
            }
            return finish(x);
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
/// A <see cref="UNet"/>'s blocks with batch norm folded into their convolutions (<see cref="UNet.Fold"/>), its
/// upsamplers shuffled and a copy of its head, all in one element type; the network supplies only the wiring.
/// </summary>
internal sealed class FoldedUNet : IDisposable
{
    readonly UNet network;
    readonly FoldedUNetBlock[] encoder;
    readonly ShuffledUpsampler[] upsamplers;
    readonly FoldedUNetBlock[] decoder;
    readonly (Tensor Weight, Tensor Bias) head;

    internal FoldedUNet(UNet network, ScalarType scalarType, FoldedUNetBlock[] encoder, ShuffledUpsampler[] upsamplers, FoldedUNetBlock[] decoder, (Tensor, Tensor) head) =>
        (this.network, ScalarType, this.encoder, this.upsamplers, this.decoder, this.head) = (network, scalarType, encoder, upsamplers, decoder, head);

    /// <summary>The element type of the weights, and of the input the pass needs.</summary>
    public ScalarType ScalarType { get; }

    /// <summary>N × InChannels × H × W to logits, as <see cref="UNet.Forward(Tensor)"/> in evaluation mode.</summary>
    public Tensor Forward(Tensor input) =>
        network.Forward(input, (level, x) => encoder[level].Forward(x), (level, x) => upsamplers[level].Forward(x), (level, x) => decoder[level].Forward(x),
            x => Functional.Conv2d(x, head.Weight, head.Bias));

    public void Dispose()
    {
        foreach (var block in encoder.Concat(decoder))
            block.Dispose();
        foreach (var upsampler in upsamplers)
            upsampler.Dispose();
        head.Weight.Dispose();
        head.Bias.Dispose();
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

    /// <summary>This block's evaluation-mode function as convolutions with bias, in <paramref name="dtype"/> (call under no-grad).</summary>
    internal FoldedUNetBlock Fold(ScalarType dtype)
    {
        var first = FoldedUNetBlock.Folded(conv1, bn1, dtype);
        var second = FoldedUNetBlock.Folded(conv2, bn2, dtype);
        var identity = shortcut is null ? ((Tensor, Tensor)?)null : FoldedUNetBlock.Folded(shortcut.OfType<Conv2d>().Single(), shortcut.OfType<BatchNorm2d>().Single(), dtype);
        return new FoldedUNetBlock(first, second, identity, Residual);
    }

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

/// <summary>A <see cref="UNetBlock"/> with each batch norm folded into its convolution: w·s and β − μ·s, s = γ / √(σ² + ε).</summary>
internal sealed class FoldedUNetBlock : IDisposable
{
    readonly (Tensor Weight, Tensor Bias) first;
    readonly (Tensor Weight, Tensor Bias) second;
    readonly (Tensor Weight, Tensor Bias)? shortcut;
    readonly bool residual;

    internal FoldedUNetBlock((Tensor, Tensor) first, (Tensor, Tensor) second, (Tensor, Tensor)? shortcut, bool residual) =>
        (this.first, this.second, this.shortcut, this.residual) = (first, second, shortcut, residual);

    internal static (Tensor Weight, Tensor Bias) Folded(Conv2d conv, BatchNorm2d norm, ScalarType dtype)
    {
        if (norm.RunningMean is null || norm.RunningVar is null || conv.Bias is not null)
            throw new InvalidOperationException("Only a bias-free convolution followed by a batch norm with running statistics folds.");
        using var variance = norm.RunningVar.Add(norm.Eps);
        using var deviation = variance.Sqrt();
        using var scale = norm.Weight is null ? deviation.Pow(-1) : norm.Weight.Divide(deviation);
        using var column = scale.View(-1, 1, 1, 1);
        using var shift = norm.RunningMean.Multiply(scale);
        var bias = norm.Bias is null ? shift.Negate() : norm.Bias.Subtract(shift);
        return InType((conv.Weight.Multiply(column), bias), dtype);
    }

    /// <summary>
    /// A float32 convolution's weight and bias in <paramref name="dtype"/>: the pair itself for float32, else converted
    /// copies, and the given pair is disposed.
    /// </summary>
    internal static (Tensor Weight, Tensor Bias) InType((Tensor Weight, Tensor Bias) conv, ScalarType dtype)
    {
        if (dtype == ScalarType.Float32)
            return conv;
        // Tensor.To keeps the memory format, so channels-last weights stay channels-last.
        using (conv.Weight)
        using (conv.Bias)
            return (conv.Weight.To(dtype), conv.Bias.To(dtype));
    }

    // The ReLUs and the residual sum work in place, as a plain libtorch loop would: one memory pass each, no new tensor.
    public Tensor Forward(Tensor input)
    {
        Tensor c;
        using (var a = Functional.Conv2d(input, first.Weight, first.Bias, padding: 1))
            c = Functional.Conv2d(a.ReluInPlace(), second.Weight, second.Bias, padding: 1);
        try
        {
            if (residual)
            {
                using var identity = shortcut is { } s ? Functional.Conv2d(input, s.Weight, s.Bias) : null;
                c.AddInPlace(identity ?? input);
            }
            return c.ReluInPlace();
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var (weight, bias) in new[] { first, second }.Concat(shortcut is { } s ? [s] : []))
        {
            weight.Dispose();
            bias.Dispose();
        }
    }
}

/// <summary>
/// A 2×2 stride-2 transposed convolution as a 1×1 convolution to (row, column, channel) of each output 2×2 block and a
/// pixel shuffle: out[c, 2i + a, 2j + b] = bias[c] + Σ_k in[k, i, j] · W[k, c, a, b] either way.
/// </summary>
internal sealed class ShuffledUpsampler : IDisposable
{
    readonly Tensor weight;
    readonly Tensor bias;
    readonly int channels;

    ShuffledUpsampler(Tensor weight, Tensor bias, int channels) => (this.weight, this.bias, this.channels) = (weight, bias, channels);

    /// <summary>The same map as <paramref name="upsampler"/> (2×2 kernel, stride 2, no groups, with bias; call under no-grad), in <paramref name="dtype"/>.</summary>
    internal static ShuffledUpsampler From(ConvTranspose2d upsampler, ScalarType dtype)
    {
        if (upsampler.KernelSize != 2 || upsampler.Stride != 2 || upsampler.Padding != 0 || upsampler.OutputPadding != 0 || upsampler.Groups != 1 || upsampler.Bias is null)
            throw new InvalidOperationException("Only a 2x2 stride-2 transposed convolution with bias shuffles.");
        int inputs = upsampler.InChannels, outputs = upsampler.OutChannels;
        using var permuted = upsampler.Weight.Permute(2, 3, 1, 0);
        var weight = permuted.Reshape(4 * outputs, inputs, 1, 1);
        var bias = Tensor.Cat([upsampler.Bias, upsampler.Bias, upsampler.Bias, upsampler.Bias]);
        (weight, bias) = FoldedUNetBlock.InType((weight, bias), dtype);
        return new ShuffledUpsampler(weight, bias, outputs);
    }

    public Tensor Forward(Tensor input)
    {
        long n = input.Size(0), height = input.Size(2), width = input.Size(3);
        using var blocks = Functional.Conv2d(input, weight, bias);
        using var last = blocks.Permute(0, 2, 3, 1);
        using var split = last.Reshape(n, height, width, 2, 2, channels);
        using var rows = split.Permute(0, 1, 3, 2, 4, 5);
        using var packed = rows.Contiguous();
        using var image = packed.View(n, 2 * height, 2 * width, channels);
        return image.Permute(0, 3, 1, 2);
    }

    public void Dispose()
    {
        weight.Dispose();
        bias.Dispose();
    }
}
