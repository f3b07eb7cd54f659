using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Dataset.Synthesis;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Preprocessing;

namespace AutoClassify.Bench;

/// <summary>
/// The levers of issue 19, each beside the regime it replaces, in one process: (a) the SVM grid exhaustive against
/// coarse-to-fine (cells, time per cell, chosen cell and score); (b) LipNet-4 on a skewed fold with the natural
/// oversampled epoch and no warm-up (the old default), the bounded epoch with warm-up (the new default) and the
/// bounded epoch with a cosine schedule (epochs, seconds, held-out figures); (c) the share of the CPU's GEMM peak
/// that LipNet-4 training steps reach (<see cref="GemmPeakShare"/>). Wall times on a shared machine are noise: compare the ratios on an idle one.
/// </summary>
internal sealed class SpeedBench : IBenchSuite
{
    public string Name => "speed";

    public string Description => "issue 19 levers side by side: SVM grid exhaustive vs coarse-to-fine; LipNet-4 epoch budget and LR schedule; GEMM peak share";

    public void Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SvmGrid(options.Quick);
        Console.WriteLine();
        CnnEpochs(options.Quick);
        Console.WriteLine();
        Console.WriteLine("(c) share of the CPU's peak reached by LipNet-4 training steps (also alone: bench peak)");
        GemmPeakShare.Run(options.Quick);
    }

    static void SvmGrid(bool quick)
    {
        var rows = quick ? 400 : 1500;
        var data = SvmBench.FeatureLikeData(rows, seed: 4);
        var all = Enumerable.Range(0, rows).ToArray();
        var threads = Environment.ProcessorCount;
        Console.WriteLine(F($"(a) SVM grid 11 x 10 (log2 C -5..15, log2 gamma -15..3), 3 inner folds, {rows} rows x 90 features, {threads} threads, decision labels (no -b 1) per cell"));
        Console.WriteLine(F($"    {"search",-15} {"cells",6} {"wall s",8} {"s/cell",8} {"fit cpu s",10} {"best log2 C, log2 g",20} {"inner macro-F1",15}"));
        var results = new List<SvmGridResult>();
        foreach (var search in new[] { SvmSearch.Exhaustive, SvmSearch.CoarseToFine })
        {
            var grid = new SvmTrainer(new SvmOptions { Search = search }).SearchGrid(data, all, new TrainingContext { Seed = 5, Threads = threads });
            results.Add(grid);
            Console.WriteLine(F($"    {(search == SvmSearch.Exhaustive ? "exhaustive" : "coarse-to-fine"),-15} {grid.Cells.Count,6} {grid.Elapsed.TotalSeconds,8:F1} {grid.SecondsPerCell,8:F3} {grid.FitSeconds,10:F1} {$"{grid.Best.Log2C}, {grid.Best.Log2Gamma}",20} {grid.Best.MacroF1,15:F4}"));
        }
        var (full, fine) = (results[0], results[1]);
        Console.WriteLine(F($"    coarse-to-fine / exhaustive: wall {fine.Elapsed / full.Elapsed:F2}x, cells {fine.Cells.Count / (double)full.Cells.Count:F2}x; same cell: {(fine.Best == full.Best ? "yes" : "no")}, same score: {(fine.Best.MacroF1 == full.Best.MacroF1 ? "yes" : "NO")}"));
    }

    static void CnnEpochs(bool quick)
    {
        var count = quick ? 700 : 3000;
        var dir = Directory.CreateTempSubdirectory("ac-bench-speed-").FullName;
        try
        {
            LiposomeSynthesizer.Generate(dir, new LiposomeSynthesisOptions { Count = count, UncertainFraction = 0.006, Seed = 19 });
            var dataset = DatasetLoader.Load(dir, new DatasetOptions { Folds = 5, Threads = Environment.ProcessorCount });
            var prepared = ImagePreparation.PrepareAll(dataset, CropMargins.None, Environment.ProcessorCount);
            var data = TrainingData.FromPrepared(dataset, prepared, withImages: true, withFeatures: false, Environment.ProcessorCount);
            var (train, test) = StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, 5, 42), 0);
            var epochs = quick ? 10 : 40;
            Console.WriteLine(F($"(b) LipNet-4 on fold 1 of 5 of {count} generated crops ({string.Join(" / ", data.Labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()))}), up to {epochs} epochs, patience 5, {Environment.ProcessorCount} threads"));
            Console.WriteLine(F($"    {"regime",-34} {"items/epoch",11} {"epochs",7} {"best",5} {"s/epoch",8} {"train s",8} {"accuracy",9} {"macro-F1",9}"));
            var regimes = new (string Name, CnnOptions Options)[]
            {
                ("natural epoch, constant LR (old)", new CnnOptions { EpochSize = 0, LearningRateWarmupEpochs = 0, MaxEpochs = epochs, Patience = 5 }),
                ("bounded epoch, warm-up (new)", new CnnOptions { MaxEpochs = epochs, Patience = 5 }),
                ("bounded epoch, warm-up + cosine", new CnnOptions { Schedule = LearningRateSchedule.Cosine, MaxEpochs = epochs, Patience = 5 }),
            };
            var seconds = new List<double>();
            foreach (var (name, cnn) in regimes)
            {
                var clock = Stopwatch.StartNew();
                using var model = new CnnTrainer(cnn).Train(data, train, new TrainingContext { Seed = 7 });
                var trainSeconds = clock.Elapsed.TotalSeconds;
                var probabilities = model.PredictProbabilities(data, test);
                var confusion = new ConfusionMatrix(data.ClassCount);
                for (var i = 0; i < test.Length; i++)
                    confusion.Counts[data.Labels[test[i]], Array.IndexOf(probabilities[i], probabilities[i].Max())]++;
                var facts = model.Summary.Facts;
                var epochSeconds = model.Summary.Curves["epoch_seconds"];
                var items = int.Parse(facts["epoch_items"], CultureInfo.InvariantCulture);
                seconds.Add(trainSeconds);
                Console.WriteLine(F($"    {name,-34} {items,11} {facts["epochs_run"],7} {facts["best_epoch"],5} {epochSeconds.Average(),8:F1} {trainSeconds,8:F0} {confusion.Accuracy(),9:F3} {confusion.MacroF1(),9:F3}"));
            }
            Console.WriteLine(F($"    training time new / old: {seconds[1] / seconds[0]:F2}x (cosine: {seconds[2] / seconds[0]:F2}x); one fold, one seed: the figures' spread needs the thesis suite's 5 folds"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
