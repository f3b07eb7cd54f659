using System.Diagnostics;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Native;

namespace AutoClassify.Bench;

/// <summary>
/// CNN arm speed: LipNet-4 training throughput through CnnTrainer against the same network and loop in plain
/// libtorch C++ (bench/native) and in PyTorch with a per-sample augmenting DataLoader (bench/python), then batch
/// prediction throughput. The bench machine is shared, so every contender runs several times in turn and each is
/// credited with its fastest epoch (after the first, warm-up epoch of every run): the speed it reaches when it
/// has the cores to itself.
/// </summary>
internal sealed class CnnBench : IBenchSuite
{
    const int Size = 28, Batch = 32, Threads = 2, Classes = 3;

    public string Name => "cnn";

    public string Description => "LipNet-4 training img/s vs plain libtorch C++ (goal >= 0.9) and PyTorch DataLoader (goal >= 1.5); prediction crops/s (goal >= 3000)";

    public void Run(BenchOptions options)
    {
        var images = options.Quick ? 512 : 2048;
        var epochs = options.Quick ? 4 : 6;
        var rounds = options.Quick ? 3 : 5;
        Console.WriteLine(Invariant($"  {images} images of {Size} px, {Classes} classes, batch {Batch}, full augmentation, 15 % validation pass per epoch"));
        Console.WriteLine(Invariant($"  {rounds} rounds of {epochs} epochs each, taken in turn; each contender's fastest epoch after the first of its run counts"));

        var native = BuildNative(options.RepoRoot);
        var python = FindPython();
        CnnModel? trained = null;
        // One thread as well as two: on a shared machine two OpenMP threads stall whenever another process holds a core.
        // The two-thread model (the last) serves the prediction measurements.
        foreach (var threads in new[] { 1, Threads })
        {
            Console.WriteLine(Invariant($"  -- {threads} thread(s)"));
            trained?.Dispose();
            trained = CompareTraining(options, native, python, images, epochs, rounds, threads);
        }

        using (trained)
            Predict(trained!, native, options.Quick, rounds * 3);
    }

    static CnnModel CompareTraining(BenchOptions options, string? native, string? python, int images, int epochs, int rounds, int threads)
    {
        var script = Path.Combine(options.RepoRoot, "bench", "python", "lipnet4_train.py");
        var common = Invariant($"--images {images} --epochs {epochs} --threads {threads} --batch {Batch} --size {Size}");
        double ours = 0, cpp = 0, torchPython = 0, torchPythonChannelsLast = 0;
        CnnModel? trained = null;
        for (var round = 0; round < rounds; round++)
        {
            trained?.Dispose();
            (var perSecond, trained) = TrainThroughAutoClassify(images, epochs, threads);
            ours = Math.Max(ours, perSecond);
            // The C++ loop stores kernels channels-last as CnnTrainer does, so the ratio isolates the binding's cost.
            if (native is not null)
                cpp = Math.Max(cpp, RunReference(native, common + " --channels-last"));
            if (python is not null)
            {
                torchPython = Math.Max(torchPython, RunReference(python, $"{script} {common}"));
                torchPythonChannelsLast = Math.Max(torchPythonChannelsLast, RunReference(python, $"{script} {common} --channels-last"));
            }
        }

        Console.WriteLine(Invariant($"  AutoClassify CnnTrainer      {ours,8:F1} img/s"));
        if (cpp > 0)
            Console.WriteLine(Invariant($"  plain libtorch C++ loop      {cpp,8:F1} img/s   ratio {ours / cpp:F2} (goal >= 0.9)"));
        else
            Console.WriteLine("  plain libtorch C++ loop      skipped (bench/native/build.sh failed; needs cmake, g++ and libtorch-dev)");
        if (torchPython > 0)
        {
            Console.WriteLine(Invariant($"  PyTorch + DataLoader         {torchPython,8:F1} img/s   ratio {ours / torchPython:F2} (goal >= 1.5)"));
            Console.WriteLine(Invariant($"  PyTorch, channels-last       {torchPythonChannelsLast,8:F1} img/s   ratio {ours / torchPythonChannelsLast:F2} (same layout as ours, for reference)"));
        }
        else
        {
            Console.WriteLine("  PyTorch + DataLoader         skipped (no python3 with torch; apt-get install python3-torch)");
        }
        return trained!;
    }

    static void Predict(CnnModel model, string? native, bool quick, int rounds)
    {
        var count = quick ? 2048 : 4096;
        if (native is not null)
        {
            var reference = RunReference(native, Invariant($"--predict {count} --epochs {rounds} --threads {Threads} --size {Size} --channels-last"), "crops_per_second ");
            Console.WriteLine(Invariant($"  prediction, plain libtorch   {reference,8:F0} crops/s (forward and softmax on ready tensors, batches of 256)"));
        }
        foreach (var source in new[] { Size, 64 })
        {
            var crops = Images(count, source, seed: 2);
            int[] all = [.. Enumerable.Range(0, count)];
            model.PredictProbabilities(crops, all);
            double best = 0;
            for (var round = 0; round < rounds; round++)
            {
                var clock = Stopwatch.StartNew();
                model.PredictProbabilities(crops, all);
                best = Math.Max(best, count / clock.Elapsed.TotalSeconds);
            }
            Console.WriteLine(Invariant($"  prediction, {source,2} px crops      {best,8:F0} crops/s (goal >= 3000; PredictProbabilities with resize and standardisation)"));
        }
    }

    static (double PerSecond, CnnModel Model) TrainThroughAutoClassify(int images, int epochs, int threads)
    {
        var data = Images(images, Size, seed: 1);
        var options = new CnnOptions
        {
            Model = "lipnet4",
            InputSize = Size,
            BatchSize = Batch,
            Threads = threads,
            MaxEpochs = epochs,
            Patience = epochs,
            Sampler = SamplerKind.None,
            Augmentation = AugmentationOptions.Default,
        };
        var model = CnnTrainer.Create("lipnet4", options).Train(data, [.. Enumerable.Range(0, images)], new TrainingContext { Seed = 1, Threads = threads });
        var fit = int.Parse(model.Summary.Facts["fit_items"], CultureInfo.InvariantCulture);
        return (fit / model.Summary.Curves["epoch_seconds"].Skip(1).Min(), model);
    }

    // Noise images with random labels: throughput does not depend on what the pixels show.
    static TrainingData Images(int count, int size, int seed)
    {
        var random = new Random(seed);
        var images = new GrayImage[count];
        for (var i = 0; i < count; i++)
        {
            var pixels = new float[size * size];
            for (var p = 0; p < pixels.Length; p++)
                pixels[p] = (float)random.NextDouble();
            images[i] = new GrayImage(size, size, pixels);
        }
        var labels = Enumerable.Range(0, count).Select(_ => random.Next(Classes)).ToArray();
        return new TrainingData { ClassNames = ["a", "b", "c"], Labels = labels, Images = images };
    }

    internal static string? BuildNative(string repoRoot)
    {
        var script = Path.Combine(repoRoot, "bench", "native", "build.sh");
        Console.WriteLine("  building bench/native (plain libtorch reference) ...");
        var (code, output) = Execute("bash", script);
        var binary = output.Trim().Split('\n')[^1].Trim();
        return code == 0 && File.Exists(binary) ? binary : null;
    }

    // Debian's python3-torch installs for /usr/bin/python3, which a pyenv shim on PATH may hide.
    static string? FindPython()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                if (Execute(candidate, "-c \"import torch\"").Code == 0)
                    return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }

    /// <summary>Runs a reference and returns its best throughput: the fastest epoch after the first, or the printed value.</summary>
    internal static double RunReference(string program, string arguments, string key = "images_per_second ")
    {
        var (code, output) = Execute(program, arguments);
        var lines = output.Split('\n');
        string? Value(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?[name.Length..].Trim();
        var printed = Value(key);
        if (code != 0 || printed is null)
        {
            Console.WriteLine($"  {program} failed ({code}): {output.Trim()}");
            return 0;
        }
        if (Value("fit_images ") is { } fit && Value("epoch_seconds ") is { } times)
        {
            var seconds = times.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            if (seconds.Length > 1)
                return double.Parse(fit, CultureInfo.InvariantCulture) / seconds.Skip(1).Min();
        }
        return double.Parse(printed, CultureInfo.InvariantCulture);
    }

    static (int Code, string Output) Execute(string program, string arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        // The plain loop runs with the allocator settings this process has (HeapTuning), so a ratio compares code, not
        // malloc: without them every large activation is a fresh mapping, page-faulted in on every pass.
        if (HeapTuning.Applied)
        {
            foreach (var (name, value) in HeapTuning.ChildEnvironment)
                start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
