using System.Diagnostics;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Bench;

/// <summary>
/// Data-banner detection throughput on 640x480 fields, one thread: banner-free noisy fields, fields with a
/// synthetic 32-row bar, and the real ncm-sem-6 images when ../shared is present (decoded beforehand).
/// </summary>
internal sealed class BannerBench : IBenchSuite
{
    public string Name => "banner";

    public string Description => "data-banner detection, images/s on 640x480 fields (1 thread)";

    public void Run(BenchOptions options)
    {
        var seconds = options.Quick ? 1.0 : 3.0;
        Console.WriteLine($"{"images",-28} {"count",6} {"found",6} {"images/s",9} {"ms/image",9}");
        Measure("banner-free noisy fields", MakeFields(32, withBanner: false, seed: 1), seconds);
        Measure("fields with a 32-row bar", MakeFields(32, withBanner: true, seed: 2), seconds);
        var sem = Path.Combine(options.SharedRoot, "datasets", "ncm-sem-6");
        if (Directory.Exists(sem))
        {
            var files = Directory.GetFiles(sem, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(options.Quick ? 32 : 128);
            Measure("ncm-sem-6 (decoded)", files.Select(ImageCodec.Decode).ToList(), seconds);
        }
        else
        {
            Console.WriteLine($"(no {sem}: real SEM images skipped)");
        }
    }

    static void Measure(string label, List<GrayImage> images, double seconds)
    {
        var found = images.Count(i => BannerDetector.Detect(i) is not null);  // also the warm-up
        var clock = Stopwatch.StartNew();
        long done = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            foreach (var image in images)
                BannerDetector.Detect(image);
            done += images.Count;
        }
        var perSecond = done / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-28} {images.Count,6} {found,6} {perSecond,9:F0} {1000 / perSecond,9:F3}"));
    }

    // Textured noisy fields; with a banner, the bottom 32 rows are a black bar with white glyph rows and a scale bar.
    static List<GrayImage> MakeFields(int count, bool withBanner, int seed)
    {
        const int width = 640, height = 480, bar = 32;
        var random = new Random(seed);
        var images = new List<GrayImage>(count);
        for (var k = 0; k < count; k++)
        {
            var image = new GrayImage(width, height);
            var phase = random.NextDouble() * 6;
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = 0.45 + (0.15 * Math.Sin((x * 0.07) + phase) * Math.Cos(y * 0.05)) + ((random.NextDouble() - 0.5) * 0.2);
                    image[x, y] = (float)Math.Clamp(v, 0, 1);
                }
            }
            if (withBanner)
            {
                for (var y = height - bar; y < height; y++)
                {
                    for (var x = 0; x < width; x++)
                    {
                        var glyph = y > height - bar + 4 && y < height - 4 && x < 360 && x % 9 < 2 && (x / 40) % 2 == 0;
                        var scale = (y == height - bar / 2 || y == height - (bar / 2) + 1) && x > 420 && x < 610;
                        image[x, y] = glyph || scale ? 0.95f : 0.01f;
                    }
                }
            }
            images.Add(image);
        }
        return images;
    }
}
