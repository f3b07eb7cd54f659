using System.Diagnostics;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;

namespace AutoClassify.Bench;

/// <summary>
/// Peak resident memory (VmHWM) of <c>autoclassify predict</c> on a folder of 32 liposome crops, and on the same folder
/// with three large images added, one PNG, one TIFF and one JPEG (10,000² px each; 5,000² with --quick), for an SVM
/// package and a small whole-image LipNet-4 package, each as trained (huge images reduced while they are decoded,
/// <c>reduce_above_pixels</c>) and with the rule removed (full resolution, as before it existed). Each run is a fresh
/// process, so its high-water mark is its own. The second table (<see cref="RunSteps"/>) covers the other steps that read
/// huge images: <c>features</c>, BMP and MRC decoding, <c>--resample-nm</c> and the scale survey's banner read.
/// </summary>
internal sealed partial class HugeImageBench : IBenchSuite
{
    public string Name => "huge-image";

    public string Description => "peak RSS of predict on a folder with and without huge (allowed) PNG, TIFF and JPEG images, old (full resolution) vs new (reduced)";

    public void Run(BenchOptions options)
    {
        if (options.Settings.TryGetValue("child", out var child))
        {
            RunChild(child, options.Settings["path"]);
            return;
        }
        var dataset = Path.Combine(options.RepoRoot, "datasets", "liposomes");
        var work = Directory.CreateTempSubdirectory("ac-bench-huge-");
        try
        {
            var small = Path.Combine(work.FullName, "small");
            Directory.CreateDirectory(small);
            foreach (var file in PackagePredictor.CollectInputs([dataset]).Where(f => f.EndsWith(".png", StringComparison.Ordinal)).Take(32))
                File.Copy(file, Path.Combine(small, Path.GetFileName(file)));
            var huge = Path.Combine(work.FullName, "huge");
            Directory.CreateDirectory(huge);
            foreach (var file in Directory.GetFiles(small))
                File.Copy(file, Path.Combine(huge, Path.GetFileName(file)));
            var side = options.Quick ? 5_000 : 10_000;
            WriteFields(huge, side);
            var factor = ImageReduction.Factor(side, side, ImageReduction.DefaultReduceAbovePixels);
            Console.WriteLine(Invariant($"huge.png, huge.tif, huge.jpg: {side}x{side} = {(long)side * side / 1e6:F0} Mpx each (reduced by {factor} under reduce_above_pixels {ImageReduction.DefaultReduceAbovePixels:N0})"));
            foreach (var file in Directory.GetFiles(huge, "huge.*").Order(StringComparer.Ordinal))
                Console.WriteLine(Invariant($"  {Path.GetFileName(file)}: {new FileInfo(file).Length / 1e6:F1} MB on disk"));

            var cli = Cli(options);
            RunSteps(cli, small, side, work.FullName);
            // --steps=only: the second table alone, without training the two packages.
            if (options.Settings.TryGetValue("steps", out var steps) && steps == "only")
                return;

            using var svm = PackageTrainer.Train(new PackageTrainingOptions
            {
                DatasetPath = dataset,
                Seed = 42,
                ModelSettings = new ModelSettings { Grid = "coarse" },
                CommandLine = "bench huge-image",
            });
            using var cnn = PackageTrainer.Train(new PackageTrainingOptions
            {
                DatasetPath = dataset,
                Seed = 42,
                Model = "lipnet4",
                ModelSettings = new ModelSettings { Cnn = new CnnOptions { InputSize = 32, MaxEpochs = 2, Patience = 2 } },
                CommandLine = "bench huge-image",
            });
            Console.WriteLine($"{"package",-8} {"rule",-20} {"small MiB",10} {"+3 huge MiB",12} {"bytes/huge px",14} {"small s",8} {"+huge s",8}");
            foreach (var (model, trained) in new[] { ("svm", svm), ("lipnet4", cnn) })
            {
                // Old: the same package with the rule removed, so every image is decoded and measured at full resolution.
                var old = Path.Combine(work.FullName, model + "-full.acpkg");
                ModelPackage.Write(old, trained.Manifest with { Preprocessing = trained.Manifest.Preprocessing with { ReduceAbovePixels = null } }, trained.Model);
                var current = Path.Combine(work.FullName, model + ".acpkg");
                trained.WriteTo(current);
                foreach (var (rule, path) in new[] { ("old: full resolution", old), ("new: reduced", current) })
                {
                    var (smallPeak, smallSeconds) = Predict(cli, path, small, work.FullName);
                    var (hugePeak, hugeSeconds) = Predict(cli, path, huge, work.FullName);
                    Console.WriteLine(Invariant(
                        $"{model,-8} {rule,-20} {smallPeak / 1048576.0,10:F0} {hugePeak / 1048576.0,12:F0} {(hugePeak - smallPeak) / (3.0 * side * side),14:F1} {smallSeconds,8:F1} {hugeSeconds,8:F1}"));
                }
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // The same field as PNG, TIFF (8-bit, OpenCV's strips) and JPEG.
    static void WriteFields(string folder, int side)
    {
        var image = Field(side);
        File.WriteAllBytes(Path.Combine(folder, "huge.png"), ImageCodec.Encode(image, ImageFileFormat.Png));
        File.WriteAllBytes(Path.Combine(folder, "huge.tif"), ImageCodec.Encode(image, ImageFileFormat.Tiff));
        File.WriteAllBytes(Path.Combine(folder, "huge.jpg"), ImageCodec.Encode(image, ImageFileFormat.Jpeg, jpegQuality: 90));
    }

    // Dark disks every 64 px on a lighter noisy ground: something to segment and measure, like a real field.
    static GrayImage Field(int side)
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
        return image;
    }

    static string Cli(BenchOptions options)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "autoclassify.dll");
        return File.Exists(cli) ? cli : Path.Combine(options.RepoRoot, "src", "AutoClassify.Cli", "bin", "Release", "net10.0", "autoclassify.dll");
    }

    static (long PeakBytes, double Seconds) Predict(string cli, string package, string folder, string work) =>
        Peak([cli, "predict", package, folder, "--out", Path.Combine(work, Path.GetFileName(folder) + ".csv")]);

    // Peak RSS and wall time of `dotnet args...`, a fresh process.
    static (long PeakBytes, double Seconds) Peak(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
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
            throw new InvalidOperationException($"{string.Join(' ', start.ArgumentList.Skip(1).Take(1))} failed ({process.ExitCode}): {output.Result}{error.Result}");
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
