using System.Globalization;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Models.Segmenters;
using AutoClassify.Reporting;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Issue #11's figures: the segment-benchmark runner, in process, on ../shared/datasets/emps-particles (instance
/// masks) and ../shared/datasets/isbi2012-em (membrane masks, 30 slices of one stack: contiguous folds), 5 folds,
/// classical, pixel-forest and unet. Per contender it prints instance F1 at IoU 0.5, the median diameter error,
/// foreground Dice, V_rand and wall time beside the issue's targets, and writes each run's results.json, CSVs and
/// report. Settings as --key=value: unet-width, unet-depth (the default network otherwise), input-long-side (the
/// U-Net's working resolution, as segment-benchmark's --input-long-side; 0 or absent: native), object-size and
/// scale-jitter (segment-benchmark's --object-size and --scale-jitter, the jitter in percent), train-precision
/// (segment-benchmark's --train-precision, fp32 or bf16), epochs and patience (the U-Net's most epochs and early
/// stopping patience), boundary-width (the instance scheme's boundary band in working pixels, segment-benchmark's
/// --boundary-width), object-measure (diameter or thickness, segment-benchmark's --object-measure), size-estimate (1:
/// segment-benchmark's --size-estimate, the size CNN beside each fold's U-Net; 0, the default, without), flips (segment-benchmark's --flips, the U-Net's test-time flips on the test images: 1, 2 or 4),
/// models, datasets
/// (emps,isbi), folds, threads (2: the targets are for 2 cores), seed and out. --quick runs 2 folds on 4 images with
/// 2 short epochs: a smoke test of the wiring, not a figure. Example, the emps figure at a 256-px long side:
/// <c>bench segfigures --datasets=emps --unet-width=8 --input-long-side=256</c>.
/// </summary>
internal sealed class SegFiguresBench : IBenchSuite
{
    const double TargetF1 = 0.80, TargetDiameterError = 0.10;
    static readonly TimeSpan TargetEmpsWall = TimeSpan.FromMinutes(60);

    static readonly string[] Keys = ["unet-width", "unet-depth", "input-long-side", "object-size", "scale-jitter", "train-precision", "epochs", "patience", "boundary-width", "object-measure", "size-estimate", "flips", "models", "datasets", "folds", "threads", "seed", "out"];

    public string Name => "segfigures";

    public string Description => "issue #11 figures: segment-benchmark on emps-particles and isbi2012-em, 5 folds (slow; --quick is a smoke test)";

    public void Run(BenchOptions options)
    {
        options.RequireKnownSettings(Name, Keys);
        var s = options.Settings;
        var inv = CultureInfo.InvariantCulture;
        var defaults = new UNetOptions();
        var longSide = options.Int("input-long-side", 0);
        if (longSide < 0)
            throw new ArgumentException("--input-long-side= must be a positive number of pixels, or 0 for the native resolution.");
        var unet = defaults with
        {
            BaseWidth = options.Int("unet-width", defaults.BaseWidth),
            Depth = options.Int("unet-depth", defaults.Depth),
            InputLongSide = longSide > 0 ? longSide : null,
            ObjectSize = options.Int("object-size", 0) is > 0 and var size ? size : null,
            Augmentation = defaults.Augmentation with { ScaleRange = options.Int("scale-jitter", 10) / 100.0 },
            MaxEpochs = options.Int("epochs", defaults.MaxEpochs),
            Patience = options.Int("patience", defaults.Patience),
            BoundaryWidth = options.Int("boundary-width", defaults.BoundaryWidth),
            ObjectMeasure = options.Settings.GetValueOrDefault("object-measure") is { } measureText
                ? ObjectMeasures.Parse(measureText) ?? throw new ArgumentException($"--object-measure={measureText}: expected {string.Join(" or ", ObjectMeasures.Names)}.")
                : defaults.ObjectMeasure,
            TrainingPrecision = options.Settings.GetValueOrDefault("train-precision") is { } precision
                ? InferencePrecisions.Parse(precision) ?? throw new ArgumentException($"--train-precision={precision}: expected fp32 or bf16.")
                : defaults.TrainingPrecision,
            SizeEstimate = options.Switch("size-estimate") ? new SizeEstimateOptions() : null,
        };
        if (options.Quick)
            unet = unet with { MaxEpochs = 2, StepsPerEpoch = 3, BatchSize = 4, PatchSize = Math.Max(64, 1 << unet.Depth), Patience = 2, SizeEstimate = unet.SizeEstimate is { } quick ? quick with { Steps = 3, BatchSize = 4 } : null };
        if (unet.TrainingPrecision == InferencePrecision.BFloat16 && !InferencePrecisions.NativeBFloat16)
            throw new ArgumentException("--train-precision=bf16 needs a CPU with native bfloat16 (avx512_bf16 or amx_bf16); this one would emulate it.");
        var problems = unet.Problems();
        if (problems.Count > 0)
            throw new ArgumentException("Invalid U-Net settings: " + string.Join(" ", problems));
        var forest = options.Quick ? new PixelForestOptions { Forest = new RandomForestOptions { Trees = 8, MaxDepth = 10 } } : new PixelForestOptions();
        var models = (s.GetValueOrDefault("models") ?? "classical,pixel-forest,unet").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var m in models.Where(m => !SegmenterCatalog.Contains(m)))
            throw new ArgumentException($"Unknown model '{m}' in --models=; known: {string.Join(", ", SegmenterCatalog.Names)}.");
        var datasets = (s.GetValueOrDefault("datasets") ?? "emps,isbi").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var d in datasets.Where(d => d is not ("emps" or "isbi")))
            throw new ArgumentException($"Unknown data set '{d}' in --datasets=; known: emps, isbi.");
        var flips = options.Int("flips", 1);
        if (!UNetSegmenter.TestTimeFlipCounts.Contains(flips))
            throw new ArgumentException($"--flips={flips}: expected one of {string.Join(", ", UNetSegmenter.TestTimeFlipCounts)}.");
        var folds = options.Int("folds", options.Quick ? 2 : 5);
        var threads = options.Int("threads", 2);
        var seed = options.Int("seed", 42);
        if (folds < 2 || threads < 0)
            throw new ArgumentException("--folds= must be at least 2 and --threads= not negative.");
        var outRoot = Path.GetFullPath(s.GetValueOrDefault("out")
            ?? Path.Combine(Path.GetTempPath(), "autoclassify-segfigures", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", inv) + (options.Quick ? "-quick" : "")));
        Console.WriteLine(string.Create(inv,
            $"U-Net depth {unet.Depth}, width {unet.BaseWidth}, boundary {unet.BoundaryWidth} px, {(unet.ObjectSize is { } objectSize ? $"object size {objectSize} px{(unet.ObjectMeasure == ObjectMeasure.Thickness ? " thick" : "")}, scale jitter {unet.Augmentation.ScaleRange}{(unet.SizeEstimate is { } e ? $", size CNN of {e.Steps} steps" : "")}" : longSide > 0 ? $"long side {longSide} px" : "native resolution")}{(options.Quick ? $", {unet.MaxEpochs} epochs of {unet.StepsPerEpoch} steps (quick)" : $", at most {unet.MaxEpochs} epochs, patience {unet.Patience}")}, training in {unet.TrainingPrecision.Name()}, {flips} test-time view(s); {folds} folds; {threads} threads; seed {seed}; outputs under {outRoot}"));

        foreach (var dataset in datasets)
        {
            var (folder, title) = dataset == "emps" ? ("emps-particles", "emps-particles (instance masks)") : ("isbi2012-em", "isbi2012-em (membranes, contiguous slices)");
            var root = Path.Combine(options.SharedRoot, "datasets", folder);
            if (!Directory.Exists(root))
            {
                Console.WriteLine($"{title}: skipped, {root} does not exist");
                continue;
            }
            var set = SegmentationDataLoader.Load(root, new SegmentationDataOptions { Threads = threads });
            if (options.Quick)
                set = set with { Data = set.Data.Subset(Enumerable.Range(0, Math.Min(4, set.Data.Samples.Count))) };
            var trainers = models.Select(m => m switch
            {
                "pixel-forest" => new PixelForestTrainer(forest),
                "unet" or "resunet" => UNetTrainer.Create(m, unet),
                _ => SegmenterCatalog.Create(m),
            }).ToList();
            var output = Path.Combine(outRoot, folder);
            var result = SegmentBenchmarkRunner.Run(set, trainers, new SegmentBenchmarkOptions
            {
                Folds = folds,
                Seed = seed,
                Threads = threads,
                TestTimeFlips = flips,
                Log = line => Console.WriteLine("  " + line),
            });
            SegmentBenchmarkFiles.WriteAll(result, output);
            Print(title, result, dataset == "emps", Path.Combine(output, "index.html"));
        }
    }

    static void Print(string title, SegmentBenchmarkResult result, bool emps, string report)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"{title}: {result.ImagePaths.Count} images, {SegmentBenchmarkFiles.KindName(result.Kind)} masks, {result.FoldCount} folds ({result.FoldMethod}); mean ± SD over folds"));
        var f1Header = emps ? string.Create(inv, $"F1@0.5 (≥{TargetF1:F2})") : "F1@0.5";
        var errorHeader = emps ? string.Create(inv, $"median Ø err (≤{100 * TargetDiameterError:F0} %)") : "median Ø err";
        Console.WriteLine($"{"model",-13} {f1Header,-22} {errorHeader,-24} {"fg Dice",-15} {"V_rand",-15} {"wall min",8}");
        foreach (var m in result.Models)
        {
            if (m.Error is not null)
            {
                Console.WriteLine($"{m.Model,-13} failed: {m.Error}");
                continue;
            }
            var f1 = m.Scores["instance_f1"];
            var error = m.Scores["median_diameter_error"];
            var f1Text = Pm(f1.Mean, f1.Sd) + (emps ? Verdict(f1.Mean >= TargetF1) : "");
            var errorText = string.Create(inv, $"{100 * error.Mean:F1} ± {100 * error.Sd:F1} %") + (emps ? Verdict(error.Mean <= TargetDiameterError) : "");
            Console.WriteLine(string.Create(inv,
                $"{m.Model,-13} {f1Text,-22} {errorText,-24} {Pm(m.Scores["foreground_dice"].Mean, m.Scores["foreground_dice"].Sd),-15} {Pm(m.Scores["v_rand"].Mean, m.Scores["v_rand"].Sd),-15} {m.WallTime.TotalMinutes,8:F1}"));
            foreach (var f in m.Folds.Where(f => f.Training.Facts.ContainsKey("post_seed_threshold")))
                Console.WriteLine($"  fold {f.Fold + 1} post-processing: {string.Join(", ", f.Training.Facts.Where(p => p.Key.StartsWith("post_", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key[5..]} {p.Value}"))}");
        }
        if (emps)
        {
            Console.WriteLine(string.Create(inv, $"whole run: {result.WallTime.TotalMinutes:F1} min (target ≤ {TargetEmpsWall.TotalMinutes:F0} min on 2 cores){Verdict(result.WallTime <= TargetEmpsWall)}"));
            var learned = result.Models.Where(m => m.Error is null && m.Model != "classical").ToList();
            var classical = result.Models.FirstOrDefault(m => m.Error is null && m.Model == "classical");
            if (classical is not null)
            {
                foreach (var m in learned)
                    Console.WriteLine(string.Create(inv, $"{m.Model} F1 minus classical F1: {m.Scores["instance_f1"].Mean - classical.Scores["instance_f1"].Mean:+0.000;-0.000} (target: clearly above)"));
            }
        }
        else if (result.Models.FirstOrDefault(m => m.Error is null && m.Model == "unet") is { } unet)
        {
            foreach (var other in result.Models.Where(m => m.Error is null && m != unet))
                Console.WriteLine(string.Create(inv, $"unet minus {other.Model}: foreground Dice {unet.Scores["foreground_dice"].Mean - other.Scores["foreground_dice"].Mean:+0.000;-0.000}, V_rand {unet.Scores["v_rand"].Mean - other.Scores["v_rand"].Mean:+0.000;-0.000} (target: clearly above)"));
        }
        Console.WriteLine($"report: {report}");
    }

    static string Pm(double mean, double sd) => double.IsFinite(mean)
        ? string.Create(CultureInfo.InvariantCulture, $"{mean:F3} ± {(double.IsFinite(sd) ? sd : 0):F3}")
        : "n/a";

    static string Verdict(bool met) => met ? " met" : " NOT met";
}
