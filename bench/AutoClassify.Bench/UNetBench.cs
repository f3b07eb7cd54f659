using System.Diagnostics;
using System.Globalization;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Sliding-window prediction speed of the default U-Net (depth 3, width 16, 256 px tiles overlapping by 64) on a
/// 1024 × 768 field, in megapixels per second, for the semantic scheme and for the instance scheme with its watershed.
/// The weights are freshly initialised: the cost of a forward pass does not depend on them. Besides wall time it prints
/// the process's CPU seconds per image: on a shared machine that figure, halved for 2 threads, bounds what a quiet one gives.
/// </summary>
internal sealed class UNetBench : IBenchSuite
{
    const int Width = 1024, Height = 768;

    public string Name => "unet";

    public string Description => "U-Net sliding-window prediction (megapixels/s) at 1024x768, default model, 2 threads";

    public void Run(BenchOptions options)
    {
        var repeats = options.Quick ? 2 : 5;
        var random = new Random(1);
        var pixels = new float[Width * Height];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (float)random.NextDouble();
        var image = new GrayImage(Width, Height, pixels);
        Console.WriteLine($"{"scheme",-10} {"threads",8} {"s/image",9} {"MP/s",8} {"cpu s/image",12}");
        foreach (var (scheme, channels) in new[] { (OutputScheme.Semantic, (IReadOnlyList<string>)["background", "foreground"]), (OutputScheme.Instance, SegmentationTargets.InstanceChannels) })
        {
            Torch.ManualSeed(1);
            var defaults = new UNetOptions();
            var info = new UNetSegmenterInfo
            {
                Model = "unet",
                Scheme = scheme,
                ChannelNames = channels,
                ClassNames = ["background", "foreground"],
                Depth = defaults.Depth,
                BaseWidth = defaults.BaseWidth,
                Residual = false,
            };
            using var segmenter = new UNetSegmenter(new UNet(1, channels.Count, defaults.Depth, defaults.BaseWidth), info, threads: 2);
            segmenter.Predict(image);
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (var r = 0; r < repeats; r++)
                segmenter.Predict(image);
            var seconds = clock.Elapsed.TotalSeconds / repeats;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / repeats;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scheme.ToString().ToLowerInvariant(),-10} {2,8} {seconds,9:F3} {Width * Height / 1e6 / seconds,8:F2} {cpu,12:F3}"));
        }
    }
}
