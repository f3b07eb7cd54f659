using System.Diagnostics;
using System.Globalization;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Segmentation;

namespace AutoClassify.Bench;

/// <summary>
/// Particle segmentation and texture-feature throughput on generated 640x480 fields of bright, partly touching
/// disks (radius 5..14 px, uneven illumination, noise): fields/s and particles/s, 1 thread vs all cores.
/// </summary>
internal sealed class SegmentBench : IBenchSuite
{
    const int Width = 640, Height = 480;

    public string Name => "segment";

    public string Description => "particle segmentation (fields/s, particles/s) and GLCM/LBP texture (fields/s) at 640x480";

    public void Run(BenchOptions options)
    {
        var seconds = options.Quick ? 1.0 : 4.0;
        var cores = Environment.ProcessorCount;
        var fields = Enumerable.Range(0, 8).Select(i => MakeField(1000 + i)).ToList();
        var segmenter = new ParticleSegmenter();
        var perField = fields.Average(f => segmenter.Segment(f).Particles.Count);  // also the warm-up
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{cores} cores, OpenCV threads {ImageOps.OpenCvThreads}, {seconds:F0} s per measurement, {fields.Count} fields of {Width}x{Height}, {perField:F0} particles per field"));
        Console.WriteLine($"{"stage",-22} {"threads",8} {"fields/s",9} {"ms/field",9} {"particles/s",12}");

        foreach (var threads in cores > 1 ? new[] { 1, cores } : [1])
        {
            var rate = Measure(fields, threads, seconds, f => segmenter.Segment(f));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"segmentation",-22} {threads,8} {rate,9:F1} {1000 / rate,9:F2} {rate * perField,12:F0}"));
        }
        foreach (var threads in cores > 1 ? new[] { 1, cores } : [1])
        {
            var rate = Measure(fields, threads, seconds, f => TextureFeatures.Extract(f));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"texture (GLCM+LBP)",-22} {threads,8} {rate,9:F1} {1000 / rate,9:F2} {"",12}"));
        }
        foreach (var threads in cores > 1 ? new[] { 1, cores } : [1])
        {
            var rate = Measure(fields, threads, seconds, f => ParticleFeatures.Extract(f, segmenter));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"particle features",-22} {threads,8} {rate,9:F1} {1000 / rate,9:F2} {rate * perField,12:F0}"));
        }
    }

    static double Measure(List<GrayImage> fields, int threads, double seconds, Action<GrayImage> work)
    {
        var clock = Stopwatch.StartNew();
        long done = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            Parallel.ForEach(fields, parallel, work);
            done += fields.Count;
        }
        return done / clock.Elapsed.TotalSeconds;
    }

    // Disks dropped at random (overlaps allowed up to a third of the smaller radius), on a tilted background.
    internal static GrayImage MakeField(int seed)
    {
        var random = new Random(seed);
        var image = new GrayImage(Width, Height);
        var disks = new List<(double X, double Y, double R)>();
        for (var attempt = 0; attempt < 4000 && disks.Count < 250; attempt++)
        {
            var r = 5 + (9 * random.NextDouble());
            var x = random.NextDouble() * Width;
            var y = random.NextDouble() * Height;
            if (disks.All(d => Math.Sqrt(((d.X - x) * (d.X - x)) + ((d.Y - y) * (d.Y - y))) > d.R + r - (Math.Min(d.R, r) / 3)))
                disks.Add((x, y, r));
        }
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var value = 0.2 + (0.15 * x / Width);
                foreach (var d in disks)
                {
                    if (Math.Abs(d.X - x) <= d.R && Math.Abs(d.Y - y) <= d.R && ((d.X - x) * (d.X - x)) + ((d.Y - y) * (d.Y - y)) <= d.R * d.R)
                    {
                        value += 0.45;
                        break;
                    }
                }
                image[x, y] = (float)Math.Clamp(value + ((random.NextDouble() - 0.5) * 0.1), 0, 1);
            }
        }
        return image;
    }
}
