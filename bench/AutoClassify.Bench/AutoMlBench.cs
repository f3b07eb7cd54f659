using System.Diagnostics;
using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;

namespace AutoClassify.Bench;

/// <summary>
/// Issue 18's figure: <c>benchmark ncm-sem-6 --models svm-field,auto --time-budget 15m --folds 5 --seed 42</c>, 2
/// threads: the outer accuracy and macro-F1 of AutoML against the best hand-picked model there (svm-field), and what
/// each outer fold's search chose and why. <c>--quick</c> is a smoke run: 12 images per class, 3 folds, a 3m budget.
/// Long (the full run takes the budget plus svm-field's ~5 minutes); run it alone on a quiet machine.
/// </summary>
internal sealed class AutoMlBench : IBenchSuite
{
    const int Threads = 2;

    public string Name => "automl";

    public string Description => "ncm-sem-6: --auto --time-budget 15m against svm-field, 5 folds, and what each fold chose (--quick: a 3m smoke run on a subset)";

    public void Run(BenchOptions options)
    {
        var ncm = Path.Combine(options.SharedRoot, "datasets", "ncm-sem-6");
        if (!Directory.Exists(ncm))
        {
            Console.WriteLine($"skipped: {ncm} is missing");
            return;
        }
        var work = Directory.CreateTempSubdirectory("ac-bench-automl-");
        try
        {
            var dataset = options.Quick ? Subset(ncm, work.FullName, perClass: 12) : ncm;
            var (folds, budget) = options.Quick ? (3, TimeSpan.FromMinutes(3)) : (5, TimeSpan.FromMinutes(15));
            var clock = Stopwatch.StartNew();
            var result = BenchmarkRunner.Run(new BenchmarkOptions
            {
                DatasetPath = dataset,
                Folds = folds,
                Seed = 42,
                Threads = Threads,
                Models = ["svm-field", AutoMlTrainer.ModelName],
                ModelSettings = new ModelSettings
                {
                    AutoMl = new AutoMlOptions { TimeBudget = AutoMlOptions.SplitBudget(budget, folds), BudgetShares = folds },
                },
                CommandLine = "bench automl",
            });
            Console.WriteLine(Invariant($"{dataset}: {result.Items.Count} images, {folds} folds, --time-budget {TimeBudget.Format(budget)}, {Threads} threads, {clock.Elapsed.TotalMinutes:F1} min"));
            Console.WriteLine($"{"model",-10} {"accuracy",15} {"macro-F1",15}");
            foreach (var model in result.Models)
                Console.WriteLine(Invariant($"{model.Name,-10} {Format(model.Aggregate.Accuracy),15} {Format(model.Aggregate.MacroF1),15}"));
            foreach (var fold in result.Models.Single(m => m.Name == AutoMlTrainer.ModelName).Folds)
            {
                var facts = fold.Training.Facts;
                Console.WriteLine(Invariant(
                    $"fold {fold.Fold + 1}: accuracy {fold.Metrics.Accuracy:F3}; {facts.GetValueOrDefault("automl_choice")} Ended: {facts.GetValueOrDefault("automl_stopped_by")}; {facts.GetValueOrDefault("automl_trials")} trials in {facts.GetValueOrDefault("automl_search_seconds")} s."));
                Console.WriteLine("  time: " + facts.GetValueOrDefault("automl_time_by_pipeline"));
                if (facts.TryGetValue("automl_notes", out var notes))
                    Console.WriteLine("  notes: " + notes);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    static string Format(MeanSd value) => Invariant($"{value.Mean:F3} ± {value.Sd:F3}");

    /// <summary>The first <paramref name="perClass"/> images of every class, copied into class folders under <paramref name="work"/> (the loader refuses links that leave the data tree).</summary>
    static string Subset(string source, string work, int perClass)
    {
        var root = Path.Combine(work, "ncm-subset");
        foreach (var dir in Directory.GetDirectories(source).Order(StringComparer.Ordinal))
        {
            var target = Path.Combine(root, Path.GetFileName(dir));
            Directory.CreateDirectory(target);
            foreach (var image in Directory.GetFiles(dir).Order(StringComparer.Ordinal).Take(perClass))
                File.Copy(image, Path.Combine(target, Path.GetFileName(image)));
        }
        return root;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
