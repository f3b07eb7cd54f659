using System.Diagnostics;
using System.Globalization;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Bench;

/// <summary>
/// The share of the CPU's peak that LipNet-4 training steps reach (issue 19), measured in one process on the same
/// libtorch threads: the FLOPs of a training step are counted layer by layer from the module's own shapes (every
/// convolution and linear layer, traced with a forward pass), the steps are timed as CnnTrainer runs them
/// (channels-last weights, Adam, label-smoothed cross-entropy, batch 32 at 28 px), and the peak is taken from a
/// large square matmul and from the network's own convolutions run forward alone. The load average is printed
/// beside every figure: on a loaded machine the ratio is noise and must not be quoted.
/// </summary>
internal static class GemmPeakShare
{
    const int Size = 28, Batch = 32, Classes = 3;

    /// <summary>One convolution or linear layer: its name, shape and multiply-adds x 2 per image of one forward pass.</summary>
    internal sealed record Layer(string Name, string Shape, double ForwardFlops);

    public static void Run(bool quick)
    {
        var seconds = quick ? 1.0 : 3.0;
        Console.WriteLine(F($"  load average before: {LoadAverage.Now()} on {Environment.ProcessorCount} cores (figures under load are noise; quote them only from an idle machine)"));
        using var gate = TorchThreads.Gate.EnterScope();
        foreach (var threads in new[] { 1, Environment.ProcessorCount }.Distinct())
        {
            using var scope = new TorchThreads(threads);
            Torch.ManualSeed(19);
            using var model = LipNet.Build(LipNet.Find("lipnet4"), Classes, Size, dropout: 0.25, hiddenDropout: 0.5);
            model.UseChannelsLast();
            var layers = Trace(model);
            // Backward costs two forwards per layer (input and weight gradients), except the first: no gradient flows into the image.
            var perImage = layers.Sum(l => 3 * l.ForwardFlops) - layers[0].ForwardFlops;
            if (threads == 1)
            {
                Console.WriteLine(F($"  LipNet-4 at {Size} px, {Classes} classes: {layers.Count} conv/linear layers, {layers.Sum(l => l.ForwardFlops) / 1e6:F2} MFLOP forward, {perImage / 1e6:F2} MFLOP per training image (forward + backward)"));
                foreach (var layer in layers)
                    Console.WriteLine(F($"    {layer.Name,-14} {layer.Shape,-36} {layer.ForwardFlops / 1e6,7:F2} MFLOP forward"));
            }

            var stepsPerSecond = TrainingSteps(model, seconds);
            var achieved = stepsPerSecond * Batch * perImage;
            var gemm = GemmPeak(quick ? 1024 : 2048, seconds);
            var conv = ConvPeak(model, seconds);
            Console.WriteLine(F($"  -- {threads} libtorch thread(s), load average {LoadAverage.Now()}"));
            Console.WriteLine(F($"    training steps      {stepsPerSecond * Batch,8:F0} images/s = {achieved / 1e9,7:F2} GFLOP/s"));
            Console.WriteLine(F($"    GEMM peak           {gemm / 1e9,7:F2} GFLOP/s (square float32 matmul)   share reached: {achieved / gemm:P1}"));
            Console.WriteLine(F($"    conv peak           {conv / 1e9,7:F2} GFLOP/s (LipNet-4's own convolutions, forward, batch {Batch})   share reached: {achieved / conv:P1}"));
        }
        Console.WriteLine(F($"  load average after: {LoadAverage.Now()}"));
        Console.WriteLine($"  BLAS behind libtorch's matmul: {BlasLibrary()} (the reference BLAS makes the GEMM peak meaningless; scripts/install-deps.sh installs OpenBLAS)");
        Console.WriteLine("  FLOPs count convolutions and linear layers only (ReLU, pooling, dropout, the loss and Adam are not counted).");
    }

    /// <summary>Every convolution and linear layer of <paramref name="model"/> in order, with its output shape from a traced forward pass.</summary>
    internal static List<Layer> Trace(LipNetModule model)
    {
        var layers = new List<Layer>();
        using var noGrad = Torch.NoGrad();
        var x = Tensor.Zeros([1, 1, model.InputSize, model.InputSize]);
        try
        {
            foreach (var (part, sequence) in new[] { ("features", model.Features), ("classifier", model.Classifier) })
            {
                var index = 0;
                foreach (var module in sequence)
                {
                    var y = module.Forward(x);
                    x.Dispose();
                    x = y;
                    var shape = y.Shape;
                    var name = F($"{part}.{index++}");
                    switch (module)
                    {
                        case Conv2d c:
                            layers.Add(new Layer(name, F($"conv {c.InChannels}->{c.OutChannels} {c.KernelSize}x{c.KernelSize}/{c.Stride} -> {shape[2]}x{shape[3]}"),
                                2.0 * shape[1] * shape[2] * shape[3] * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize));
                            break;
                        case Linear l:
                            layers.Add(new Layer(name, F($"linear {l.InFeatures}->{l.OutFeatures}"), 2.0 * l.InFeatures * l.OutFeatures));
                            break;
                    }
                }
            }
        }
        finally
        {
            x.Dispose();
        }
        return layers;
    }

    // Steps as CnnTrainer.TrainEpoch takes them, on fixed random batches; the best of three windows after a warm-up.
    static double TrainingSteps(LipNetModule model, double seconds)
    {
        var random = new Random(5);
        var labels = Enumerable.Range(0, Batch).Select(_ => (long)random.Next(Classes)).ToArray();
        using var x = Tensor.Randn([Batch, 1, Size, Size]);
        using var y = Tensor.From<long>(labels, [Batch]);
        using var optimizer = new Adam(model.Parameters(), new AdamOptions { LearningRate = 1e-3 });
        model.Train();
        void Step()
        {
            using var scope = DisposeScope.Begin();
            var logits = model.Forward(x);
            var loss = Functional.CrossEntropy(logits, y, null, 0.1);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            _ = loss.ToDouble();
        }

        for (var i = 0; i < 10; i++)
            Step();
        return Best(seconds, Step);
    }

    static double GemmPeak(int n, double seconds)
    {
        using var a = Tensor.Randn([n, n]);
        using var b = Tensor.Randn([n, n]);
        a.MatMul(b).Dispose();
        return Best(seconds, () => a.MatMul(b).Dispose()) * 2.0 * n * n * n;
    }

    // The network's convolutions alone, forward, on activations of their own shapes: what oneDNN reaches on these shapes.
    static double ConvPeak(LipNetModule model, double seconds)
    {
        using var noGrad = Torch.NoGrad();
        var convs = new List<(Conv2d Conv, Tensor Input, double Flops)>();
        var x = Tensor.Randn([Batch, 1, Size, Size]);
        try
        {
            foreach (var module in model.Features)
            {
                var y = module.Forward(x);
                if (module is Conv2d c)
                    convs.Add((c, x, 2.0 * y.NumElements * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize));
                else
                    x.Dispose();
                x = y;
            }
            x.Dispose();
            var flops = convs.Sum(c => c.Flops);
            return Best(seconds, () =>
            {
                foreach (var (conv, input, _) in convs)
                    conv.Forward(input).Dispose();
            }) * flops;
        }
        finally
        {
            foreach (var (_, input, _) in convs)
                input.Dispose();
        }
    }

    // Calls per second of the fastest of three windows of about a third of `seconds` each.
    static double Best(double seconds, Action action)
    {
        double best = 0;
        for (var window = 0; window < 3; window++)
        {
            var clock = Stopwatch.StartNew();
            var calls = 0;
            while (clock.Elapsed.TotalSeconds < seconds / 3)
            {
                action();
                calls++;
            }
            best = Math.Max(best, calls / clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    // The BLAS mapped into this process once libtorch has run a matmul: Debian picks it through update-alternatives.
    static string BlasLibrary()
    {
        try
        {
            var blas = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .FirstOrDefault(p => p.Contains("blas", StringComparison.OrdinalIgnoreCase));
            return blas ?? "none mapped";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The GEMM-peak share of LipNet-4 training alone, in seconds (part (c) of the <c>speed</c> suite).</summary>
internal sealed class PeakBench : IBenchSuite
{
    public string Name => "peak";

    public string Description => "share of the GEMM and convolution peak that LipNet-4 training steps reach, FLOPs counted from the module's shapes (issue 19)";

    public void Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        GemmPeakShare.Run(options.Quick);
    }
}
