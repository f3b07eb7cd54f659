using System.Globalization;
using System.Text;
using AutoClassify.Evaluation;
using AutoClassify.IO;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>
/// Writes <c>figures/</c>: every model's confusion matrices, ROC, precision-recall and reliability charts, and its mean
/// training curves across folds, each as a standalone SVG with axis labels, units and a legend in words.
/// </summary>
public sealed class FiguresExporter : IReportExporter
{
    public const string FolderName = "figures";

    static readonly string[] Colors = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];

    public string Name => "figures";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        var dir = Path.Combine(outDir, FolderName);
        Directory.CreateDirectory(dir);
        foreach (var (file, svg) in Render(result))
            AtomicFile.WriteAllText(Path.Combine(dir, file), svg);
    }

    /// <summary>Every figure of the run as (file name, SVG text).</summary>
    internal static List<(string File, string Svg)> Render(BenchmarkResult result)
    {
        var classes = result.Dataset.ClassNames;
        var figures = new List<(string, string)>();
        foreach (var model in result.Models)
        {
            var slug = Slug(model.Name);
            var a = model.Aggregate;
            figures.Add(($"{slug}-confusion-counts.svg", SvgFigures.Confusion(classes, (t, p) =>
            {
                var row = t < a.ConfusionSum.Length ? a.ConfusionSum[t] : [];
                var sum = row.Sum();
                var value = p < row.Length ? row[p] : 0;
                return (Int(value), sum == 0 ? 0 : (double)value / sum);
            }, $"{model.Name}: confusion matrix, images summed over {Int(model.Folds.Count)} test folds")));
            figures.Add(($"{slug}-confusion-normalised.svg", SvgFigures.Confusion(classes, (t, p) =>
            {
                var share = t < a.ConfusionRowNormalizedMean.Length && p < a.ConfusionRowNormalizedMean[t].Length ? a.ConfusionRowNormalizedMean[t][p] : double.NaN;
                return (Num(share, 2), share);
            }, $"{model.Name}: confusion matrix, row shares averaged over folds")));

            if (model.Evidence is { } e)
            {
                var roc = e.PerClass.Select((c, k) => new XySeries(ClassName(classes, k), c.Roc.FalsePositiveRate, c.Roc.TruePositiveRate, Color(k))).ToList();
                figures.Add(($"{slug}-roc.svg", SvgFigures.Wrap(
                    SvgXyChart.Render(roc, (0, 1), (0, 1), "false positive rate (1 − specificity)", "true positive rate (sensitivity)", $"{model.Name}: ROC curves", diagonal: true, width: 360),
                    $"{model.Name}: ROC, one class against the rest (pooled out-of-fold)",
                    e.PerClass.Select((c, k) => ($"{ClassName(classes, k)}: AUC {Num(c.Auc.Mean)} ± {Num(c.Auc.Sd)} (mean ± SD over folds)", Color(k), false)).ToList(), 420)));
                var pr = e.PerClass.Select((c, k) => new XySeries(ClassName(classes, k), c.PrecisionRecall.Recall, c.PrecisionRecall.Precision, Color(k), Steps: true)).ToList();
                figures.Add(($"{slug}-precision-recall.svg", SvgFigures.Wrap(
                    SvgXyChart.Render(pr, (0, 1), (0, 1), "recall (sensitivity)", "precision (positive predictive value)", $"{model.Name}: precision-recall curves", diagonal: false, width: 360),
                    $"{model.Name}: precision-recall, one class against the rest (pooled out-of-fold)",
                    e.PerClass.Select((c, k) => ($"{ClassName(classes, k)}: average precision {Num(c.AveragePrecision.Mean)} ± {Num(c.AveragePrecision.Sd)}", Color(k), false)).ToList(), 420)));
                var bins = e.Calibration.Bins.Where(b => b.Count > 0).ToList();
                var reliability = new List<XySeries> { new("accuracy per confidence bin", bins.Select(b => b.MeanConfidence).ToArray(), bins.Select(b => b.Accuracy).ToArray(), Color(0), Markers: true) };
                figures.Add(($"{slug}-reliability.svg", SvgFigures.Wrap(
                    SvgXyChart.Render(reliability, (0, 1), (0, 1), "confidence (probability of the predicted class)", "accuracy (fraction correct)", $"{model.Name}: reliability diagram", diagonal: true, width: 360),
                    $"{model.Name}: reliability, 10 confidence bins (pooled out-of-fold)",
                    [($"accuracy per bin; ECE {Num(e.Calibration.Ece)}, MCE {Num(e.Calibration.Mce)}, Brier {Num(e.Calibration.Brier)}", Color(0), false), ("dotted diagonal: perfect calibration", "#999999", true)], 420)));
            }

            var keys = model.Folds.SelectMany(f => f.Training.Curves.Keys).Distinct().ToList();
            int? best = MedianBestEpoch(model);
            foreach (var family in keys.GroupBy(Family).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var members = family.OrderBy(k => k.Contains("val", StringComparison.OrdinalIgnoreCase)).ThenBy(k => k, StringComparer.Ordinal).ToList();
                var series = members.Select((k, i) => new FoldCurves(CurveNames.Series(k),
                    model.Folds.Select(f => f.Training.Curves.TryGetValue(k, out var v) ? v : []).ToList(),
                    Color(i), k.Contains("val", StringComparison.OrdinalIgnoreCase))).ToList();
                figures.Add(($"{slug}-training-{Slug(family.Key)}.svg", SvgFigures.MeanCurves(series, CurveNames.Axis(family.Key),
                    $"{model.Name}: {CurveNames.Family(family.Key)} per epoch, mean over {Int(model.Folds.Count)} folds", family.Key == "epoch_seconds" ? null : best)));
            }
        }
        return figures;
    }

    static int? MedianBestEpoch(ModelResult model)
    {
        var epochs = model.Folds.Select(f => HtmlReport.BestCurvePoint(f.Training.Facts))
            .OfType<int>().Order().ToList();
        return epochs.Count == 0 ? null : epochs[(epochs.Count - 1) / 2];
    }

    static string Family(string key) =>
        key.Contains("loss", StringComparison.OrdinalIgnoreCase) ? "loss"
        : key.Contains("acc", StringComparison.OrdinalIgnoreCase) ? "accuracy"
        : key;

    static string Color(int k) => Colors[k % Colors.Length];

    static string ClassName(List<string> classes, int k) => k < classes.Count ? classes[k] : $"class {Int(k)}";

    /// <summary>A file-name-safe form of a name: lower-case letters, digits and dashes.</summary>
    internal static string Slug(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
            sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        var slug = sb.ToString().Trim('-');
        return slug.Length == 0 ? "model" : slug;
    }
}
