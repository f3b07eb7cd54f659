using System.Diagnostics;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;

namespace AutoClassify.Bench;

/// <summary>
/// Peak resident memory (VmHWM) of <c>autoclassify predict</c> with an SVM package on a folder of 32 liposome crops,
/// and on the same folder with one large image added (10,000² px; 5,000² with --quick): the ratio shows what one huge
/// but allowed image costs a batch; then the same with a small whole-image LipNet-4 package, with and without its
/// reduction rule (<c>reduce_above_pixels</c>). Each run is a fresh process, so its high-water mark is its own.
/// </summary>
internal sealed class HugeImageBench : IBenchSuite
{
    public string Name => "huge-image";

    public string Description => "peak RSS of predict on a folder with and without one huge (allowed) image, and their ratio";

    public void Run(BenchOptions options)
    {
        var dataset = Path.Combine(options.RepoRoot, "datasets", "liposomes");
        var work = Directory.CreateTempSubdirectory("ac-bench-huge-");
        try
        {
            using var trained = PackageTrainer.Train(new PackageTrainingOptions
            {
                DatasetPath = dataset,
                Seed = 42,
                ModelSettings = new ModelSettings { Grid = "coarse" },
                CommandLine = "bench huge-image",
            });
            var package = Path.Combine(work.FullName, "model.acpkg");
            trained.WriteTo(package);

            var small = Path.Combine(work.FullName, "small");
            Directory.CreateDirectory(small);
            foreach (var file in PackagePredictor.CollectInputs([dataset]).Where(f => f.EndsWith(".png", StringComparison.Ordinal)).Take(32))
                File.Copy(file, Path.Combine(small, Path.GetFileName(file)));
            var huge = Path.Combine(work.FullName, "huge");
            Directory.CreateDirectory(huge);
            foreach (var file in Directory.GetFiles(small))
                File.Copy(file, Path.Combine(huge, Path.GetFileName(file)));
            var side = options.Quick ? 5_000 : 10_000;
            WriteField(Path.Combine(huge, "huge.png"), side);
            Console.WriteLine(Invariant($"huge.png: {side}x{side} = {(long)side * side / 1e6:F0} Mpx, {new FileInfo(Path.Combine(huge, "huge.png")).Length / 1e6:F1} MB on disk"));

            var cli = Path.Combine(AppContext.BaseDirectory, "autoclassify.dll");
            if (!File.Exists(cli))
                cli = Path.Combine(options.RepoRoot, "src", "AutoClassify.Cli", "bin", "Release", "net10.0", "autoclassify.dll");
            Console.WriteLine($"{"folder",-8} {"images",7} {"peak RSS MiB",13} {"seconds",8}");
            var (smallPeak, smallTime) = Predict(cli, package, small, work.FullName);
            Console.WriteLine(Invariant($"{"small",-8} {32,7} {smallPeak / 1048576.0,13:F0} {smallTime,8:F1}"));
            var (hugePeak, hugeTime) = Predict(cli, package, huge, work.FullName);
            Console.WriteLine(Invariant($"{"+huge",-8} {33,7} {hugePeak / 1048576.0,13:F0} {hugeTime,8:F1}"));
            Console.WriteLine(Invariant($"ratio {(double)hugePeak / smallPeak:F2}; {(hugePeak - smallPeak) / ((double)side * side):F1} bytes per pixel of the huge image"));

            // A whole-image network: the package as trained (huge images reduced, ImageReduction) against the same
            // package with the rule removed (full resolution, as before the rule existed).
            using var cnn = PackageTrainer.Train(new PackageTrainingOptions
            {
                DatasetPath = dataset,
                Seed = 42,
                Model = "lipnet4",
                ModelSettings = new ModelSettings { Cnn = new CnnOptions { InputSize = 32, MaxEpochs = 2, Patience = 2 } },
                CommandLine = "bench huge-image",
            });
            var reducing = Path.Combine(work.FullName, "cnn.acpkg");
            cnn.WriteTo(reducing);
            var full = Path.Combine(work.FullName, "cnn-full.acpkg");
            ModelPackage.Write(full, cnn.Manifest with { Preprocessing = cnn.Manifest.Preprocessing with { ReduceAbovePixels = null } }, cnn.Model);
            Console.WriteLine(Invariant($"lipnet4 on whole images (reduce_above_pixels {cnn.Manifest.Preprocessing.ReduceAbovePixels:N0}):"));
            Console.WriteLine($"{"package",-14} {"folder",-8} {"peak RSS MiB",13} {"seconds",8}");
            foreach (var (name, path) in new[] { ("full", full), ("reduced", reducing) })
            {
                var (cnnSmall, smallSeconds) = Predict(cli, path, small, work.FullName);
                Console.WriteLine(Invariant($"{name,-14} {"small",-8} {cnnSmall / 1048576.0,13:F0} {smallSeconds,8:F1}"));
                var (cnnHuge, hugeSeconds) = Predict(cli, path, huge, work.FullName);
                Console.WriteLine(Invariant($"{name,-14} {"+huge",-8} {cnnHuge / 1048576.0,13:F0} {hugeSeconds,8:F1}   {(cnnHuge - cnnSmall) / ((double)side * side):F1} bytes per huge pixel"));
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // Dark disks every 64 px on a lighter noisy ground: something to segment and measure, like a real field.
    static void WriteField(string path, int side)
    {
        var image = new GrayImage(side, side);
        var random = new Random(7);
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                var cx = (x % 64) - 32;
                var cy = (y % 64) - 32;
                image.Pixels[((long)y * side) + x] = (cx * cx) + (cy * cy) < 400 ? 0.3f + (0.05f * random.NextSingle()) : 0.7f + (0.05f * random.NextSingle());
            }
        }
        File.WriteAllBytes(path, ImageCodec.Encode(image, ImageFileFormat.Png));
    }

    static (long PeakBytes, double Seconds) Predict(string cli, string package, string folder, string work)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { cli, "predict", package, folder, "--out", Path.Combine(work, Path.GetFileName(folder) + ".csv") })
            start.ArgumentList.Add(arg);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        long peak = 0;
        // VmHWM only grows, so the last reading before the process ends is its peak.
        while (!process.WaitForExit(50))
            peak = Math.Max(peak, HighWaterMark(process.Id));
        clock.Stop();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"predict failed ({process.ExitCode}): {output.Result}{error.Result}");
        return (peak, clock.Elapsed.TotalSeconds);
    }

    static long HighWaterMark(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
