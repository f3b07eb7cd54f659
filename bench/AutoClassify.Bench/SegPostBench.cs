using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// One fold of emps-particles, as <c>segment-benchmark</c> deals it: trains the U-Net on the other folds (or loads the
/// one an earlier run cached), then scores the fold's test images with the untuned and the validation-tuned instance
/// post-processing side by side, so both use the same network. Settings as --key=value: fold (1-based, default 1),
/// folds (5), unet-width (8), input-long-side (256; 0 = native), epochs (the default most epochs), threads (2), seed (42),
/// out (the cache folder), schedule (constant or cosine learning rate, default constant), patience (early stopping),
/// learning-rate (Adam's, default 0.001), ema (the weight averaging's decay, default 0 = off), train-precision (fp32 or
/// bf16, the training steps' number format, default fp32; bf16 is cached apart), boundary-width (the instance
/// scheme's boundary band in working pixels; another width is cached apart), object-measure (diameter or thickness,
/// how object scale reads an object's size; thickness is cached apart), flips (test-time flips at
/// prediction with object scale, 1, 2 or 4; the dense CSV is then named -flipsN), model (unet or resunet, default unet), unet-depth, patch and batch (the library's defaults);
/// another model, depth, patch size or batch is cached apart.
/// With object-size (0 = off, the default) the network works at object scale instead of a long side, trained with
/// scale jitter (augmentation scale range, percent, default 10), and each test image is scored at the factor its true
/// mask gives (scale=oracle), at the factor estimated from the image alone (scale=estimate) or both (the default), with
/// the per-image factors and median diameter errors. scale=dense writes, per test image, a fine ladder of passes (the probe × 2^(k/2), k = −6..6, within the
/// factor range) with each pass's objects, confidence and scores, the inputs the selection rule itself sees (median
/// diameter and spread at the working size, confidence) and which rung it picks, to a CSV in the cache folder (rungs=path overrides),
/// so that rules for choosing the factor can be compared without running the network again. scale=selection runs the
/// ladder once per test image and scores the factor the default selection weights pick beside the one the weights
/// tuned on the validation images pick (trained with <see cref="UNetOptions.TuneScaleSelection"/>, cached apart).
/// scale=precision predicts each test image with the estimated factor in float32 and in bfloat16 (segment --precision
/// bf16) on the same network, and prints both scores and the seconds each spent in Predict. scale=flips predicts each
/// test image twice on the same network, once as it is and once with the flips (<see cref="UNetSegmenter.TestTimeFlips"/>,
/// flips=N views, 4 unless set: the ladder on the image alone, the chosen rung again averaged over the image's flips);
/// scale=dense with flips averages every rung of the ladder it writes over them. size-estimate=1 trains the size CNN
/// after the U-Net (<see cref="UNetOptions.SizeEstimate"/>, cached apart; the U-Net is the one trained without it, as
/// the seeds are the same): the dense CSV's chosen rung is then the one drawn towards its estimate, and scale=size runs
/// the ladder once per test image and scores the rule alone beside the rule drawn towards the estimate.
/// </summary>
internal sealed class SegPostBench : IBenchSuite
{
    static readonly string[] Keys = ["fold", "folds", "unet-width", "input-long-side", "epochs", "threads", "seed", "out", "object-size", "scale", "scale-jitter", "rungs", "schedule", "patience", "learning-rate", "model", "unet-depth", "patch", "batch", "ema", "flips", "train-precision", "boundary-width", "object-measure", "size-estimate"];

    public string Name => "segpost";

    public string Description => "instance post-processing on one emps-particles fold: untuned against tuned on the validation images (trains once, then cached)";

    public void Run(BenchOptions options)
    {
        options.RequireKnownSettings(Name, Keys);
        if (options.Quick)
            throw new ArgumentException("no --quick mode: it trains one fold's network in full (or loads the cached one).");
        var s = options.Settings;
        var inv = CultureInfo.InvariantCulture;
        var fold = options.Int("fold", 1) - 1;
        var folds = options.Int("folds", 5);
        var width = options.Int("unet-width", 8);
        var depth = options.Int("unet-depth", UNetOptions.Defaults.Depth);
        var patch = options.Int("patch", UNetOptions.Defaults.PatchSize);
        var batch = options.Int("batch", UNetOptions.Defaults.BatchSize);
        var longSide = options.Int("input-long-side", 256);
        var epochs = options.Int("epochs", UNetOptions.Defaults.MaxEpochs);
        var threads = options.Int("threads", 2);
        var seed = options.Int("seed", 42);
        var objectSize = options.Int("object-size", 0);
        var jitter = options.Int("scale-jitter", 10);
        var schedule = (s.GetValueOrDefault("schedule") ?? "constant") switch
        {
            "constant" => AutoClassify.Models.Cnn.LearningRateSchedule.Constant,
            "cosine" => AutoClassify.Models.Cnn.LearningRateSchedule.Cosine,
            var other => throw new ArgumentException($"--schedule={other}: expected constant or cosine."),
        };
        var patience = options.Int("patience", UNetOptions.Defaults.Patience);
        var boundaryWidth = options.Int("boundary-width", UNetOptions.Defaults.BoundaryWidth);
        var measure = s.GetValueOrDefault("object-measure") is { } measureText
                ? ObjectMeasures.Parse(measureText) ?? throw new ArgumentException($"--object-measure={measureText}: expected {string.Join(" or ", ObjectMeasures.Names)}.")
                : ObjectMeasure.EquivalentDiameter;
        var learningRate = double.Parse(s.GetValueOrDefault("learning-rate") ?? "0.001", CultureInfo.InvariantCulture);
        var averaging = double.Parse(s.GetValueOrDefault("ema") ?? "0", CultureInfo.InvariantCulture);
        var trainingPrecision = s.GetValueOrDefault("train-precision") is { } precisionText
            ? InferencePrecisions.Parse(precisionText) ?? throw new ArgumentException($"--train-precision={precisionText}: expected fp32 or bf16.")
            : UNetOptions.Defaults.TrainingPrecision;
        if (trainingPrecision == InferencePrecision.BFloat16 && !InferencePrecisions.NativeBFloat16)
            throw new ArgumentException("--train-precision=bf16 needs a CPU with native bfloat16 (avx512_bf16 or amx_bf16); this one would emulate it.");
        var model = s.GetValueOrDefault("model") ?? "unet";
        var scale = s.GetValueOrDefault("scale") ?? "both";
        if (scale is not ("oracle" or "estimate" or "both" or "dense" or "flips" or "selection" or "precision" or "size"))
            throw new ArgumentException($"--scale={scale}: expected oracle, estimate, both, dense, flips, selection, precision or size.");
        var sizeEstimate = options.Switch("size-estimate");
        if (scale == "size" && !sizeEstimate)
            throw new ArgumentException("--scale=size compares the rule with and without the size CNN's estimate: add --size-estimate=1.");
        if (objectSize > 0)
            longSide = 0;
        var name = (objectSize > 0 ? string.Create(inv, $"os{objectSize}-j{jitter}") : string.Create(inv, $"ls{longSide}"))
            + (schedule == AutoClassify.Models.Cnn.LearningRateSchedule.Cosine ? "-cos" : "")
            + (patience != UNetOptions.Defaults.Patience ? string.Create(inv, $"-p{patience}") : "")
            + (learningRate != UNetOptions.Defaults.LearningRate ? string.Create(inv, $"-lr{learningRate}") : "")
            + (averaging != UNetOptions.Defaults.WeightAveraging ? string.Create(inv, $"-ema{averaging}") : "")
            + (trainingPrecision != UNetOptions.Defaults.TrainingPrecision ? "-train" + trainingPrecision.Name() : "")
            + (measure == ObjectMeasure.Thickness ? "-thick" : "")
            + (boundaryWidth != UNetOptions.Defaults.BoundaryWidth ? string.Create(inv, $"-bw{boundaryWidth}") : "")
            + (patch != UNetOptions.Defaults.PatchSize || batch != UNetOptions.Defaults.BatchSize ? string.Create(inv, $"-patch{patch}x{batch}") : "")
            + (scale == "selection" ? "-tuned" : "")
            + (sizeEstimate ? "-size" : "");
        var cache = Path.GetFullPath(s.GetValueOrDefault("out")
            ?? Path.Combine(Path.GetTempPath(), "autoclassify-segpost", string.Create(inv, $"emps-fold{fold + 1}of{folds}-{(model == "unet" ? "" : model + "-")}w{width}{(depth == UNetOptions.Defaults.Depth ? "" : $"-d{depth}")}-{name}-e{epochs}-seed{seed}")));
        // Created before the data are read, so an unknown --model fails at once (UNetTrainer.Create names the known ones).
        var trainer = UNetTrainer.Create(model, new UNetOptions
        {
            BaseWidth = width,
            Depth = depth,
            PatchSize = patch,
            BatchSize = batch,
            InputLongSide = longSide > 0 ? longSide : null,
            ObjectSize = objectSize > 0 ? objectSize : null,
            Augmentation = new SegmentationAugmentation { ScaleRange = jitter / 100.0 },
            MaxEpochs = epochs,
            Patience = patience,
            BoundaryWidth = boundaryWidth,
            ObjectMeasure = measure,
            Schedule = schedule,
            LearningRate = learningRate,
            WeightAveraging = averaging,
            TrainingPrecision = trainingPrecision,
            TuneScaleSelection = scale == "selection",
            SizeEstimate = sizeEstimate ? new SizeEstimateOptions() : null,
            Threads = threads,
        });
        var root = Path.Combine(options.SharedRoot, "datasets", "emps-particles");
        var set = SegmentationDataLoader.Load(root, new SegmentationDataOptions { Threads = threads });
        var data = set.Data;
        var assignment = SegmentationFolds.Assign(data.Samples.Count, folds, null, seed);
        var train = Enumerable.Range(0, data.Samples.Count).Where(i => assignment[i] != fold).ToArray();
        var test = Enumerable.Range(0, data.Samples.Count).Where(i => assignment[i] == fold).ToArray();
        var training = data.Subset(train);
        // The seed segment-benchmark gives this model on this fold.
        var contextSeed = Seeds.Derive(seed, "segmenter:" + trainer.Name, fold);
        Console.WriteLine(string.Create(inv, $"emps-particles fold {fold + 1}/{folds}: {train.Length} training, {test.Length} test images; {model} width {width}, depth {depth}, {(objectSize > 0 ? $"object size {objectSize} px, scale jitter {jitter} %" : longSide > 0 ? $"long side {longSide}" : "native")}; cache {cache}"));

        UNetSegmenter segmenter;
        if (File.Exists(Path.Combine(cache, UNetSegmenter.InfoFile)))
        {
            segmenter = UNetSegmenter.Load(cache, threads);
            Console.WriteLine("loaded the cached network");
        }
        else
        {
            var context = new TrainingContext { Seed = contextSeed, Threads = threads, Log = m => Console.WriteLine("  " + m) };
            segmenter = trainer.Train(training, context, new SegmenterTrainingSummary());
            segmenter.Save(cache);
            Console.WriteLine("trained and cached the network");
        }
        if (objectSize > 0)
        {
            using (segmenter)
            {
                var flips = options.Int("flips", scale == "flips" ? 4 : 1);
                segmenter.TestTimeFlips = flips;
                if (scale == "dense")
                    WriteRungs(segmenter, data, test, fold, s.GetValueOrDefault("rungs") ?? Path.Combine(cache, string.Create(inv,
                        $"rungs-fold{fold + 1}{(segmenter.TestTimeFlips > 1 ? $"-flips{segmenter.TestTimeFlips}" : "")}.csv")));
                else
                    ScoreObjectScale(segmenter, data, test, scale, fold, folds, flips);
            }
            return;
        }
        using (segmenter)
        {
            Console.WriteLine("post-processing in the package: " + (segmenter.Info.PostProcessing is { } post
                ? string.Join(", ", post.Describe().Select(p => $"{p.Key} {p.Value}"))
                : "none (format 1)"));
            var untuned = new InstancePostProcessing { MinObjectArea = segmenter.Info.MinObjectArea };
            var methods = new (string Name, Func<Split, int[]> Apply)[]
            {
                ("before: arg-max seeds at image resolution", x => SegmentationTargets.SplitInstances(x.Full, x.Width, x.Height, segmenter.Info.MinObjectArea)),
                ("untuned thresholds at the working resolution", x => x.Upscale(untuned.Apply(x.Working, x.WorkingWidth, x.WorkingHeight))),
                ("after: tuned on the validation images", x => x.Upscale(segmenter.PostProcessing.Apply(x.Working, x.WorkingWidth, x.WorkingHeight))),
            };
            var f1 = new double[methods.Length][];
            var ratios = new double[methods.Length][];
            var causes = new Dictionary<string, int>[methods.Length];
            for (var m = 0; m < methods.Length; m++)
            {
                f1[m] = new double[test.Length];
                ratios[m] = new double[test.Length];
                causes[m] = [];
            }
            for (var k = 0; k < test.Length; k++)
            {
                var sample = data.Samples[test[k]];
                var split = Split.Of(segmenter, sample.Image);
                var line = string.Create(inv, $"  {Path.GetFileName(sample.Path),-16} {sample.Width}x{sample.Height} true {Count(sample.Mask)}");
                for (var m = 0; m < methods.Length; m++)
                {
                    var predicted = methods[m].Apply(split);
                    var match = InstanceScores.Match(sample.Mask, predicted);
                    f1[m][k] = match.F1;
                    ratios[m][k] = match.TrueCount == 0 ? double.NaN : (double)match.PredictedCount / match.TrueCount;
                    foreach (var cause in FalsePositives(sample.Mask, predicted, sample.Width, sample.Height))
                        causes[m][cause] = causes[m].GetValueOrDefault(cause) + 1;
                    line += string.Create(inv, $" | pred {match.PredictedCount,4} P {match.Precision:F2} R {match.Recall:F2} F1 {match.F1:F2}");
                }
                Console.WriteLine(line);
            }
            Console.WriteLine();
            Console.WriteLine(string.Create(inv, $"fold {fold + 1} of {folds}, {test.Length} test images (image means, as segment-benchmark's fold score):"));
            for (var m = 0; m < methods.Length; m++)
            {
                var ratio = ratios[m].Where(double.IsFinite).Order().ToArray();
                Console.WriteLine(string.Create(inv,
                    $"  {methods[m].Name,-48} instance F1 {f1[m].Where(double.IsFinite).Average():F3}, median predicted/true {ratio[ratio.Length / 2]:F2}; unmatched predictions: {string.Join(", ", causes[m].OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"))}"));
            }
        }
    }

    /// <summary>
    /// Scores the test images at the oracle factor (from the true mask) and at the estimated one: per image the true
    /// median diameter, both factors and their ratio, instance F1 and the median diameter error; then the means.
    /// </summary>
    static void ScoreObjectScale(UNetSegmenter segmenter, SegmentationData data, int[] test, string scale, int fold, int folds, int flips)
    {
        var inv = CultureInfo.InvariantCulture;
        var objectScale = segmenter.Info.ObjectScale ?? throw new InvalidOperationException("The cached network has no object scale.");
        Console.WriteLine(string.Create(inv, $"object scale: size {objectScale.ObjectSize} px, factors {objectScale.MinFactor:F3}-{objectScale.MaxFactor:F3}, probe {objectScale.ProbeFactor:F3}; post-processing {segmenter.PostProcessing.Summary()}"));
        var modes = scale switch
        {
            "both" => new[] { "oracle", "estimate" },
            "flips" => ["estimate", "flips"],
            "selection" => ["default", "tuned"],
            "size" => ["rule", "estimate"],
            "precision" => ["fp32", "bf16"],
            _ => [scale],
        };
        if (scale == "selection")
            Console.WriteLine($"selection weights: default {ScaleSelection.Default.Summary()}; tuned {objectScale.Selection.Summary()}");
        var f1 = modes.ToDictionary(m => m, _ => new List<double>());
        var errors = modes.ToDictionary(m => m, _ => new List<double>());
        var ratios = new List<double>();
        var cnnRatios = new List<double>();
        double ladderSeconds = 0, cnnSeconds = 0;
        var seconds = modes.ToDictionary(m => m, _ => 0.0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var index in test)
        {
            var sample = data.Samples[index];
            var trueDiameter = ObjectScaling.MedianSize(sample.Mask, sample.Width, sample.Height, data.Kind, objectScale.Measure);
            var oracle = trueDiameter is { } d
                ? ObjectScaling.Size(sample.Width, sample.Height, ObjectScaling.Factor(d, objectScale.ObjectSize), objectScale.MaxPixels).Factor
                : objectScale.ProbeFactor;
            var trueSizes = SizeDistributions.EquivalentDiameters(sample.Mask, sample.Width, sample.Height);
            var line = string.Create(inv, $"  {Path.GetFileName(sample.Path),-16} {sample.Width}x{sample.Height} true {Count(sample.Mask),4} d {trueDiameter ?? double.NaN,6:F1} oracle x{oracle:F3}");
            var ladderTimer = System.Diagnostics.Stopwatch.StartNew();
            var ladder = scale is "selection" or "size" ? segmenter.Ladder(sample.Image, default) : null;
            ladderSeconds += ladderTimer.Elapsed.TotalSeconds;
            var cnnTimer = System.Diagnostics.Stopwatch.StartNew();
            var estimated = scale == "size" ? segmenter.EstimatedFactor(sample.Image) : null;
            cnnSeconds += cnnTimer.Elapsed.TotalSeconds;
            if (estimated is { } cnn && double.IsFinite(oracle))
            {
                cnnRatios.Add(cnn / oracle);
                line += string.Create(inv, $" cnn/true {cnnRatios[^1]:F2}");
            }
            foreach (var mode in modes)
            {
                double factor;
                int[] predicted;
                if (ladder is not null)
                {
                    // "rule" and "tuned" take the package's weights without an estimate, which leaves its weight unused.
                    var pass = mode switch
                    {
                        "default" => UNetSegmenter.Choose(ladder, ScaleSelection.Default, objectScale.ObjectSize),
                        "estimate" => UNetSegmenter.Choose(ladder, objectScale.Selection, objectScale.ObjectSize, estimated),
                        _ => UNetSegmenter.Choose(ladder, objectScale.Selection, objectScale.ObjectSize),
                    };
                    (factor, predicted) = (pass.Factor, UNetSegmenter.InstancesAt(sample.Image, pass));
                }
                else
                {
                    segmenter.Precision = mode == "bf16" ? InferencePrecision.BFloat16 : InferencePrecision.Float32;
                    segmenter.TestTimeFlips = scale == "flips" && mode == "estimate" ? 1 : flips;
                    var timer = System.Diagnostics.Stopwatch.StartNew();
                    var prediction = mode == "oracle" ? segmenter.PredictAtFactor(sample.Image, oracle) : segmenter.Predict(sample.Image);
                    seconds[mode] += timer.Elapsed.TotalSeconds;
                    factor = prediction.ScaleFactor!.Value;
                    predicted = prediction.Instances!;
                }
                var match = InstanceScores.Match(sample.Mask, predicted);
                var error = SizeDistributions.Compare(trueSizes, SizeDistributions.EquivalentDiameters(predicted, sample.Width, sample.Height)).MedianRelativeError;
                f1[mode].Add(match.F1);
                errors[mode].Add(error);
                line += string.Create(inv, $" | {mode} x{factor:F3} pred {match.PredictedCount,4} F1 {match.F1:F2} mde {error:F2}");
                if (mode is not ("oracle" or "rule"))
                {
                    ratios.Add(factor / oracle);
                    line += string.Create(inv, $" est/true {ratios[^1]:F2}");
                }
            }
            Console.WriteLine(line);
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"fold {fold + 1} of {folds}, {test.Length} test images (image means, as segment-benchmark's fold score; {clock.Elapsed.TotalSeconds:F0} s):"));
        foreach (var mode in modes)
        {
            var e = errors[mode].Where(double.IsFinite).Order().ToArray();
            Console.WriteLine(string.Create(inv,
                $"  {mode,-8} instance F1 {f1[mode].Where(double.IsFinite).Average():F3}, median diameter error mean {(e.Length > 0 ? e.Average() : double.NaN):F3} median {(e.Length > 0 ? e[e.Length / 2] : double.NaN):F3} ({e.Length} images with objects on both sides){(seconds[mode] > 0 ? $"; predict {seconds[mode]:F1} s" : "")}"));
        }
        if (ratios.Count > 0)
        {
            var sorted = ratios.Order().ToArray();
            var within = sorted.Count(r => Math.Abs(Math.Log(r)) <= Math.Log(1.25));
            Console.WriteLine(string.Create(inv, $"  estimated/true factor: median {sorted[sorted.Length / 2]:F2}, range {sorted[0]:F2}-{sorted[^1]:F2}, within 25 % for {within} of {sorted.Length} images"));
        }
        if (cnnRatios.Count > 0)
        {
            var off = cnnRatios.Select(r => Math.Abs(Math.Log(r))).Order().ToArray();
            Console.WriteLine(string.Create(inv, $"  size CNN's factor: median |ln cnn/true| {off[off.Length / 2]:F3}, within 25 % for {off.Count(e => e <= Math.Log(1.25))} of {off.Length} images; its estimates took {cnnSeconds:F1} s against the ladders' {ladderSeconds:F1} s"));
        }
    }

    /// <summary>
    /// Per test image and per rung of a fine ladder: the factor, the predicted objects (count, median equivalent
    /// diameter in image pixels, the interquartile range of their log diameters, all without objects cut by the
    /// border), the network's mean top probability over its object pixels, and the instance F1 and median diameter error
    /// against the truth; plus the oracle factor. One CSV row per pass.
    /// </summary>
    static void WriteRungs(UNetSegmenter segmenter, SegmentationData data, int[] test, int fold, string path)
    {
        var inv = CultureInfo.InvariantCulture;
        var scale = segmenter.Info.ObjectScale ?? throw new InvalidOperationException("The cached network has no object scale.");
        var lines = new List<string> { "fold,image,true_objects,true_diameter,oracle_factor,factor,objects,diameter,log_iqr,confidence,f1,median_diameter_error,rule_diameter,rule_spread,rule_confidence,chosen,agree_previous,agree_next" };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var index in test)
        {
            var sample = data.Samples[index];
            var trueDiameter = ObjectScaling.MedianSize(sample.Mask, sample.Width, sample.Height, data.Kind, scale.Measure);
            var oracle = trueDiameter is { } d ? ObjectScaling.Size(sample.Width, sample.Height, ObjectScaling.Factor(d, scale.ObjectSize), scale.MaxPixels).Factor : double.NaN;
            var trueSizes = SizeDistributions.EquivalentDiameters(sample.Mask, sample.Width, sample.Height);
            var rungs = new List<(string Line, int[] Ids)>();
            // With flips, every rung of the written ladder is averaged over them, so a rule can be replayed on flipped rungs.
            var ladder = segmenter.Ladder(sample.Image, default, withFlips: true);
            var chosen = UNetSegmenter.Choose(ladder, scale.Selection, scale.ObjectSize, segmenter.EstimatedFactor(sample.Image));
            var channels = segmenter.Info.ChannelNames.Count;
            foreach (var pass in ladder)
            {
                var ids = UNetSegmenter.InstancesAt(sample.Image, pass);
                var inner = ObjectScaling.Areas(ids, sample.Width, sample.Height).Values.Where(o => !o.AtBorder)
                    .Select(o => Math.Log(Math.Sqrt(4 * o.Area / Math.PI))).Order().ToArray();
                var median = inner.Length == 0 ? double.NaN : Math.Exp(inner[inner.Length / 2]);
                var iqr = inner.Length < 2 ? double.NaN : inner[3 * inner.Length / 4] - inner[inner.Length / 4];
                // Over the probabilities resized to the image, as written before the ladder was shared (the rule's own is at the working size).
                var full = InputScaling.Probabilities(pass.Probabilities, channels, pass.Width, pass.Height, sample.Width, sample.Height);
                var confidence = UNetSegmenter.Confidence(full, channels, sample.Width * sample.Height);
                var match = InstanceScores.Match(sample.Mask, ids);
                var error = SizeDistributions.Compare(trueSizes, SizeDistributions.EquivalentDiameters(ids, sample.Width, sample.Height)).MedianRelativeError;
                rungs.Add((string.Create(inv, $"{fold + 1},{Path.GetFileName(sample.Path)},{Count(sample.Mask)},{trueDiameter ?? double.NaN:G6},{oracle:G6},{pass.Factor:G6},{inner.Length},{median:G6},{iqr:G6},{confidence:G6},{match.F1:G6},{error:G6},{pass.MedianDiameter ?? double.NaN:G6},{pass.SizeSpread ?? double.NaN:G6},{pass.Confidence:G6},{(ReferenceEquals(pass, chosen) ? 1 : 0)}"), ids));
            }
            // How far the objects of neighbouring rungs agree (instance F1 of one against the other, in image pixels).
            for (var r = 0; r < rungs.Count; r++)
            {
                var previous = r > 0 ? InstanceScores.Match(rungs[r - 1].Ids, rungs[r].Ids).F1 : double.NaN;
                var next = r + 1 < rungs.Count ? InstanceScores.Match(rungs[r + 1].Ids, rungs[r].Ids).F1 : double.NaN;
                lines.Add(string.Create(inv, $"{rungs[r].Line},{previous:G6},{next:G6}"));
            }
            Console.WriteLine(string.Create(inv, $"  {Path.GetFileName(sample.Path),-16} {ladder.Count} passes, {clock.Elapsed.TotalSeconds:F0} s"));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, lines);
        Console.WriteLine($"wrote {path}");
    }

    static int Count(int[] mask) => mask.Where(v => v != 0).Distinct().Count();

    /// <summary>
    /// Why each unmatched predicted object is a false positive: a fragment (most of it inside one true particle) or a
    /// spurious blob (most of it on true background), small (under a tenth of the image's median true area) or not,
    /// and whether it touches the image border.
    /// </summary>
    static IEnumerable<string> FalsePositives(int[] truth, int[] predicted, int width, int height)
    {
        var match = new HashSet<int>();
        var trueArea = new Dictionary<int, int>();
        var predictedArea = new Dictionary<int, int>();
        var overlap = new Dictionary<(int, int), int>();
        var border = new HashSet<int>();
        for (var i = 0; i < truth.Length; i++)
        {
            int t = truth[i], p = predicted[i];
            if (t != 0)
                trueArea[t] = trueArea.GetValueOrDefault(t) + 1;
            if (p == 0)
                continue;
            predictedArea[p] = predictedArea.GetValueOrDefault(p) + 1;
            overlap[(t, p)] = overlap.GetValueOrDefault((t, p)) + 1;
            int x = i % width, y = i / width;
            if (x == 0 || y == 0 || x == width - 1 || y == height - 1)
                border.Add(p);
        }
        foreach (var ((t, p), o) in overlap)
        {
            if (t != 0 && (double)o / (trueArea[t] + predictedArea[p] - o) >= 0.5)
                match.Add(p);
        }
        var medianTrue = trueArea.Count == 0 ? 0 : trueArea.Values.Order().ElementAt(trueArea.Count / 2);
        foreach (var (p, area) in predictedArea)
        {
            if (match.Contains(p))
                continue;
            var best = overlap.Where(o => o.Key.Item2 == p).MaxBy(o => o.Value);
            var kind = best.Key.Item1 == 0 && best.Value * 2 >= area ? "spurious" : best.Value * 2 >= area ? "fragment" : "mixed";
            var size = area < 0.1 * medianTrue ? "small" : "large";
            yield return $"{size} {kind}{(border.Contains(p) ? " at border" : "")}";
        }
    }

    /// <summary>One image's probabilities at the network's working resolution and at the image's.</summary>
    sealed record Split(float[] Working, int WorkingWidth, int WorkingHeight, float[] Full, int Width, int Height)
    {
        public static Split Of(UNetSegmenter segmenter, AutoClassify.Imaging.GrayImage image)
        {
            var (w, h) = InputScaling.Size(image.Width, image.Height, segmenter.Info.InputLongSide);
            var working = segmenter.NetworkProbabilities(InputScaling.Image(image, w, h), segmenter.Info.TileSize, segmenter.Info.TileOverlap, default);
            return new Split(working, w, h, InputScaling.Probabilities(working, 3, w, h, image.Width, image.Height), image.Width, image.Height);
        }

        public int[] Upscale(int[] ids) => InputScaling.Labels(ids, WorkingWidth, WorkingHeight, Width, Height);
    }
}
