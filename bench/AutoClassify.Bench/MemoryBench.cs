using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Preprocessing;

namespace AutoClassify.Bench;

/// <summary>
/// Peak resident memory of a whole-field benchmark (<c>--models svm-field</c>) against the number of generated
/// 1280 x 960 fields (250, 500, 1,000, 2,000; a tenth with --quick), in one process: the kernel's high-water mark is
/// reset before each run (<c>/proc/self/clear_refs</c>), sizes run smallest first. Each size runs twice: the streamed path
/// (no prepared pixels kept) and the old one (every field held as float), side by side; <c>--old-up-to=N</c> skips the old
/// path above N fields. Issue 19's goal: under 4 GB at 2,000.
/// </summary>
internal sealed class MemoryBench : IBenchSuite
{
    const int Width = 1280, Height = 960;
    const double GoalGb = 4;

    public string Name => "memory";

    public string Description => "peak RSS of svm-field vs number of 1280x960 fields (250/500/1000/2000), old float path vs streamed; goal < 4 GB at 2000";

    public void Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int[] sizes = options.Quick ? [25, 50, 100, 200] : [250, 500, 1000, 2000];
        var work = Directory.CreateTempSubdirectory("ac-bench-memory-");
        try
        {
            var clock = Stopwatch.StartNew();
            var pool = Path.Combine(work.FullName, "pool");
            Generate(pool, sizes[^1]);
            Console.WriteLine(F($"  generated {sizes[^1]} JPEG fields of {Width}x{Height} in 2 classes in {clock.Elapsed.TotalSeconds:F0} s (not counted)"));
            Console.WriteLine(F($"  {"fields",7} {"old peak GB",12} {"new peak GB",12} {"new/old",8} {"start GB",9} {"float pixels GB",16} {"old s",6} {"new s",6}"));
            // --old-up-to=N runs the old float path only up to N fields: it holds every field, which at 2,000 is 9 GB.
            var oldUpTo = options.Settings.TryGetValue("old-up-to", out var limit) ? int.Parse(limit, CultureInfo.InvariantCulture) : int.MaxValue;
            foreach (var size in sizes)
            {
                var data = Subset(pool, Path.Combine(work.FullName, F($"n{size}")), size);
                // The new path first, so the old path's heap cannot raise its starting point.
                var (start, newPeak, newSeconds, streamed) = Measure(data, pixels: null);
                var pixels = (double)size * Width * Height * sizeof(float) / (1L << 30);
                if (size > oldUpTo)
                {
                    Console.WriteLine(F($"  {size,7} {"-",12} {newPeak,12:F2} {"-",8} {start,9:F2} {pixels,16:F2} {"-",6} {newSeconds,6:F0}"));
                    continue;
                }
                var (_, oldPeak, oldSeconds, eager) = Measure(data, PixelRetention.Eager);
                if (!SameProbabilities(eager, streamed))
                    throw new InvalidOperationException(F($"at {size} fields the streamed run's probabilities differ from the float run's"));
                Console.WriteLine(F($"  {size,7} {oldPeak,12:F2} {newPeak,12:F2} {newPeak / oldPeak,8:F2} {start,9:F2} {pixels,16:F2} {oldSeconds,6:F0} {newSeconds,6:F0}"));
            }
            Console.WriteLine(F($"  goal: under {GoalGb:F0} GB at 2,000 fields. old = every prepared field held as float at once (PixelRetention.Eager);"));
            Console.WriteLine("  new = each field measured as it is prepared, no pixels kept. Both runs' probabilities are checked identical.");
            Console.WriteLine(F($"  an image model (CNN, tiles) keeps its fields packed instead: {HeldBytesPerField(pool, PixelRetention.Compact) / 1e6:F2} MB per field vs {HeldBytesPerField(pool, PixelRetention.Eager) / 1e6:F2} MB as float."));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    static (double StartGb, double PeakGb, double Seconds, BenchmarkResult Result) Measure(string data, PixelRetention? pixels)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var start = ResidentGb();
        ResetPeak();
        var clock = Stopwatch.StartNew();
        var result = BenchmarkRunner.Run(new BenchmarkOptions
        {
            DatasetPath = data,
            Folds = 2,
            Seed = 1,
            Models = ["svm-field"],
            Pixels = pixels,
            ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
        });
        return (start, PeakGb(), clock.Elapsed.TotalSeconds, result);
    }

    static bool SameProbabilities(BenchmarkResult a, BenchmarkResult b) =>
        a.Models.Zip(b.Models).All(m => m.First.Predictions.Zip(m.Second.Predictions).All(p => p.First.Probabilities.SequenceEqual(p.Second.Probabilities)));

    // What holding the pool's first 20 prepared fields costs per field.
    static double HeldBytesPerField(string pool, PixelRetention retention)
    {
        var subset = Subset(pool, Path.Combine(Path.GetDirectoryName(pool)!, "held-" + retention), 20);
        var dataset = DatasetLoader.Load(subset, new DatasetOptions { Folds = 2 });
        return PreparedImageStore.Prepare(dataset, default, BannerMode.Crop, retention, 0).HeldPixelBytes / (double)dataset.Items.Count;
    }

    // Four 640 x 480 fields of disks side by side; class b's fields are mirrored, as in the tiles bench.
    static void Generate(string pool, int count)
    {
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var image = new GrayImage(Width, Height);
            for (var q = 0; q < 4; q++)
            {
                var part = SegmentBench.MakeField(10_000 + 4 * i + q);
                var (ox, oy) = (q % 2 * part.Width, q / 2 * part.Height);
                for (var y = 0; y < part.Height; y++)
                {
                    for (var x = 0; x < part.Width; x++)
                        image.Pixels[(oy + y) * Width + ox + (i % 2 == 1 ? part.Width - 1 - x : x)] = part.Pixels[y * part.Width + x];
                }
            }
            var dir = Path.Combine(pool, i % 2 == 0 ? "a" : "b");
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, F($"field_{i:D5}.jpg")), ImageCodec.Encode(image, ImageFileFormat.Jpeg));
        });
    }

    // Copies, not links: the loader never follows a link out of the data tree (issue 15).
    static string Subset(string pool, string target, int count)
    {
        foreach (var cls in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(target, cls));
            foreach (var file in Directory.GetFiles(Path.Combine(pool, cls)).Order(StringComparer.Ordinal).Take(count / 2))
                File.Copy(file, Path.Combine(target, cls, Path.GetFileName(file)));
        }
        return target;
    }

    // Writing 5 to clear_refs resets VmHWM, the peak resident set, to the current one (Linux 4.0 and later).
    static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    static double PeakGb() => StatusGb("VmHWM:");

    static double ResidentGb() => StatusGb("VmRSS:");

    static double StatusGb(string key)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        var kb = long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kb / (1024.0 * 1024.0);
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
