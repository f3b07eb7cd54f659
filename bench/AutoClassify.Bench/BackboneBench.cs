using System.Diagnostics;
using System.Globalization;
using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Frozen-backbone speed: ResNet-18 feature extraction (evaluation mode, no autograd, random weights) through
/// <see cref="IFeatureBackbone.Features"/> against the same network in plain libtorch C++ (bench/native). The
/// contenders take turns, several rounds each, and each is credited with its best round: the speed it reaches
/// when it has the shared cores to itself.
/// </summary>
internal sealed class BackboneBench : IBenchSuite
{
    const int Batch = 32, Threads = 2;

    public string Name => "backbone";

    public string Description => "frozen ResNet-18 feature extraction img/s at 224 and 112 px vs plain libtorch C++ (goal >= 0.9)";

    public void Run(BenchOptions options)
    {
        var rounds = options.Quick ? 2 : 4;
        var lipnet = CnnBench.BuildNative(options.RepoRoot);
        var native = lipnet is null ? null : Path.Combine(Path.GetDirectoryName(lipnet)!, "resnet18_features");
        if (native is not null && !File.Exists(native))
            native = null;

        Torch.Threads = Threads;
        Torch.ManualSeed(1);
        using var backbone = Backbones.Build("resnet18");
        backbone.Network.Eval();
        Console.WriteLine(Invariant($"  ResNet-18, random weights, batch {Batch}, {Threads} threads, {rounds} rounds per contender taken in turn"));

        foreach (var size in new[] { 224, 112 })
        {
            // About two seconds of work per round at the reference speeds.
            var batches = (options.Quick ? 1 : 3) * (size >= 224 ? 1 : 4);
            double ours = 0, cpp = 0;
            using var images = Tensor.Randn([Batch, 3, size, size]);
            using (var noGrad = Torch.NoGrad())
            using (backbone.Features(images))
            {
                // Warm-up: allocator and oneDNN primitives for this size.
            }
            for (var round = 0; round < rounds; round++)
            {
                ours = Math.Max(ours, Measure(backbone, images, batches));
                if (native is not null)
                    cpp = Math.Max(cpp, CnnBench.RunReference(native, Invariant($"--size {size} --batch {Batch} --batches {batches} --rounds 1 --threads {Threads}")));
            }

            Console.WriteLine(Invariant($"  {size,3} px  AutoClassify Features   {ours,8:F1} img/s"));
            if (cpp > 0)
                Console.WriteLine(Invariant($"  {size,3} px  plain libtorch C++      {cpp,8:F1} img/s   ratio {ours / cpp:F2} (goal >= 0.9)"));
            else
                Console.WriteLine("         plain libtorch C++      skipped (bench/native/build.sh failed; needs cmake, g++ and libtorch-dev)");
        }
    }

    static double Measure(IFeatureBackbone backbone, Tensor images, int batches)
    {
        using var noGrad = Torch.NoGrad();
        var clock = Stopwatch.StartNew();
        for (var b = 0; b < batches; b++)
        {
            using var features = backbone.Features(images);
        }
        return Batch * batches / clock.Elapsed.TotalSeconds;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
