using System.Diagnostics;
using System.Globalization;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;
using CsvHelper;

namespace AutoClassify.Bench;

/// <summary>
/// Whether an object size read from the image by a CNN of its own helps the U-Net's rule choose a factor, on
/// emps-particles folds as <c>segment-benchmark</c> deals them. Per fold it trains the CNN on the other folds' images
/// (see <see cref="SizeNetwork"/>), estimates each test image's median equivalent diameter, and replays the rule
/// (<see cref="ScaleSelection.Choose"/>) on the fold's dense ladder, as <c>segpost --scale=dense</c> wrote it, alone and
/// drawn towards the estimate at each weight; it prints the instance F1 and the median diameter error of each choice,
/// fold by fold. The ladders are read, never made: run segpost first. Settings as --key=value: folds (5), fold (all, or
/// one of 1..folds), seed (42: the folds), net-seed (the seed: the CNN's weights and patches), steps (1500), batch
/// (32), patch (96), width (16), range (1.2), threads (2), weights (0.25,0.5,1), rungs (the ladder CSV, {fold} for the
/// fold; segpost's default cache of the bfloat16 width-16 network of the emps figures unless set), out (a CSV of the
/// estimates).
/// </summary>
internal sealed class SegSizeBench : IBenchSuite
{
    static readonly string[] Keys = ["folds", "fold", "seed", "net-seed", "steps", "batch", "patch", "width", "range", "threads", "weights", "rungs", "out"];

    public string Name => "segsize";

    public string Description => "emps-particles: a CNN's estimate of the object size, and the U-Net rule's choice of factor drawn towards it (reads segpost's dense ladders)";

    /// <summary>The object size the ladders' network works at, and the size the CNN measures against.</summary>
    const int ObjectSize = 40;

    public void Run(BenchOptions options)
    {
        options.RequireKnownSettings(Name, Keys);
        if (options.Quick)
            throw new ArgumentException("no --quick mode: it reads the dense ladders of full segpost runs.");
        var s = options.Settings;
        var inv = CultureInfo.InvariantCulture;
        var folds = options.Int("folds", 5);
        var seed = options.Int("seed", 42);
        var network = new SizeNetworkOptions
        {
            Steps = options.Int("steps", 1500),
            Batch = options.Int("batch", 32),
            Patch = options.Int("patch", 96),
            Width = options.Int("width", 16),
            Range = double.Parse(s.GetValueOrDefault("range") ?? "1.2", inv),
        };
        var netSeed = options.Int("net-seed", seed);
        var threads = options.Int("threads", 2);
        double[] weights = [.. (s.GetValueOrDefault("weights") ?? "0.25,0.5,1").Split(',').Select(w => double.Parse(w, inv))];
        var foldText = s.GetValueOrDefault("fold") ?? "all";
        int[] chosenFolds = foldText == "all" ? [.. Enumerable.Range(0, folds)] : [int.Parse(foldText, inv) - 1];
        var rungsPattern = s.GetValueOrDefault("rungs") ?? Path.Combine(Path.GetTempPath(), "autoclassify-segpost",
            string.Create(inv, $"emps-fold{{fold}}of{folds}-w16-os{ObjectSize}-j25-p12-trainbf16-e60-seed{seed}"), "rungs-fold{fold}.csv");
        var ladders = chosenFolds.ToDictionary(f => f, f => ReadLadders(rungsPattern.Replace("{fold}", (f + 1).ToString(inv), StringComparison.Ordinal)));
        Torch.Threads = threads;

        var root = Path.Combine(options.SharedRoot, "datasets", "emps-particles");
        var data = SegmentationDataLoader.Load(root, new SegmentationDataOptions { Threads = threads }).Data;
        var assignment = SegmentationFolds.Assign(data.Samples.Count, folds, null, seed);
        var diameters = data.Samples.Select(x => ObjectScaling.MedianSize(x.Mask, x.Width, x.Height, data.Kind, ObjectMeasure.EquivalentDiameter)).ToArray();
        string[] methods = ["rule", .. weights.Select(w => string.Create(inv, $"rule, estimate weight {w:G3}")), "estimate's nearest rung", "true factor's rung"];
        var f1 = methods.ToDictionary(m => m, _ => new List<double>());
        var sizeError = methods.ToDictionary(m => m, _ => new List<double>());
        var estimates = new List<string> { "fold,image,true_diameter,estimated_diameter,rule_diameter" };
        Console.WriteLine(string.Create(inv,
            $"emps-particles, {folds} folds (seed {seed}); size CNN width {network.Width}, {network.Patch} px patches, {network.Steps} steps of {network.Batch}, sizes within e^±{network.Range} of {ObjectSize} px, seed {netSeed}; {threads} threads; ladders {rungsPattern}"));
        foreach (var fold in chosenFolds)
        {
            var clock = Stopwatch.StartNew();
            var others = Enumerable.Range(0, data.Samples.Count).Where(i => assignment[i] != fold && diameters[i] is not null).ToArray();
            // Every seventh of the other folds' images calibrates the estimate's bias; the rest train.
            int[] calibration = [.. others.Where((_, k) => k % 7 == 3)];
            int[] train = [.. others.Where((_, k) => k % 7 != 3)];
            using var size = SizeNetwork.Train([.. train.Select(i => (data.Samples[i].Image, diameters[i]!.Value))], network, netSeed + fold,
                (step, loss) => Console.WriteLine(string.Create(inv, $"  fold {fold + 1} step {step}: loss {loss:F4} ({clock.Elapsed.TotalSeconds:F0} s)")));
            var bias = size.Calibrate([.. calibration.Select(i => (data.Samples[i].Image, diameters[i]!.Value))]);
            var estimateErrors = new List<double>();
            var ruleErrors = new List<double>();
            var perFold = methods.ToDictionary(m => m, _ => new List<double>());
            var perFoldSize = methods.ToDictionary(m => m, _ => new List<double>());
            foreach (var index in Enumerable.Range(0, data.Samples.Count).Where(i => assignment[i] == fold))
            {
                var sample = data.Samples[index];
                var image = Path.GetFileName(sample.Path);
                var ladder = ladders[fold].TryGetValue(image, out var found) ? found
                    : throw new InvalidDataException($"{rungsPattern}: fold {fold + 1} has no ladder for {image}; was it written for these folds?");
                var estimate = size.Estimate(sample.Image);
                var estimatedFactor = (double)ObjectSize / estimate;
                ScaleRung[] rungs = [.. ladder.Select(r => r.Rung)];
                var rule = ScaleSelection.Default.Choose(rungs, ObjectSize);
                if (ladder[rule].Chosen != true)
                    throw new InvalidDataException($"{rungsPattern}: the rule replayed on {image} does not take the rung segpost marked chosen.");
                var choices = new List<int> { rule };
                choices.AddRange(weights.Select(w => (ScaleSelection.Default with { EstimateWeight = w }).Choose(rungs, ObjectSize, estimatedFactor)));
                choices.Add(Nearest(rungs, estimatedFactor));
                var oracle = ladder[0].OracleFactor;
                choices.Add(double.IsFinite(oracle) ? Nearest(rungs, oracle) : rule);
                for (var m = 0; m < methods.Length; m++)
                {
                    if (double.IsFinite(ladder[choices[m]].F1))
                        perFold[methods[m]].Add(ladder[choices[m]].F1);
                    if (double.IsFinite(ladder[choices[m]].MedianDiameterError))
                        perFoldSize[methods[m]].Add(ladder[choices[m]].MedianDiameterError);
                }
                var truth = diameters[index] ?? double.NaN;
                var ruleDiameter = ObjectSize / rungs[rule].Factor;
                if (double.IsFinite(truth))
                {
                    estimateErrors.Add(Math.Abs(Math.Log(estimate / truth)));
                    ruleErrors.Add(Math.Abs(Math.Log(ruleDiameter / truth)));
                }
                estimates.Add(string.Create(inv, $"{fold + 1},{image},{truth:G6},{estimate:G6},{ruleDiameter:G6}"));
            }
            Console.WriteLine(string.Create(inv,
                $"fold {fold + 1}: bias {bias:F3} (median ln estimate/true on {calibration.Length} calibration images); test images' |ln estimate/true| median {Median(estimateErrors):F3}, within √2 for {Within(estimateErrors)} of {estimateErrors.Count} (the rule's factor: {Median(ruleErrors):F3}, {Within(ruleErrors)}); {clock.Elapsed.TotalSeconds:F0} s"));
            foreach (var m in methods)
            {
                f1[m].Add(perFold[m].Average());
                sizeError[m].Add(perFoldSize[m].Average());
                Console.WriteLine(string.Create(inv, $"  {m,-32} instance F1 {f1[m][^1]:F3}, median diameter error (image mean) {sizeError[m][^1]:F3}"));
            }
        }
        Console.WriteLine();
        Console.WriteLine($"{"choice",-32} {string.Join(" ", chosenFolds.Select(f => $"fold {f + 1}"))}   mean  paired gain over the rule (SD over folds)  size error");
        foreach (var m in methods)
        {
            var gains = f1[m].Zip(f1["rule"], (a, b) => a - b).ToArray();
            var sd = gains.Length > 1 ? Math.Sqrt(gains.Sum(g => (g - gains.Average()) * (g - gains.Average())) / (gains.Length - 1)) : double.NaN;
            Console.WriteLine(string.Create(inv,
                $"{m,-32} {string.Join(" ", f1[m].Select(v => $"{v,6:F3}"))}  {f1[m].Average():F3}  {gains.Average(),+7:+0.000;-0.000} ± {sd:F3}{"",20}{sizeError[m].Average():F3}"));
        }
        var outPath = s.GetValueOrDefault("out");
        if (outPath is not null)
        {
            AutoClassify.IO.AtomicFile.WriteAllText(outPath, string.Join('\n', estimates) + "\n");
            Console.WriteLine("wrote " + outPath);
        }
    }

    static int Nearest(ScaleRung[] rungs, double factor) =>
        Enumerable.Range(0, rungs.Length).MinBy(i => Math.Abs(Math.Log(rungs[i].Factor / factor)));

    static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);

    static int Within(List<double> values) => values.Count(e => e <= Math.Log(Math.Sqrt(2)));

    /// <summary>One rung of a dense ladder as segpost wrote it.</summary>
    sealed record LadderRow(ScaleRung Rung, double F1, double MedianDiameterError, double OracleFactor, bool Chosen);

    /// <summary>The dense ladder CSV's rows by image file name, in the order of their factors.</summary>
    static Dictionary<string, List<LadderRow>> ReadLadders(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no dense ladder; write it first with segpost --fold=F --unet-width=16 --object-size={ObjectSize} --scale-jitter=25 --train-precision=bf16 --epochs=60 --patience=12 --scale=dense (or name another with --rungs).", path);
        using var stream = File.OpenRead(path);
        using var csv = CsvReader.Create(stream, CsvReaderOptions.Default);
        var headers = csv.Headers.ToList();
        int Column(string name) => headers.IndexOf(name) is var i and >= 0 ? i : throw new InvalidDataException($"{path}: no column '{name}'.");
        var (image, factor, diameter, spread, confidence, f1, error, oracle, chosen) = (Column("image"), Column("factor"), Column("rule_diameter"),
            Column("rule_spread"), Column("rule_confidence"), Column("f1"), Column("median_diameter_error"), Column("oracle_factor"), Column("chosen"));
        double Number(int column) => double.Parse(csv.GetString(column) ?? "NaN", CultureInfo.InvariantCulture);
        double? Known(int column) => Number(column) is var v && double.IsFinite(v) ? v : null;
        var ladders = new Dictionary<string, List<LadderRow>>();
        while (csv.Read())
        {
            var name = csv.GetString(image) ?? "";
            if (!ladders.TryGetValue(name, out var rows))
                ladders[name] = rows = [];
            rows.Add(new LadderRow(new ScaleRung(Number(factor), Known(diameter), Known(spread), Number(confidence)),
                Number(f1), Number(error), Number(oracle), csv.GetString(chosen) == "1"));
        }
        return ladders;
    }
}

/// <summary>The size CNN's training settings.</summary>
internal sealed record SizeNetworkOptions
{
    public int Steps { get; init; } = 1500;
    public int Batch { get; init; } = 32;
    public int Patch { get; init; } = 96;
    public int Width { get; init; } = 16;

    /// <summary>Training sizes lie within e^±Range of the object size.</summary>
    public double Range { get; init; } = 1.2;
}

/// <summary>
/// A small CNN that reads how large an image's objects are. Five 3×3 convolution blocks (batch norm, ReLU, 2×2 max-pool
/// between them) of width, 2×, 4×, 4× and 8× width filters, global average pooling and one linear output, trained with
/// Adam on the mean squared error. A training patch is a random window of an image resized so that its median object
/// measures 40·e^u px, u uniform in ±range, flipped and transposed at random and standardised on its own; the target
/// is u. An image's estimate: the network run at candidate diameters D = 3·2^(k/2) px (the image resized by 40/D,
/// at most 3 megapixels, down to a 12-px long side), u(D) the mean over up to 5×5 patches covering it; the first D
/// where u turns negative (u falls as D grows), interpolated in ln D, refined twice as the mean of ln D + u over the
/// diameters within 0.7 range of it, then less the bias measured on calibration images.
/// </summary>
internal sealed class SizeNetwork : IDisposable
{
    const int Target = 40;
    readonly Sequential network;
    readonly SizeNetworkOptions options;
    double bias;

    SizeNetwork(Sequential network, SizeNetworkOptions options) => (this.network, this.options) = (network, options);

    /// <summary>Trains a network on images with their median object diameters; <paramref name="log"/> hears the smoothed loss every 250 steps.</summary>
    public static SizeNetwork Train(IReadOnlyList<(GrayImage Image, double Diameter)> images, SizeNetworkOptions options, int seed, Action<int, double> log)
    {
        Torch.ManualSeed(seed);
        var random = new Random(seed);
        var result = new SizeNetwork(Build(options.Width), options);
        int batch = options.Batch, patch = options.Patch;
        var pixels = new float[batch * patch * patch];
        var targets = new float[batch];
        using var optimizer = new Adam(result.network.Parameters(), new AdamOptions { LearningRate = 1e-3 });
        result.network.Train();
        double smoothed = 0;
        for (var step = 0; step < options.Steps; step++)
        {
            for (var b = 0; b < batch; b++)
            {
                var (image, diameter) = images[random.Next(images.Count)];
                var u = ((random.NextDouble() * 2) - 1) * options.Range;
                Sample(image, Target * Math.Exp(u) / diameter, patch, random, pixels.AsSpan(b * patch * patch, patch * patch));
                targets[b] = (float)u;
            }
            using var scope = DisposeScope.Begin();
            var loss = Functional.MseLoss(result.network.Forward(Tensor.FromArray(pixels, [batch, 1, patch, patch])), Tensor.FromArray(targets, [batch, 1]));
            // A tenth of the rate for the last 30 % of the steps.
            optimizer.LearningRate = step < options.Steps * 0.7 ? 1e-3 : 2e-4;
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            var value = loss.ToDouble();
            smoothed = step == 0 ? value : (0.98 * smoothed) + (0.02 * value);
            if ((step + 1) % 250 == 0)
                log(step + 1, smoothed);
        }
        result.network.Eval();
        return result;
    }

    /// <summary>Sets the bias to the median ln(estimate / truth) over <paramref name="images"/> (never test images) and returns it.</summary>
    public double Calibrate(IReadOnlyList<(GrayImage Image, double Diameter)> images)
    {
        bias = 0;
        var offsets = images.Select(x => Math.Log(Estimate(x.Image) / x.Diameter)).Order().ToArray();
        bias = offsets.Length == 0 ? 0 : offsets[offsets.Length / 2];
        return bias;
    }

    /// <summary>The image's median object diameter in its own pixels.</summary>
    public double Estimate(GrayImage image)
    {
        var patch = options.Patch;
        var rungs = new List<(double LogD, double U)>();
        for (var k = 0; k < 24; k++)
        {
            var d = 3 * Math.Pow(2, k / 2.0);
            var f = Target / d;
            int w = (int)Math.Round(image.Width * f), h = (int)Math.Round(image.Height * f);
            if ((long)w * h > 3_000_000)
                continue;
            if (Math.Max(w, h) < 12)
                break;
            var region = InputScaling.Image(image, Math.Max(1, w), Math.Max(1, h));
            int nx = Math.Min(5, (region.Width + patch - 1) / patch), ny = Math.Min(5, (region.Height + patch - 1) / patch);
            var pixels = new float[nx * ny * patch * patch];
            var n = 0;
            for (var iy = 0; iy < ny; iy++)
            {
                for (var ix = 0; ix < nx; ix++)
                {
                    var left = nx == 1 ? Math.Max(0, (region.Width - patch) / 2) : (int)Math.Round((double)ix * (region.Width - patch) / (nx - 1));
                    var top = ny == 1 ? Math.Max(0, (region.Height - patch) / 2) : (int)Math.Round((double)iy * (region.Height - patch) / (ny - 1));
                    Fill(region, left, top, patch, pixels.AsSpan(n++ * patch * patch, patch * patch), false, false, false);
                }
            }
            using var scope = DisposeScope.Begin();
            using var noGrad = Torch.NoGrad();
            rungs.Add((Math.Log(d), network.Forward(Tensor.FromArray(pixels, [n, 1, patch, patch])).ToFloatArray().Average()));
        }
        var estimate = double.NaN;
        for (var k = 1; k < rungs.Count && double.IsNaN(estimate); k++)
        {
            if (rungs[k - 1].U >= 0 && rungs[k].U < 0)
                estimate = rungs[k - 1].LogD + (rungs[k - 1].U / (rungs[k - 1].U - rungs[k].U) * (rungs[k].LogD - rungs[k - 1].LogD));
        }
        if (double.IsNaN(estimate))
            estimate = rungs.MinBy(r => Math.Abs(r.U)).LogD;
        for (var pass = 0; pass < 2; pass++)
        {
            var near = rungs.Where(r => Math.Abs(r.LogD - estimate) <= 0.7 * options.Range).ToArray();
            if (near.Length > 0)
                estimate = near.Average(r => r.LogD + r.U);
        }
        return Math.Exp(estimate - bias);
    }

    public void Dispose() => network.Dispose();

    static Sequential Build(int width)
    {
        var network = new Sequential();
        int[] channels = [width, width * 2, width * 4, width * 4, width * 8];
        var input = 1;
        for (var k = 0; k < channels.Length; k++)
        {
            network.Add(new Conv2d(input, channels[k], 3, padding: 1)).Add(new BatchNorm2d(channels[k])).Add(new ReLU());
            if (k < channels.Length - 1)
                network.Add(new MaxPool2d(2));
            input = channels[k];
        }
        return network.Add(new AdaptiveAvgPool2d(1, 1)).Add(new Flatten()).Add(new Linear(input, 1));
    }

    /// <summary>A random patch of the image resized by <paramref name="factor"/> (reflected where the resized image is smaller), flipped and transposed at random.</summary>
    static void Sample(GrayImage image, double factor, int patch, Random random, Span<float> destination)
    {
        var side = patch / factor;
        GrayImage region;
        if (side >= image.Width && side >= image.Height)
        {
            region = InputScaling.Image(image, Math.Max(1, (int)Math.Round(image.Width * factor)), Math.Max(1, (int)Math.Round(image.Height * factor)));
        }
        else
        {
            // Only the window the patch needs is resized.
            var width = Math.Max(1, Math.Min(image.Width, (int)Math.Ceiling(side)));
            var height = Math.Max(1, Math.Min(image.Height, (int)Math.Ceiling(side)));
            var left = random.Next(image.Width - width + 1);
            var top = random.Next(image.Height - height + 1);
            var window = image.Crop(top, image.Height - top - height, left, image.Width - left - width);
            region = InputScaling.Image(window, Math.Max(1, (int)Math.Round(width * factor)), Math.Max(1, (int)Math.Round(height * factor)));
        }
        var x = region.Width > patch ? random.Next(region.Width - patch + 1) : 0;
        var y = region.Height > patch ? random.Next(region.Height - patch + 1) : 0;
        var (flipX, flipY, transpose) = (random.Next(2) == 1, random.Next(2) == 1, random.Next(2) == 1);
        Fill(region, x, y, patch, destination, flipX, flipY, transpose);
    }

    /// <summary>The patch at (<paramref name="left"/>, <paramref name="top"/>), reflected at the region's edges, standardised on its own.</summary>
    static void Fill(GrayImage region, int left, int top, int patch, Span<float> destination, bool flipX, bool flipY, bool transpose)
    {
        for (var y = 0; y < patch; y++)
        {
            for (var x = 0; x < patch; x++)
            {
                int px = flipX ? patch - 1 - x : x, py = flipY ? patch - 1 - y : y;
                if (transpose)
                    (px, py) = (py, px);
                destination[(y * patch) + x] = region[SegmenterInput.Mirror(left + px, region.Width), SegmenterInput.Mirror(top + py, region.Height)];
            }
        }
        // Two passes, not CnnInputPreparer.Standardise's one: the suite's figures were measured this way, and the
        // trained CNN follows the last bit of its inputs.
        double mean = 0, squares = 0;
        foreach (var v in destination)
            mean += v;
        mean /= destination.Length;
        foreach (var v in destination)
            squares += (v - mean) * (v - mean);
        var deviation = Math.Max(Math.Sqrt(squares / destination.Length), 1e-6);
        for (var i = 0; i < destination.Length; i++)
            destination[i] = (float)((destination[i] - mean) / deviation);
    }
}
