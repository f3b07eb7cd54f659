using System.Diagnostics;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Sliding-window prediction speed of the default U-Net (depth 3, width 16, default tiles) on a 1024 × 768 field, in
/// megapixels per second, for the semantic scheme and for the instance scheme with its watershed, side by side with
/// bench/native/unet_predict: the same network in plain libtorch C++ (InferenceMode, channels-last) run on the same
/// tiles with a softmax and nothing else. The ratio (ours / plain) is what the suite is for: on a shared machine the
/// absolute figures are noise. The weights are freshly initialised: a forward pass costs the same whatever they are.
/// Besides wall time it prints the process's CPU seconds per image.
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
        var native = CnnBench.BuildNative(options.RepoRoot) is { } built ? Path.Combine(Path.GetDirectoryName(built)!, "unet_predict") : null;
        if (native is null || !File.Exists(native))
            Console.WriteLine("  plain libtorch C++ loop skipped (bench/native/build.sh failed; needs cmake, g++ and libtorch-dev)");
        Console.WriteLine($"{"scheme",-10} {"threads",8} {"s/image",9} {"MP/s",8} {"cpu s/image",12} {"plain MP/s",11} {"ratio",6}");
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
            // The fastest repeat, as the plain loop reports its fastest: the least disturbed by other processes.
            var seconds = double.MaxValue;
            for (var r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                segmenter.Predict(image);
                seconds = Math.Min(seconds, clock.Elapsed.TotalSeconds);
            }
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / repeats;
            var ours = Width * Height / 1e6 / seconds;
            var plain = native is null ? 0 : PlainLoop(native, segmenter, channels.Count, repeats);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scheme.ToString().ToLowerInvariant(),-10} {2,8} {seconds,9:F3} {ours,8:F2} {cpu,12:F3} {plain,11:F2} {(plain > 0 ? ours / plain : double.NaN),6:F2}"));
        }
    }

    // The same tiles our predictor cuts from the field: sides and counts from its layout.
    static double PlainLoop(string program, UNetSegmenter segmenter, int channels, int repeats)
    {
        var info = segmenter.Info;
        var multiple = segmenter.Network.SizeMultiple;
        var tile = info.TileSize / multiple * multiple;
        var overlap = Math.Min(info.TileOverlap, tile / 2);
        var (tileWidth, xs) = UNetSegmenter.Layout(Width, tile, overlap, multiple);
        var (tileHeight, ys) = UNetSegmenter.Layout(Height, tile, overlap, multiple);
        var arguments = string.Create(CultureInfo.InvariantCulture,
            $"--depth {info.Depth} --width {info.BaseWidth} --classes {channels} --tile-width {tileWidth} --tile-height {tileHeight} --tiles {xs.Length * ys.Length} --batch {info.PredictionBatchSize} --threads 2 --repeats {repeats} --field-megapixels {Width * Height / 1e6}");
        return CnnBench.RunReference(program, arguments, "megapixels_per_second ");
    }
}
