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
        var network = new SizeEstimateOptions
        {
            Steps = options.Int("steps", 1500),
            BatchSize = options.Int("batch", 32),
            PatchSize = options.Int("patch", 96),
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
            $"emps-particles, {folds} folds (seed {seed}); size CNN width {network.Width}, {network.PatchSize} px patches, {network.Steps} steps of {network.BatchSize}, sizes within e^±{network.Range} of {ObjectSize} px, seed {netSeed}; {threads} threads; ladders {rungsPattern}"));
        foreach (var fold in chosenFolds)
        {
            var clock = Stopwatch.StartNew();
            var others = Enumerable.Range(0, data.Samples.Count).Where(i => assignment[i] != fold && diameters[i] is not null).ToArray();
            // Every seventh of the other folds' images calibrates the estimate's bias; the rest train.
            int[] calibration = [.. others.Where((_, k) => k % 7 == 3)];
            int[] train = [.. others.Where((_, k) => k % 7 != 3)];
            using var size = SizeNetwork.Train([.. train.Select(i => (data.Samples[i].Image, diameters[i]!.Value))], network, ObjectSize, netSeed + fold,
                (step, loss) => Console.WriteLine(string.Create(inv, $"  fold {fold + 1} step {step}: loss {loss:F4} ({clock.Elapsed.TotalSeconds:F0} s)")));
            size.Calibrate([.. calibration.Select(i => (data.Samples[i].Image, diameters[i]!.Value))]);
            var bias = size.Info.Bias;
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
