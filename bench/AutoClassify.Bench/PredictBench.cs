using System.Diagnostics;
using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Packaging;

namespace AutoClassify.Bench;

/// <summary>
/// Streaming prediction with an SVM package (decode, segment or read the mask, features, LIBSVM, CSV row)
/// on the shipped 64 px liposome crops, reused cyclically: images/s, and resident memory after 10k, 50k and
/// 100k images. Goal: flat memory (the run holds one batch, never the whole input).
/// </summary>
internal sealed class PredictBench : IBenchSuite
{
    public string Name => "predict";

    public string Description => "SVM package prediction, images/s on 64 px crops and VmRSS after 10k/50k/100k streamed images";

    public void Run(BenchOptions options)
    {
        var dataset = Path.Combine(options.RepoRoot, "datasets", "liposomes");
        var work = Directory.CreateTempSubdirectory("ac-bench-predict-");
        try
        {
            var clock = Stopwatch.StartNew();
            using var trained = PackageTrainer.Train(new PackageTrainingOptions
            {
                DatasetPath = dataset,
                Seed = 42,
                ModelSettings = new ModelSettings { Grid = "coarse" },
                CommandLine = "bench predict",
            });
            var packagePath = Path.Combine(work.FullName, "model.acpkg");
            trained.WriteTo(packagePath);
            Console.WriteLine(Invariant($"trained on {trained.Manifest.Provenance.TrainingFiles.Count} files (images + masks) in {clock.Elapsed.TotalSeconds:F1} s; package {new FileInfo(packagePath).Length / 1024.0:F0} KiB"));

            // The same crops without their masks, so every prediction also segments (the slower, usual case).
            var masked = PackagePredictor.CollectInputs([dataset]);
            var bare = Path.Combine(work.FullName, "bare");
            Directory.CreateDirectory(bare);
            var unmasked = masked.Take(64).Select(f =>
            {
                var copy = Path.Combine(bare, Path.GetFileName(f));
                File.Copy(f, copy);
                return copy;
            }).ToList();

            using var package = ModelPackage.Open(packagePath);
            var cores = Environment.ProcessorCount;
            var warm = options.Quick ? 500 : 2000;
            Console.WriteLine($"{cores} cores; images/s over {warm} images after a warm-up, CSV written to a temp file");
            Console.WriteLine($"{"input",-10} {"threads",8} {"images/s",9} {"ms/image",9}");
            foreach (var (name, files) in new[] { ("masks", masked), ("segmented", unmasked) })
            {
                foreach (var threads in new[] { 1, cores }.Distinct())
                {
                    Stream(package, files, 200, threads, work.FullName, null);
                    var rate = Stream(package, files, warm, threads, work.FullName, null);
                    Console.WriteLine(Invariant($"{name,-10} {threads,8} {rate,9:F0} {1000 / rate,9:F3}"));
                }
            }

            long[] marks = options.Quick ? [2_000, 5_000, 10_000] : [10_000, 50_000, 100_000];
            Console.WriteLine(Invariant($"memory: one stream of {marks[^1]} segmented images, {cores} threads, batch 256"));
            Console.WriteLine($"{"images",8} {"VmRSS MiB",10} {"managed MiB",12} {"images/s",9}");
            Console.WriteLine(Invariant($"{0,8} {TensorBench.ResidentMiB(),10:F1} {GC.GetTotalMemory(false) / 1048576.0,12:F1} {"",9}"));
            var markClock = Stopwatch.StartNew();
            long last = 0;
            Stream(package, unmasked, marks[^1], cores, work.FullName, done =>
            {
                if (!marks.Contains(done))
                    return;
                var rate = (done - last) / markClock.Elapsed.TotalSeconds;
                Console.WriteLine(Invariant($"{done,8} {TensorBench.ResidentMiB(),10:F1} {GC.GetTotalMemory(false) / 1048576.0,12:F1} {rate,9:F0}"));
                last = done;
                markClock.Restart();
            });
            Console.WriteLine("goal: VmRSS flat from 10k to 100k images");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Streams <paramref name="count"/> images cycling over <paramref name="files"/> into a CSV; returns images/s.</summary>
    static double Stream(LoadedModelPackage package, IReadOnlyList<string> files, long count, int threads, string work, Action<long>? onDone)
    {
        var clock = Stopwatch.StartNew();
        long done = 0;
        var summary = PackagePredictor.PredictToCsv(package, Cycle(files, count), Path.Combine(work, "predictions.csv"),
            new PredictionOptions { Threads = threads }, _ => onDone?.Invoke(++done));
        if (summary.Failed > 0)
            throw new InvalidOperationException($"{summary.Failed} images failed");
        return summary.Total / clock.Elapsed.TotalSeconds;
    }

    static IEnumerable<string> Cycle(IReadOnlyList<string> files, long count)
    {
        for (long i = 0; i < count; i++)
            yield return files[(int)(i % files.Count)];
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
