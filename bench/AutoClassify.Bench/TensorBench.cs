using System.Diagnostics;
using System.Globalization;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Bench;

/// <summary>
/// Leak soak for the libtorch binding: many training steps of a small conv net, checking that process memory
/// and the live tensor count stay flat.
/// </summary>
internal sealed class TensorBench : IBenchSuite
{
    const int Size = 28, Batch = 32, PoolBatches = 16;

    public string Name => "soak";

    public string Description => "10k training steps of a small conv net (28 px, batch 32): RSS and live tensors stay flat";

    public void Run(BenchOptions options)
    {
        var total = options.Quick ? 2_000 : 10_000;
        int[] checkpoints = options.Quick ? [200, 1_000, 2_000] : [1_000, 5_000, 10_000];
        Torch.ManualSeed(1);
        var (images, labels) = MakePool(seed: 1);
        using var model = new Sequential(
            new Conv2d(1, 16, 3, padding: 1), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
            new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.1), new Linear(32, 2));
        using var optimizer = new AdamW(model.Parameters(), new AdamWOptions { LearningRate = 3e-3 });
        var liveBefore = Tensor.LiveCount;
        Console.WriteLine(Invariant($"  torch threads {Torch.Threads}, {total} steps, live tensors before {liveBefore} (model + optimiser); managed = live heap after a full GC"));
        Console.WriteLine("  step      RSS MiB   managed MiB   live   loss    acc   steps/s");

        var rssAt = new List<double>();
        var clock = Stopwatch.StartNew();
        var lastTime = 0.0;
        var lastStep = 0;
        double runningLoss = 0;
        for (var step = 1; step <= total; step++)
        {
            var b = step % PoolBatches;
            using (var scope = DisposeScope.Begin())
            {
                var x = Tensor.From<float>(images.AsSpan(b * Batch * Size * Size, Batch * Size * Size), [Batch, 1, Size, Size]);
                var y = Tensor.From<long>(labels.AsSpan(b * Batch, Batch), [Batch]);
                optimizer.ZeroGrad();
                var loss = Functional.CrossEntropy(model.Forward(x), y, labelSmoothing: 0.05);
                loss.Backward();
                optimizer.Step();
                runningLoss = 0.98 * runningLoss + 0.02 * loss.ToDouble();
            }

            if (checkpoints.Contains(step))
            {
                var accuracy = Accuracy(model, images, labels);
                var rss = ResidentMiB();
                rssAt.Add(rss);
                var now = clock.Elapsed.TotalSeconds;
                Console.WriteLine(Invariant($"  {step,6} {rss,10:F1} {GC.GetTotalMemory(forceFullCollection: true) / 1048576.0,12:F1} {Tensor.LiveCount,6} {runningLoss,6:F3} {accuracy,6:P0} {(step - lastStep) / (now - lastTime),8:F0}"));
                lastTime = now;
                lastStep = step;
            }
        }

        Console.WriteLine(Invariant($"  RSS growth {rssAt[0]:F1} -> {rssAt[^1]:F1} MiB: ratio {rssAt[^1] / rssAt[0]:F3} (flat = 1.0)"));
        Console.WriteLine(Invariant($"  live tensors after {Tensor.LiveCount} (before {liveBefore}), native {Tensor.NativeLiveCount}"));
    }

    static double Accuracy(Module model, float[] images, long[] labels)
    {
        using var scope = DisposeScope.Begin();
        using var noGrad = new NoGrad();
        model.Eval();
        var x = Tensor.FromArray(images, [PoolBatches * Batch, 1, Size, Size]);
        var y = Tensor.FromArray(labels, [PoolBatches * Batch]);
        var accuracy = model.Forward(x).ArgMax(1).Eq(y).To(ScalarType.Float32).Mean().ToDouble();
        model.Train();
        return accuracy;
    }

    // Bright squares (0) and disks (1) of equal area at random places, with noise.
    static (float[] Images, long[] Labels) MakePool(int seed)
    {
        var random = new Random(seed);
        var count = PoolBatches * Batch;
        var images = new float[count * Size * Size];
        var labels = new long[count];
        for (var n = 0; n < count; n++)
        {
            labels[n] = n % 2;
            double cx = Size / 2.0 + (random.NextDouble() - 0.5) * Size * 0.4;
            double cy = Size / 2.0 + (random.NextDouble() - 0.5) * Size * 0.4;
            var half = Size * (0.1 + random.NextDouble() * 0.08);
            var radius = half * 1.128;
            for (var y = 0; y < Size; y++)
            {
                for (var x = 0; x < Size; x++)
                {
                    double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                    var inside = labels[n] == 0 ? Math.Abs(dx) <= half && Math.Abs(dy) <= half : dx * dx + dy * dy <= radius * radius;
                    images[(n * Size + y) * Size + x] = (float)((inside ? 0.8 : 0.1) + (random.NextDouble() - 0.5) * 0.3);
                }
            }
        }
        return (images, labels);
    }

    internal static double ResidentMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) / 1024.0;
        }
        return double.NaN;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
