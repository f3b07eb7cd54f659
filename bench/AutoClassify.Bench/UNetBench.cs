using System.Diagnostics;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Sliding-window prediction speed of the default U-Net (depth 3, width 16) on a 1024 × 768 field, in megapixels per
/// second, for the semantic scheme and for the instance scheme with its watershed, through the tiling before the
/// planner (tiles of at most 512 px, two a pass) and through the planned tiles (one pass here), each side by side with
/// bench/native/unet_predict: the same network in plain libtorch C++ (InferenceMode, channels-last, batch norm folded,
/// shuffled upsampling, as ours runs) on the same tiles with a softmax and nothing else. Where the CPU has native
/// bfloat16, a third row per scheme runs the planned tiles in bfloat16 (segment --precision bf16) beside the plain
/// loop in bfloat16. The ratios (ours / plain, and between rows) are what the suite is for: on a shared machine the
/// absolute figures are noise. The weights are freshly initialised: a forward pass costs the same whatever they are.
/// Each row alternates ours and the plain loop for <c>--rounds=N</c> rounds (3; 1 with --quick), each side keeping
/// its fastest pass. Besides wall time it prints the process's CPU seconds per image (first round), for the instance
/// rows the milliseconds of the post-processing within s/image, and its peak RSS after each row (the old tiling runs first).
/// </summary>
internal sealed class UNetBench : IBenchSuite
{
    const int Width = 1024, Height = 768;

    public string Name => "unet";

    public string Description => "U-Net sliding-window prediction (megapixels/s) at 1024x768, default model, 2 threads";

    public void Run(BenchOptions options)
    {
        options.RequireKnownSettings(Name, ["rounds"]);
        var repeats = options.Quick ? 2 : 5;
        var rounds = options.Int("rounds", options.Quick ? 1 : 3);
        if (rounds < 1)
            throw new ArgumentException("--rounds must be at least 1.");
        var random = new Random(1);
        var pixels = new float[Width * Height];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (float)random.NextDouble();
        var image = new GrayImage(Width, Height, pixels);
        var native = CnnBench.BuildNative(options.RepoRoot) is { } built ? Path.Combine(Path.GetDirectoryName(built)!, "unet_predict") : null;
        if (native is null || !File.Exists(native))
            Console.WriteLine("  plain libtorch C++ loop skipped (bench/native/build.sh failed; needs cmake, g++ and libtorch-dev)");
        Console.WriteLine($"  load average before: {LoadAverage.Now()} (absolute figures on a loaded machine are noise; the ratios within a row and between tilings hold better)");
        Console.WriteLine($"{"scheme",-10} {"tiling",-8} {"prec",-5} {"plan",-40} {"s/image",9} {"MP/s",8} {"cpu s/image",12} {"plain MP/s",11} {"ratio",6} {"post ms",8} {"peak RSS MB",12}");
        foreach (var (scheme, channels) in new[] { (OutputScheme.Semantic, (IReadOnlyList<string>)["background", "foreground"]), (OutputScheme.Instance, SegmentationTargets.InstanceChannels) })
        {
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
            // The tiling before the planner (512 px tiles, two a pass) first, so the peak RSS it leaves is its own.
            // Then the planned tiles in float32 and, where the CPU has native bfloat16, in bfloat16 (segment --precision bf16).
            var tilings = new List<(string, UNetSegmenterInfo, InferencePrecision)>
            {
                ("512 px", info with { TileSize = 512, PredictionPixels = 2 * 512 * 512 }, InferencePrecision.Float32),
                ("planned", info, InferencePrecision.Float32),
            };
            if (InferencePrecisions.NativeBFloat16)
                tilings.Add(("planned", info, InferencePrecision.BFloat16));
            else if (scheme == OutputScheme.Semantic)
                Console.WriteLine("  bf16 rows skipped: this CPU has no native bfloat16 (avx512_bf16 or amx_bf16)");
            foreach (var (tiling, tiled, precision) in tilings)
            {
                Torch.ManualSeed(1);
                using var segmenter = new UNetSegmenter(new UNet(1, channels.Count, defaults.Depth, defaults.BaseWidth), tiled, threads: 2) { Precision = precision };
                var plan = segmenter.TilePlan(Width, Height, tiled.TileSize, tiled.TileOverlap);
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
                var post = scheme == OutputScheme.Instance ? PostProcessingMilliseconds(segmenter, image, repeats) : double.NaN;
                var plain = native is null ? 0 : PlainLoop(native, segmenter, plan, channels.Count, repeats, precision);
                // Further rounds alternate ours and the plain loop, each keeping its fastest: a burst of load on the
                // machine then slows one round of one side, not the ratio.
                for (var round = 1; round < rounds; round++)
                {
                    for (var r = 0; r < repeats; r++)
                    {
                        var clock = Stopwatch.StartNew();
                        segmenter.Predict(image);
                        seconds = Math.Min(seconds, clock.Elapsed.TotalSeconds);
                    }
                    if (native is not null)
                        plain = Math.Max(plain, PlainLoop(native, segmenter, plan, channels.Count, repeats, precision));
                }
                var ours = Width * Height / 1e6 / seconds;
                var planText = string.Create(CultureInfo.InvariantCulture, $"{plan.TileCount} x {plan.TileWidth}x{plan.TileHeight}, batch {plan.BatchSize}, {plan.ComputedPixels / 1e6:F2} MP");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{scheme.ToString().ToLowerInvariant(),-10} {tiling,-8} {precision.Name(),-5} {planText,-40} {seconds,9:F3} {ours,8:F2} {cpu,12:F3} {plain,11:F2} {(plain > 0 ? ours / plain : double.NaN),6:F2} {post,8:F1} {process.PeakWorkingSet64 / 1048576.0,12:F0}"));
            }
        }
        Console.WriteLine($"  load average after: {LoadAverage.Now()}");
    }

    // The instance rows' share that the plain loop does not run: the post-processing (seeds, watershed) of this row's
    // probabilities of the field, fastest of the repeats. Its cost depends on the objects in the maps, which freshly
    // initialised weights do not resemble a trained network's, so it is the share of this row, not of a real field.
    static double PostProcessingMilliseconds(UNetSegmenter segmenter, GrayImage image, int repeats)
    {
        var probabilities = segmenter.Probabilities(image);
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            segmenter.PostProcessing.Apply(probabilities, image.Width, image.Height);
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    // The same tiles our predictor runs, from its plan, and the same evaluation form: batch norm folded, upsampling shuffled.
    static double PlainLoop(string program, UNetSegmenter segmenter, UNetTilePlan plan, int channels, int repeats, InferencePrecision precision)
    {
        var info = segmenter.Info;
        var bf16 = precision == InferencePrecision.BFloat16 ? 1 : 0;
        var arguments = string.Create(CultureInfo.InvariantCulture,
            $"--depth {info.Depth} --width {info.BaseWidth} --classes {channels} --tile-width {plan.TileWidth} --tile-height {plan.TileHeight} --tiles {plan.TileCount} --batch {plan.BatchSize} --threads 2 --repeats {repeats} --field-megapixels {Width * Height / 1e6} --fold-bn 1 --shuffle-up 1 --bf16 {bf16}");
        return CnnBench.RunReference(program, arguments, "megapixels_per_second ");
    }
}
