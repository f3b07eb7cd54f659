using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset.Synthesis;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Bench;

/// <summary>
/// Issue 19's overlap lever, through the benchmark runner: the same svm + lipnet4 run with <c>--no-overlap</c> (the
/// models one after another on all cores) and with the default overlap (the SVM beside the network, the network on
/// cores − 1 threads). Same data, folds and seeds. The SVM's probabilities must equal the serial run's bit for bit,
/// and the network's those of a serial run on the rule's thread count (a third, untimed run of the network alone);
/// otherwise the overlap would change the figures. The load average is printed beside the times: on a shared machine
/// the ratio is noise, the identity check is not.
/// </summary>
internal sealed class OverlapBench : IBenchSuite
{
    public string Name => "overlap";

    public string Description => "benchmark runner: svm + lipnet4 with --no-overlap vs overlapped (network on cores - 1 threads): wall ratio and identical results (issue 19)";

    public void Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var count = options.Quick ? 400 : 1500;
        var folds = options.Quick ? 2 : 5;
        var cores = Environment.ProcessorCount;
        var dir = Directory.CreateTempSubdirectory("ac-bench-overlap-").FullName;
        try
        {
            LiposomeSynthesizer.Generate(dir, new LiposomeSynthesisOptions { Count = count, UncertainFraction = 0.006, Seed = 23 });
            var cnn = new CnnOptions { MaxEpochs = options.Quick ? 4 : 15, Patience = 5 };
            BenchmarkOptions Options(bool overlap, IReadOnlyList<string> models, int cnnThreads = 0) => new()
            {
                DatasetPath = dir,
                Folds = folds,
                Seed = 42,
                Models = models,
                Overlap = overlap,
                OverlapMinImages = 0,
                ModelSettings = new ModelSettings { Cnn = cnn with { Threads = cnnThreads } },
            };
            var plan = ModelOverlap.Plan(Options(overlap: true, ["svm", "lipnet4"]), count);
            Console.WriteLine(F($"  {count} generated crops, {folds} folds, svm (coarse-to-fine grid) and lipnet4 (up to {cnn.MaxEpochs} epochs), {cores} cores"));
            Console.WriteLine(F($"  overlap {plan.Describe(asked: true)}"));
            Console.WriteLine(F($"  load average before: {LoadAverage.Now()}"));

            var clock = Stopwatch.StartNew();
            var serial = BenchmarkRunner.Run(Options(overlap: false, ["svm", "lipnet4"]));
            var serialSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(F($"  --no-overlap, {cores} threads each:  {serialSeconds,7:F1} s ({Busy(serial, "svm")}, {Busy(serial, "lipnet4")}), load average {LoadAverage.Now()}"));

            clock.Restart();
            var overlapped = BenchmarkRunner.Run(Options(overlap: true, ["svm", "lipnet4"]));
            var overlappedSeconds = clock.Elapsed.TotalSeconds;
            var arms = overlapped.Timing?.SingleOrDefault(r => r.Stage == ModelArms.WallStage)?.Seconds ?? double.NaN;
            Console.WriteLine(F($"  overlapped, lipnet4 on {plan.NetworkThreads}: {overlappedSeconds,7:F1} s ({Busy(overlapped, "svm")}, {Busy(overlapped, "lipnet4")}, both arms {arms:F1} s wall), load average {LoadAverage.Now()}"));

            // The network's reference: a serial run of it alone on the rule's thread count (not timed).
            var reference = plan.Enabled ? BenchmarkRunner.Run(Options(overlap: false, ["lipnet4"], cnnThreads: plan.NetworkThreads)) : serial;
            var svmSame = Same(serial, overlapped, "svm");
            var cnnSame = Same(reference, overlapped, "lipnet4");
            Console.WriteLine(F($"  overlapped / serial wall: {overlappedSeconds / serialSeconds:F2}x; identical probabilities: svm (vs --no-overlap) {(svmSame ? "yes" : "NO")}, lipnet4 (vs serial on {plan.NetworkThreads} thread(s)) {(cnnSame ? "yes" : "NO")}"));
            Console.WriteLine(svmSame && cnnSame
                ? "  the overlap keeps every number; it pays only if the ratio stays below 1 on an idle machine"
                : "  the overlap changes numbers: it must not be the default as it stands");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static string Busy(BenchmarkResult result, string model) =>
        F($"{model} busy {result.Timing?.Where(r => r.Model == model).Sum(r => r.Seconds) ?? double.NaN:F1} s");

    static bool Same(BenchmarkResult a, BenchmarkResult b, string model)
    {
        var (x, y) = (a.Models.Single(m => m.Name == model).Predictions, b.Models.Single(m => m.Name == model).Predictions);
        return x.Count == y.Count && x.Zip(y).All(p => p.First.Item == p.Second.Item && p.First.Probabilities.SequenceEqual(p.Second.Probabilities));
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
