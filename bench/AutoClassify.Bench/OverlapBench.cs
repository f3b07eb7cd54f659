using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Dataset.Synthesis;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Preprocessing;

namespace AutoClassify.Bench;

/// <summary>
/// Issue 19's overlap lever, measured before the benchmark runner is changed: the SVM arm (handcrafted features, then
/// the grid search and final fit of every fold) and the LipNet-4 arm (every fold) run one after the other on all
/// cores, as the runner does now, and then side by side with the cores split between them. Same data, folds and
/// seeds; the probabilities of every test item must come out bit-identical, or the overlap would change the
/// figures. The load average is printed beside the times: on a shared machine the ratio is noise.
/// </summary>
internal sealed class OverlapBench : IBenchSuite
{
    public string Name => "overlap";

    public string Description => "SVM arm and LipNet-4 arm serial on all cores vs overlapped on split cores: wall ratio and identical results (issue 19)";

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
            var dataset = DatasetLoader.Load(dir, new DatasetOptions { Folds = folds, Threads = cores });
            var prepared = ImagePreparation.PrepareAll(dataset, CropMargins.None, cores);
            var assignment = StratifiedKFold.Assign(dataset.Labels, folds, 42);
            var cnn = new CnnOptions { MaxEpochs = options.Quick ? 4 : 15, Patience = 5 };
            Console.WriteLine(F($"  {count} generated crops, {folds} folds, svm (coarse-to-fine grid) and lipnet4 (up to {cnn.MaxEpochs} epochs), {cores} cores"));
            Console.WriteLine(F($"  load average before: {LoadAverage()}"));

            var clock = Stopwatch.StartNew();
            var serialSvm = SvmArm(dataset, prepared, assignment, folds, cores);
            var svmSeconds = clock.Elapsed.TotalSeconds;
            var serialCnn = CnnArm(dataset, prepared, assignment, folds, cnn, cores);
            var serial = clock.Elapsed.TotalSeconds;
            Console.WriteLine(F($"  serial, {cores} threads each:    {serial,7:F1} s (svm {svmSeconds:F1} s, lipnet4 {serial - svmSeconds:F1} s), load average {LoadAverage()}"));

            // Split the cores: the SVM arm gets one, the network the rest (one on a 2-core machine).
            var svmThreads = 1;
            var cnnThreads = Math.Max(1, cores - svmThreads);
            clock.Restart();
            var svmTask = Task.Factory.StartNew(() => SvmArm(dataset, prepared, assignment, folds, svmThreads), TaskCreationOptions.LongRunning);
            var cnnTask = Task.Factory.StartNew(() => CnnArm(dataset, prepared, assignment, folds, cnn, cnnThreads), TaskCreationOptions.LongRunning);
            Task.WaitAll(svmTask, cnnTask);
            var overlapped = clock.Elapsed.TotalSeconds;
            Console.WriteLine(F($"  overlapped, svm {svmThreads} / lipnet4 {cnnThreads} thread(s): {overlapped,7:F1} s, load average {LoadAverage()}"));

            var svmSame = Same(serialSvm, svmTask.Result);
            var cnnSame = Same(serialCnn, cnnTask.Result);
            Console.WriteLine(F($"  overlapped / serial wall: {overlapped / serial:F2}x; identical probabilities: svm {(svmSame ? "yes" : "NO")}, lipnet4 {(cnnSame ? "yes" : "NO")}"));
            Console.WriteLine(svmSame && cnnSame
                ? "  the overlap keeps every number; it pays only if the ratio stays below 1 on an idle machine"
                : "  the overlap changes numbers (thread count reaches the results), so it cannot be the default as it stands");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Features, then each fold's grid search, final fit and test probabilities, on `threads` threads.
    static double[][][] SvmArm(LabeledDataset dataset, PreparedImage[] prepared, int[] assignment, int folds, int threads)
    {
        var data = TrainingData.FromPrepared(dataset, prepared, withImages: false, withFeatures: true, threads);
        return Folds(data, assignment, folds, threads, "svm", () => new SvmTrainer(new SvmOptions()));
    }

    static double[][][] CnnArm(LabeledDataset dataset, PreparedImage[] prepared, int[] assignment, int folds, CnnOptions cnn, int threads)
    {
        var data = TrainingData.FromPrepared(dataset, prepared, withImages: true, withFeatures: false, threads);
        return Folds(data, assignment, folds, threads, "lipnet4", () => new CnnTrainer(cnn));
    }

    static double[][][] Folds(TrainingData data, int[] assignment, int folds, int threads, string name, Func<IModelTrainer> create)
    {
        var result = new double[folds][][];
        for (var fold = 0; fold < folds; fold++)
        {
            var (train, test) = StratifiedKFold.Split(assignment, fold);
            using var model = create().Train(data, train, new TrainingContext { Seed = Seeds.Derive(42, name, fold), Threads = threads });
            result[fold] = model.PredictProbabilities(data, test);
        }
        return result;
    }

    static bool Same(double[][][] a, double[][][] b) =>
        a.Length == b.Length && a.Zip(b).All(f => f.First.Length == f.Second.Length && f.First.Zip(f.Second).All(p => p.First.SequenceEqual(p.Second)));

    static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
