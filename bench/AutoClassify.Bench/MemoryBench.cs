using System.Diagnostics;
using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Preprocessing;

namespace AutoClassify.Bench;

/// <summary>
/// Peak resident memory of a whole-field benchmark (<c>--models svm-field</c>) against the number of generated
/// 1280 x 960 fields (250, 500, 1,000, 2,000; a tenth with --quick), in one process: the kernel's high-water mark is
/// reset before each size (<c>/proc/self/clear_refs</c>), sizes run smallest first. Issue 19's goal: under 4 GB at 2,000.
/// </summary>
internal sealed class MemoryBench : IBenchSuite
{
    const int Width = 1280, Height = 960;
    const double GoalGb = 4;

    public string Name => "memory";

    public string Description => "peak RSS of svm-field vs number of 1280x960 fields (250/500/1000/2000); goal < 4 GB at 2000";

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
            Console.WriteLine(F($"  {"fields",7} {"peak RSS GB",12} {"GB per 1000",12} {"float pixels GB",16} {"wall s",7}"));
            foreach (var size in sizes)
            {
                var data = Subset(pool, Path.Combine(work.FullName, F($"n{size}")), size);
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                ResetPeak();
                clock.Restart();
                BenchmarkRunner.Run(new BenchmarkOptions
                {
                    DatasetPath = data,
                    Folds = 2,
                    Seed = 1,
                    Models = ["svm-field"],
                    ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
                });
                var peak = PeakGb();
                var pixels = (double)size * Width * Height * sizeof(float) / (1L << 30);
                Console.WriteLine(F($"  {size,7} {peak,12:F2} {peak / size * 1000,12:F2} {pixels,16:F2} {clock.Elapsed.TotalSeconds,7:F0}"));
            }
            Console.WriteLine(F($"  goal: under {GoalGb:F0} GB at 2,000 fields; 'float pixels' is what holding every prepared field at once costs"));
        }
        finally
        {
            work.Delete(recursive: true);
        }
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

    static string Subset(string pool, string target, int count)
    {
        foreach (var cls in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(target, cls));
            foreach (var file in Directory.GetFiles(Path.Combine(pool, cls)).Order(StringComparer.Ordinal).Take(count / 2))
                File.CreateSymbolicLink(Path.Combine(target, cls, Path.GetFileName(file)), file);
        }
        return target;
    }

    // Writing 5 to clear_refs resets VmHWM, the peak resident set, to the current one (Linux 4.0 and later).
    static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    static double PeakGb()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kb / (1024.0 * 1024.0);
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
