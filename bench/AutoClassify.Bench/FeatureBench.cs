using System.Diagnostics;
using System.Globalization;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Bench;

/// <summary>
/// Handcrafted-feature throughput (segmentation included, no masks given) on synthetic vesicle crops:
/// one thread against all cores, and OpenCV's own threading on against off. Goal: 1,000 crops/s at 64 px on 2 cores.
/// </summary>
internal sealed class FeatureBench : IBenchSuite
{
    public string Name => "features";

    public string Description => "handcrafted feature extraction, crops/s at 64 and 128 px, 1 thread vs all cores";

    public void Run(BenchOptions options)
    {
        var seconds = options.Quick ? 1.0 : 4.0;
        var cores = Environment.ProcessorCount;
        var openCvDefault = ImageOps.OpenCvThreads;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{cores} cores, OpenCV threads {openCvDefault}, {seconds:F0} s per measurement; cpu = process CPU time per crop"));
        Console.WriteLine($"{"crop",6} {"threads",8} {"opencv",7} {"crops/s",9} {"ms/crop",8} {"cpu µs",8} {"speed-up",9}");
        try
        {
            foreach (var size in new[] { 64, 128 })
            {
                var crops = MakeCrops(size, 256, seed: 2024);
                HandcraftedFeatures.ExtractAll(crops, threads: cores);  // warm-up: JIT, thread pool, buffers

                ImageOps.OpenCvThreads = openCvDefault;
                var single = Measure(crops, 1, seconds);
                Print(size, 1, openCvDefault, single, single);
                var all = Measure(crops, cores, seconds);
                Print(size, cores, openCvDefault, all, single);

                ImageOps.OpenCvThreads = 1;
                var singleSerial = Measure(crops, 1, seconds);
                Print(size, 1, 1, singleSerial, singleSerial);
                var allSerial = Measure(crops, cores, seconds);
                Print(size, cores, 1, allSerial, singleSerial);
            }
        }
        finally
        {
            ImageOps.OpenCvThreads = openCvDefault;
        }
        Console.WriteLine("goal: >= 1000 crops/s at 64 px on 2 cores");
    }

    static (double CropsPerSecond, double CpuMicroseconds) Measure(List<GrayImage> crops, int threads, double seconds)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long done = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            HandcraftedFeatures.ExtractAll(crops, threads: threads);
            done += crops.Count;
        }
        clock.Stop();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuStart).TotalMilliseconds * 1000 / done;
        return (done / clock.Elapsed.TotalSeconds, cpu);
    }

    static void Print(int size, int threads, int openCv, (double CropsPerSecond, double CpuMicroseconds) result,
        (double CropsPerSecond, double CpuMicroseconds) baseline)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{size,4}px {threads,8} {openCv,7} {result.CropsPerSecond,9:F0} {1000 / result.CropsPerSecond,8:F3} {result.CpuMicroseconds,8:F0} {result.CropsPerSecond / baseline.CropsPerSecond,8:F2}x"));
    }

    // Vesicle-like crops: a dark membrane ring around a lumen, random size and offset, Gaussian noise.
    static List<GrayImage> MakeCrops(int size, int count, int seed)
    {
        var random = new Random(seed);
        var crops = new List<GrayImage>(count);
        for (var k = 0; k < count; k++)
        {
            var radius = size * (0.2 + (0.15 * random.NextDouble()));
            var cx = (size / 2.0) + ((random.NextDouble() - 0.5) * size * 0.1);
            var cy = (size / 2.0) + ((random.NextDouble() - 0.5) * size * 0.1);
            var thickness = 2 + (size / 64.0 * random.NextDouble() * 2);
            var noise = 0.03 + (0.07 * random.NextDouble());
            var image = new GrayImage(size, size);
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    var r = Math.Sqrt(((x - cx) * (x - cx)) + ((y - cy) * (y - cy)));
                    var value = r <= radius && r > radius - thickness ? 0.25 : r <= radius ? 0.5 : 0.6;
                    var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                    image[x, y] = (float)Math.Clamp(value + (noise * gaussian), 0, 1);
                }
            }
            crops.Add(image);
        }
        return crops;
    }
}
