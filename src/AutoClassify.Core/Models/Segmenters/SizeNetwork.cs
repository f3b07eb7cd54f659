using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Models.Segmenters;

/// <summary>
/// How the object-size CNN (<see cref="SizeNetwork"/>) of a U-Net with object scaling is trained, and how much its
/// estimate counts in the choice of each image's factor (<see cref="ScaleSelection.EstimateWeight"/>).
/// </summary>
public sealed record SizeEstimateOptions
{
    /// <summary>Adam steps (a tenth of the rate for the last 30 %).</summary>
    public int Steps { get; init; } = 1500;

    public int BatchSize { get; init; } = 32;

    /// <summary>Side of the square training and reading patches, in working pixels.</summary>
    public int PatchSize { get; init; } = 96;

    /// <summary>Filters of the first convolution block; the later ones have 2, 4, 4 and 8 times as many.</summary>
    public int Width { get; init; } = 16;

    /// <summary>Training sizes lie within e^±Range of the object size.</summary>
    public double Range { get; init; } = 1.2;

    /// <summary>The selection's weight on the distance of a rung's factor from the estimate (absolute log ratio).</summary>
    public double Weight { get; init; } = 0.5;

    /// <summary>Every problem with these settings, each naming its parameter; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(string name, double value, double low, double high)
        {
            if (!(value >= low && value <= high))
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"SizeEstimate.{name} must lie in [{low}, {high}], got {value}."));
        }
        Check(nameof(Steps), Steps, 1, 1_000_000);
        Check(nameof(BatchSize), BatchSize, 1, 1024);
        Check(nameof(PatchSize), PatchSize, 16, 1024);
        Check(nameof(Width), Width, 1, 256);
        Check(nameof(Range), Range, 0.1, 3);
        Check(nameof(Weight), Weight, 0, 100);
        if (PatchSize % 16 != 0)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"SizeEstimate.{nameof(PatchSize)} must be a multiple of 16 (four 2x2 poolings), got {PatchSize}."));
        return problems;
    }
}

/// <summary>What a saved segmenter records of its size CNN besides the weights: the architecture, how it reads, and its bias.</summary>
public sealed record SizeEstimateInfo
{
    public required int Width { get; init; }

    public required int PatchSize { get; init; }

    public required double Range { get; init; }

    /// <summary>The median ln(estimate / truth) on the calibration images, taken off every estimate.</summary>
    public required double Bias { get; init; }

    /// <summary>What makes this description unusable, or null.</summary>
    public string? FindProblem()
    {
        var problems = new SizeEstimateOptions { Width = Width, PatchSize = PatchSize, Range = Range }.Problems();
        if (problems.Count > 0)
            return problems[0].Replace("SizeEstimate.", "", StringComparison.Ordinal).TrimEnd('.');
        return double.IsFinite(Bias) ? null : string.Create(CultureInfo.InvariantCulture, $"bias must be finite, got {Bias}");
    }
}

/// <summary>
/// A small CNN that reads how large an image's objects are, as a second opinion beside the U-Net's own passes for the
/// choice of each image's factor. Five 3×3 convolution blocks (batch norm, ReLU, 2×2 max-pool between them) of width,
/// 2×, 4×, 4× and 8× width filters, global average pooling and one linear output, trained with Adam on the mean
/// squared error. A training patch is a random window of an image resized so that its median object measures
/// T·e^u px (T the object size, u uniform in ±range), flipped and transposed at random and standardised on its own;
/// the target is u. An image's estimate: the network run at candidate diameters D = 3·2^(k/2) px (the image resized
/// by T/D, at most 3 megapixels, down to a 12-px long side), u(D) the mean over up to 5×5 patches covering it; the
/// first D where u turns negative (u falls as D grows), interpolated in ln D, refined twice as the mean of ln D + u
/// over the diameters within 0.7 range of it, then less the bias measured on calibration images. Not thread-safe:
/// callers hold libtorch's gate.
/// </summary>
internal sealed class SizeNetwork : IDisposable
{
    readonly Sequential network;
    readonly int target;

    SizeNetwork(Sequential network, SizeEstimateInfo info, int target) => (this.network, Info, this.target) = (network, info, target);

    /// <summary>The settings and bias to save beside the weights.</summary>
    public SizeEstimateInfo Info { get; private set; }

    /// <summary>
    /// Trains a network on images with their median object sizes (pixels, as <paramref name="target"/> measures them);
    /// <paramref name="log"/> hears the smoothed loss every 250 steps. Repeatable from <paramref name="seed"/>.
    /// </summary>
    public static SizeNetwork Train(IReadOnlyList<(GrayImage Image, double Diameter)> images, SizeEstimateOptions options, int target, int seed,
        Action<int, double>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        if (images.Count == 0)
            throw new ArgumentException("The size network needs at least one image with objects.", nameof(images));
        Torch.ManualSeed(seed);
        var random = new Random(seed);
        var result = new SizeNetwork(Build(options.Width), new SizeEstimateInfo { Width = options.Width, PatchSize = options.PatchSize, Range = options.Range, Bias = 0 }, target);
        try
        {
            int batch = options.BatchSize, patch = options.PatchSize;
            var pixels = new float[batch * patch * patch];
            var targets = new float[batch];
            using var optimizer = new Adam(result.network.Parameters(), new AdamOptions { LearningRate = 1e-3 });
            result.network.Train();
            double smoothed = 0;
            for (var step = 0; step < options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var b = 0; b < batch; b++)
                {
                    var (image, diameter) = images[random.Next(images.Count)];
                    var u = ((random.NextDouble() * 2) - 1) * options.Range;
                    Sample(image, target * Math.Exp(u) / diameter, patch, random, pixels.AsSpan(b * patch * patch, patch * patch));
                    targets[b] = (float)u;
                }
                using var scope = DisposeScope.Begin();
                var loss = Functional.MseLoss(result.network.Forward(Tensor.FromArray(pixels, [batch, 1, patch, patch])), Tensor.FromArray(targets, [batch, 1]));
                optimizer.LearningRate = step < options.Steps * 0.7 ? 1e-3 : 2e-4;
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                var value = loss.ToDouble();
                smoothed = step == 0 ? value : (0.98 * smoothed) + (0.02 * value);
                if ((step + 1) % 250 == 0)
                    log?.Invoke(step + 1, smoothed);
            }
            result.network.Eval();
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Reads weights written by <see cref="Save"/> into the architecture <paramref name="info"/> describes; throws naming the file when they do not fit.</summary>
    public static SizeNetwork Load(string path, SizeEstimateInfo info, int target)
    {
        var result = new SizeNetwork(Build(info.Width), info, target);
        try
        {
            result.network.Load(path);
            result.network.Eval();
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Writes the weights as safetensors (atomically).</summary>
    public void Save(string path) => network.Save(path, new Dictionary<string, string> { ["model"] = "size-cnn" });

    /// <summary>
    /// Sets the bias to the median ln(estimate / truth) over <paramref name="images"/> (never test images; the upper
    /// middle of an even count; an image too small to read, NaN, counts for nothing) and returns those log ratios,
    /// measured before the bias, in the images' order; no readable image leaves the bias at 0.
    /// </summary>
    public double[] Calibrate(IReadOnlyList<(GrayImage Image, double Diameter)> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        Info = Info with { Bias = 0 };
        double[] offsets = [.. images.Select(x => Math.Log(Estimate(x.Image) / x.Diameter))];
        var sorted = offsets.Where(double.IsFinite).Order().ToArray();
        Info = Info with { Bias = sorted.Length == 0 ? 0 : sorted[sorted.Length / 2] };
        return offsets;
    }

    /// <summary>The image's median object size in its own pixels.</summary>
    public double Estimate(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var patch = Info.PatchSize;
        var rungs = new List<(double LogD, double U)>();
        for (var k = 0; k < 24; k++)
        {
            var d = 3 * Math.Pow(2, k / 2.0);
            var f = target / d;
            int w = (int)Math.Round(image.Width * f), h = (int)Math.Round(image.Height * f);
            if ((long)w * h > 3_000_000)
                continue;
            if (Math.Max(w, h) < 12)
                break;
            var region = InputScaling.Image(image, Math.Max(1, w), Math.Max(1, h));
            int nx = Math.Min(5, (region.Width + patch - 1) / patch), ny = Math.Min(5, (region.Height + patch - 1) / patch);
            var pixels = new float[nx * ny * patch * patch];
            var n = 0;
            for (var iy = 0; iy < ny; iy++)
            {
                for (var ix = 0; ix < nx; ix++)
                {
                    var left = nx == 1 ? Math.Max(0, (region.Width - patch) / 2) : (int)Math.Round((double)ix * (region.Width - patch) / (nx - 1));
                    var top = ny == 1 ? Math.Max(0, (region.Height - patch) / 2) : (int)Math.Round((double)iy * (region.Height - patch) / (ny - 1));
                    Fill(region, left, top, patch, pixels.AsSpan(n++ * patch * patch, patch * patch), false, false, false);
                }
            }
            using var scope = DisposeScope.Begin();
            using var noGrad = Torch.NoGrad();
            rungs.Add((Math.Log(d), network.Forward(Tensor.FromArray(pixels, [n, 1, patch, patch])).ToFloatArray().Average()));
        }
        if (rungs.Count == 0)
            return double.NaN;
        var estimate = double.NaN;
        for (var k = 1; k < rungs.Count && double.IsNaN(estimate); k++)
        {
            if (rungs[k - 1].U >= 0 && rungs[k].U < 0)
                estimate = rungs[k - 1].LogD + (rungs[k - 1].U / (rungs[k - 1].U - rungs[k].U) * (rungs[k].LogD - rungs[k - 1].LogD));
        }
        if (double.IsNaN(estimate))
            estimate = rungs.MinBy(r => Math.Abs(r.U)).LogD;
        for (var pass = 0; pass < 2; pass++)
        {
            var near = rungs.Where(r => Math.Abs(r.LogD - estimate) <= 0.7 * Info.Range).ToArray();
            if (near.Length > 0)
                estimate = near.Average(r => r.LogD + r.U);
        }
        return Math.Exp(estimate - Info.Bias);
    }

    /// <summary>Trainable weights, for reports.</summary>
    public long ParameterCount() => network.ParameterCount();

    public void Dispose() => network.Dispose();

    static Sequential Build(int width)
    {
        var network = new Sequential();
        int[] channels = [width, width * 2, width * 4, width * 4, width * 8];
        var input = 1;
        for (var k = 0; k < channels.Length; k++)
        {
            network.Add(new Conv2d(input, channels[k], 3, padding: 1)).Add(new BatchNorm2d(channels[k])).Add(new ReLU());
            if (k < channels.Length - 1)
                network.Add(new MaxPool2d(2));
            input = channels[k];
        }
        return network.Add(new AdaptiveAvgPool2d(1, 1)).Add(new Flatten()).Add(new Linear(input, 1));
    }

    /// <summary>A random patch of the image resized by <paramref name="factor"/> (reflected where the resized image is smaller), flipped and transposed at random.</summary>
    static void Sample(GrayImage image, double factor, int patch, Random random, Span<float> destination)
    {
        var side = patch / factor;
        GrayImage region;
        if (side >= image.Width && side >= image.Height)
        {
            region = InputScaling.Image(image, Math.Max(1, (int)Math.Round(image.Width * factor)), Math.Max(1, (int)Math.Round(image.Height * factor)));
        }
        else
        {
            // Only the window the patch needs is resized.
            var width = Math.Max(1, Math.Min(image.Width, (int)Math.Ceiling(side)));
            var height = Math.Max(1, Math.Min(image.Height, (int)Math.Ceiling(side)));
            var left = random.Next(image.Width - width + 1);
            var top = random.Next(image.Height - height + 1);
            var window = image.Crop(top, image.Height - top - height, left, image.Width - left - width);
            region = InputScaling.Image(window, Math.Max(1, (int)Math.Round(width * factor)), Math.Max(1, (int)Math.Round(height * factor)));
        }
        var x = region.Width > patch ? random.Next(region.Width - patch + 1) : 0;
        var y = region.Height > patch ? random.Next(region.Height - patch + 1) : 0;
        var (flipX, flipY, transpose) = (random.Next(2) == 1, random.Next(2) == 1, random.Next(2) == 1);
        Fill(region, x, y, patch, destination, flipX, flipY, transpose);
    }

    /// <summary>The patch at (<paramref name="left"/>, <paramref name="top"/>), reflected at the region's edges, standardised on its own.</summary>
    static void Fill(GrayImage region, int left, int top, int patch, Span<float> destination, bool flipX, bool flipY, bool transpose)
    {
        for (var y = 0; y < patch; y++)
        {
            for (var x = 0; x < patch; x++)
            {
                int px = flipX ? patch - 1 - x : x, py = flipY ? patch - 1 - y : y;
                if (transpose)
                    (px, py) = (py, px);
                destination[(y * patch) + x] = region[SegmenterInput.Mirror(left + px, region.Width), SegmenterInput.Mirror(top + py, region.Height)];
            }
        }
        // Two passes, not CnnInputPreparer.Standardise's one: the figures were measured this way, and the trained
        // CNN follows the last bit of its inputs.
        double mean = 0, squares = 0;
        foreach (var v in destination)
            mean += v;
        mean /= destination.Length;
        foreach (var v in destination)
            squares += (v - mean) * (v - mean);
        var deviation = Math.Max(Math.Sqrt(squares / destination.Length), 1e-6);
        for (var i = 0; i < destination.Length; i++)
            destination[i] = (float)((destination[i] - mean) / deviation);
    }
}
