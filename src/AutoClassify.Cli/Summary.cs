using System.Globalization;
using AutoClassify.Evaluation;

namespace AutoClassify.Cli;

/// <summary>The few lines a benchmark prints when it is done.</summary>
internal static class Summary
{
    internal static void Print(TextWriter output, BenchmarkResult result, string outDir)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var model in result.Models)
        {
            var a = model.Aggregate;
            output.WriteLine(string.Create(inv,
                $"{model.Name,-10} accuracy {a.Accuracy.Mean:F3} ± {a.Accuracy.Sd:F3}   macro-F1 {a.MacroF1.Mean:F3} ± {a.MacroF1.Sd:F3}   balanced accuracy {a.BalancedAccuracy.Mean:F3} ± {a.BalancedAccuracy.Sd:F3}"));
            if (model.TileLevel?.Aggregate is { } t)
            {
                output.WriteLine(string.Create(inv,
                    $"{"  (tiles)",-10} accuracy {t.Accuracy.Mean:F3} ± {t.Accuracy.Sd:F3}   macro-F1 {t.MacroF1.Mean:F3} ± {t.MacroF1.Sd:F3}   balanced accuracy {t.BalancedAccuracy.Mean:F3} ± {t.BalancedAccuracy.Sd:F3}"));
            }
            foreach (var fold in model.Folds)
            {
                if (fold.Training.Trials.FirstOrDefault(trial => trial.Winner) is { } winner)
                {
                    output.WriteLine(string.Create(inv,
                        $"  fold {fold.Fold + 1}: {winner.Family}{(winner.Representation.Length > 0 ? " on " + winner.Representation : "")} ({winner.FormatSettings()}) of {fold.Training.Trials.Count} trials, inner macro-F1 {winner.ValidationMacroF1:F3}, outer macro-F1 {fold.Metrics.MacroF1:F3}"));
                }
            }
        }
        output.WriteLine(string.Create(inv, $"Wall time {result.Settings.WallTime.TotalSeconds:F1} s. Report: {Path.GetFullPath(Path.Combine(outDir, "index.html"))}"));
    }
}
