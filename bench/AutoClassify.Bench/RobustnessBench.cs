using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Tiling;

namespace AutoClassify.Bench;

/// <summary>
/// Issue 19's fragile regime: tiled LipNet-4 on whole SEM fields (<c>--tile 160 --input-size 32 --epoch-size 1200
/// --epochs 40 --patience 8</c>), 5 folds, over several seeds, with the plain validation-loss stopping and no warm-up
/// (the old regime) beside the chance guard and warm-up (the new one). Prints every fold's image accuracy, the
/// spread, and the folds that ended at chance. Uses ncm-sem-6 (../shared/datasets) when present, else generated fields.
/// </summary>
internal sealed class RobustnessBench : IBenchSuite
{
    public string Name => "robust";

    public string Description => "tiled LipNet-4 (tile 160, input 32, epoch 1200, patience 8) over seeds, old vs new stopping: per-fold spread, folds at chance; --seeds=1,2,3 --regimes=old,new";

    public void Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RequireKnownSettings(Name, ["seeds", "regimes"]);
        var ncm = Path.Combine(options.SharedRoot, "datasets", "ncm-sem-6");
        var work = Directory.CreateTempSubdirectory("ac-bench-robust-");
        try
        {
            var data = Directory.Exists(ncm) ? ncm : Generate(work.FullName, options.Quick);
            var seeds = options.Settings.TryGetValue("seeds", out var seedList)
                ? seedList.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray()
                : options.Quick ? [1, 2] : [1, 2, 3, 4, 5];
            var wanted = options.Settings.TryGetValue("regimes", out var regimeList) ? regimeList.Split(',') : ["old", "new"];
            var epochs = options.Quick ? 12 : 40;
            Console.WriteLine(F($"  data {data}; lipnet4 --tile 160 --input-size 32 --epoch-size 1200 --epochs {epochs} --patience 8, 5 folds, seeds {string.Join(",", seeds)}"));
            var regimes = new (string Key, string Description, CnnOptions Options)[]
            {
                ("old", "loss-only stopping, no warm-up", Regime(epochs) with { GuardChance = false, LearningRateWarmupEpochs = 0 }),
                ("new", "chance guard, 1-epoch warm-up", Regime(epochs)),
            };
            if (wanted.Except(regimes.Select(r => r.Key)).FirstOrDefault() is { } unknown)
                throw new ArgumentException($"--regimes: '{unknown}' is not old or new.");
            foreach (var (key, description, cnn) in regimes.Where(r => wanted.Contains(r.Key)))
            {
                var name = $"{key}: {description}";
                Console.WriteLine($"  -- {name}");
                var all = new List<double>();
                var atChance = 0;
                foreach (var seed in seeds)
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var result = BenchmarkRunner.Run(new BenchmarkOptions
                    {
                        DatasetPath = data,
                        Folds = 5,
                        Seed = seed,
                        Models = ["lipnet4"],
                        Tile = TileSpec.Parse("160"),
                        ModelSettings = new ModelSettings { Cnn = cnn },
                    });
                    var model = result.Models.Single();
                    var chance = 1.0 / result.Dataset.ClassNames.Count;
                    var folds = model.Folds.Select(f => f.Metrics.Accuracy).ToList();
                    // A fold "at chance" is within 1.5x of guessing, as the issue's 0.08 and 0.13 with 12 classes were.
                    var low = folds.Count(a => a < 1.5 * chance);
                    atChance += low;
                    all.AddRange(folds);
                    var guarded = model.Folds.Count(f => f.Training.Facts.GetValueOrDefault("best_epoch_beats_chance") == "false");
                    Console.WriteLine(F($"    seed {seed}: image accuracy per fold {string.Join(" ", folds.Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))}; mean {model.Aggregate.Accuracy.Mean:F3} ± {model.Aggregate.Accuracy.Sd:F3}; folds at chance {low}; fits that never beat chance on validation {guarded}; {clock.Elapsed.TotalMinutes:F1} min"));
                }
                var mean = all.Average();
                var sd = Math.Sqrt(all.Sum(a => (a - mean) * (a - mean)) / Math.Max(1, all.Count - 1));
                Console.WriteLine(F($"    all {all.Count} folds: mean {mean:F3}, sd {sd:F3}, min {all.Min():F3}, max {all.Max():F3}; folds at chance {atChance} of {all.Count}"));
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    static CnnOptions Regime(int epochs) => new()
    {
        Model = "lipnet4",
        InputSize = 32,
        EpochSize = 1200,
        MaxEpochs = epochs,
        Patience = 8,
        Augmentation = AugmentationOptions.Field,
    };

    // Three classes of generated fields, told apart by the density of their disks.
    static string Generate(string work, bool quick)
    {
        var root = Path.Combine(work, "fields");
        for (var c = 0; c < 3; c++)
        {
            var dir = Path.Combine(root, F($"density{c}"));
            Directory.CreateDirectory(dir);
            for (var i = 0; i < (quick ? 12 : 30); i++)
            {
                var field = SegmentBench.MakeField(1000 * c + i);
                var pixels = field.Pixels;
                // Thin the disks class by class: a field of class c keeps every (c + 1)-th bright row band.
                for (var y = 0; y < field.Height; y++)
                {
                    if (y / 40 % (c + 1) != 0)
                        Array.Fill(pixels, pixels[y * field.Width], y * field.Width, field.Width);
                }
                PngWriter.Write(Path.Combine(dir, F($"f{i:D2}.png")), field);
            }
        }
        return root;
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
