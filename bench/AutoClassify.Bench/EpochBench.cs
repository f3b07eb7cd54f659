using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AutoClassify.Dataset.Synthesis;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Bench;

/// <summary>
/// Issue 19's CNN-epoch lever: validation checks finer than the epoch, with patience counted in checks, against whole
/// epochs. LipNet-4 runs the benchmark pipeline on generated liposome crops at the thesis's ratios (as the
/// <c>thesis</c> suite generates them), same seed and folds, with the thesis suite's settings (an epoch the size of
/// the fitting set, patience 5, at most 40 epochs) under each regime: <c>v1</c> (one check per epoch, the old
/// regime), <c>vN</c> (N checks per epoch), <c>vNpP</c> (N checks, patience P) and <c>cosineE</c> (a cosine schedule
/// over a fixed E epochs, no early stop, the best check's weights kept). Prints per fold and over the folds accuracy,
/// macro-F1 and the minority classes' F1, the items trained and validated (the load-independent cost) and whether each
/// regime's means lie inside the first regime's 95 % interval (mean ± 1.96 SD / √folds).
/// Settings: <c>--count=2400 --folds=5 --epochs=40 --patience=5 --regimes=v1,v2,v4,cosine8 --seed=42 --threads=2</c>.
/// </summary>
internal sealed partial class EpochBench : IBenchSuite
{
    public string Name => "epochs";

    public string Description => "LipNet-4 per fold: validation checks per epoch (patience in checks) and a short cosine budget vs whole epochs, thesis ratios";

    public void Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RequireKnownSettings(Name, ["count", "folds", "epochs", "patience", "regimes", "seed", "threads"]);
        var count = options.Int("count", options.Quick ? 600 : 2400);
        var folds = options.Int("folds", options.Quick ? 3 : 5);
        var maxEpochs = options.Int("epochs", options.Quick ? 12 : 40);
        var patience = options.Int("patience", 5);
        var seed = options.Int("seed", 42);
        var threads = options.Int("threads", 2);
        var names = (options.Settings.GetValueOrDefault("regimes") ?? "v1,v2,v4,cosine8").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (folds < 2 || count < 100 || names.Length == 0)
            throw new ArgumentException("--folds must be at least 2, --count at least 100, and --regimes must name one regime or more.");
        var fitting = (int)(count * (folds - 1.0) / folds * (1 - CnnOptions.Defaults.ValidationFraction));
        var baseOptions = new CnnOptions { EpochSize = fitting, Patience = patience, MaxEpochs = maxEpochs, Threads = threads };
        var regimes = names.Select(n => (Name: n, Options: Regime(n, baseOptions))).ToList();

        var dir = Directory.CreateTempSubdirectory("ac-bench-epochs-").FullName;
        try
        {
            var synthesis = LiposomeSynthesizer.Generate(dir, new LiposomeSynthesisOptions { Count = count, UncertainFraction = 0.006, Seed = 11 });
            Console.WriteLine(F($"  {synthesis.Total} generated crops ({string.Join(" / ", synthesis.Classes.Select(c => $"{c.ClassName} {c.Count}"))}), {folds} folds (seed {seed}), LipNet-4, --epoch-size {fitting} --patience {patience} --epochs {maxEpochs}, {threads} thread(s)"));
            Console.WriteLine("  seconds are noise on a shared machine; items trained (forward + backward) and validated (forward only) are not");
            var results = new List<(string Name, ModelResult Model, double Seconds)>();
            IReadOnlyList<string> classes = [];
            foreach (var (name, cnn) in regimes)
            {
                var clock = Stopwatch.StartNew();
                var result = BenchmarkRunner.Run(new BenchmarkOptions
                {
                    DatasetPath = dir,
                    Folds = folds,
                    Seed = seed,
                    Threads = threads,
                    Models = ["lipnet4"],
                    ModelSettings = new ModelSettings { Cnn = cnn },
                });
                var model = result.Models.Single();
                results.Add((name, model, clock.Elapsed.TotalSeconds));
                classes = result.Dataset.ClassNames;
                PrintFolds(name, model, classes);
            }
            Summarise(results, folds, classes);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The options of a named regime on top of the thesis suite's: v1, vN, vNpP or cosineE.</summary>
    internal static CnnOptions Regime(string name, CnnOptions thesis)
    {
        if (ChecksPattern().Match(name) is { Success: true } checks)
        {
            var patience = checks.Groups[2].Success ? Number(checks.Groups[2].Value) : thesis.Patience;
            return thesis with { ValidationsPerEpoch = Number(checks.Groups[1].Value), Patience = patience };
        }
        if (CosinePattern().Match(name) is { Success: true } cosine)
        {
            // A fixed budget: the whole schedule always runs, and the best check's weights are kept.
            var epochs = Number(cosine.Groups[1].Value);
            return thesis with { Schedule = LearningRateSchedule.Cosine, MaxEpochs = epochs, Patience = epochs + 1 };
        }
        throw new ArgumentException($"Unknown regime '{name}': use v1 (whole epochs), vN (N checks per epoch), vNpP (and patience P) or cosineE (cosine over E epochs).");
    }

    static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex("^v([1-9][0-9]?)(?:p([1-9][0-9]?))?$")]
    private static partial Regex ChecksPattern();

    [GeneratedRegex("^cosine([1-9][0-9]?)$")]
    private static partial Regex CosinePattern();

    static void PrintFolds(string name, ModelResult model, IReadOnlyList<string> classes)
    {
        var minority = Minority(model);
        Console.WriteLine(F($"  {"regime",-8} {"fold",4} {"epochs",7} {"best",6} {"checks",6} {"trained",9} {"validated",9} {"train s",8} {"accuracy",9} {"macro-F1",9} {string.Join(" ", minority.Select(k => $"{"F1 " + classes[k],12}"))}"));
        foreach (var fold in model.Folds)
        {
            var facts = fold.Training.Facts;
            Console.WriteLine(F($"  {name,-8} {fold.Fold + 1,4} {facts.GetValueOrDefault("epochs_run"),7} {facts.GetValueOrDefault("best_epoch"),6} {facts.GetValueOrDefault("validations_run"),6} {Long(facts, "items_trained"),9} {Long(facts, "items_validated"),9} {fold.Training.TrainingTime.TotalSeconds,8:F0} {fold.Metrics.Accuracy,9:F3} {fold.Metrics.MacroF1,9:F3} {string.Join(" ", minority.Select(k => $"{fold.Metrics.PerClass[k].F1,12:F3}"))}"));
        }
    }

    static void Summarise(List<(string Name, ModelResult Model, double Seconds)> results, int folds, IReadOnlyList<string> classes)
    {
        var classesShown = Minority(results[0].Model);
        Console.WriteLine();
        Console.WriteLine(F($"  over {folds} folds: mean ± SD; per fold: items trained and validated; seconds per 1,000 items trained (fit time, validation included)"));
        Console.WriteLine(F($"  {"regime",-8} {"accuracy",13} {"macro-F1",13} {string.Join(" ", classesShown.Select(k => $"{"F1 " + classes[k],16}"))} {"trained",9} {"vs first",8} {"validated",9} {"s/1k tr",8} {"wall s",7}"));
        var firstTrained = Mean(results[0].Model, "items_trained");
        foreach (var (name, model, seconds) in results)
        {
            var trained = Mean(model, "items_trained");
            var validated = Mean(model, "items_validated");
            var trainRate = 1000 * model.Folds.Sum(f => f.Training.TrainingTime.TotalSeconds) / model.Folds.Sum(f => (double)Long(f.Training.Facts, "items_trained"));
            Console.WriteLine(F($"  {name,-8} {MeanSd(model.Folds.Select(f => f.Metrics.Accuracy)),13} {MeanSd(model.Folds.Select(f => f.Metrics.MacroF1)),13} {string.Join(" ", classesShown.Select(k => $"{MeanSd(model.Folds.Select(f => f.Metrics.PerClass[k].F1)),16}"))} {trained,9:F0} {trained / firstTrained,8:F2} {validated,9:F0} {trainRate,8:F2} {seconds,7:F0}"));
        }
        var (baseName, baseline, _) = results[0];
        var (accLow, accHigh) = Interval(baseline.Folds.Select(f => f.Metrics.Accuracy));
        var (f1Low, f1High) = Interval(baseline.Folds.Select(f => f.Metrics.MacroF1));
        Console.WriteLine(F($"  {baseName}'s 95 % interval of the mean: accuracy [{accLow:F3}, {accHigh:F3}], macro-F1 [{f1Low:F3}, {f1High:F3}]"));
        foreach (var (name, model, _) in results.Skip(1))
        {
            var acc = model.Folds.Average(f => f.Metrics.Accuracy);
            var f1 = model.Folds.Average(f => f.Metrics.MacroF1);
            var verdict = acc < accLow || f1 < f1Low ? "BELOW it" : acc > accHigh || f1 > f1High ? "at or above it" : "inside it";
            Console.WriteLine(F($"  {name,-8} accuracy {acc:F3}, macro-F1 {f1:F3}: {verdict}"));
        }
    }

    // Every class but the largest (the class order is alphabetical, not by size).
    static List<int> Minority(ModelResult model)
    {
        var support = model.Aggregate.PerClass.Select(c => c.TotalSupport).ToList();
        var majority = support.IndexOf(support.Max());
        return [.. Enumerable.Range(0, support.Count).Where(k => k != majority)];
    }

    static double Mean(ModelResult model, string fact) => model.Folds.Average(f => (double)Long(f.Training.Facts, fact));

    static (double Low, double High) Interval(IEnumerable<double> values)
    {
        var list = values.ToList();
        var half = 1.96 * Sd(list) / Math.Sqrt(list.Count);
        return (list.Average() - half, list.Average() + half);
    }

    static string MeanSd(IEnumerable<double> values)
    {
        var list = values.ToList();
        return F($"{list.Average():F3} ± {Sd(list):F3}");
    }

    static double Sd(List<double> values)
    {
        if (values.Count < 2)
            return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    static long Long(Dictionary<string, string> facts, string key) =>
        long.TryParse(facts.GetValueOrDefault(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
