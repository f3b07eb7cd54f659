using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.IO;
using CsvHelper;

namespace AutoClassify.Reporting;

/// <summary>
/// Writes <c>predictions.csv</c>: one row per image per model with its out-of-fold prediction and class
/// probabilities (columns model, path, fold, true_class, predicted_class, p_&lt;class&gt;...). Folds are 1-based as in the report.
/// </summary>
public sealed class PredictionsCsvExporter : IReportExporter
{
    public const string FileName = "predictions.csv";

    // RFC 4180 with the invariant culture (doubles as the shortest text that round-trips), formulas neutralised.
    static readonly CsvWriterOptions Options = CsvCells.WriterOptions;

    public string Name => "csv";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        AtomicFile.Write(Path.Combine(outDir, FileName), stream => Write(result, stream));
    }

    /// <summary>Writes the CSV to <paramref name="stream"/> (left open).</summary>
    public static void Write(BenchmarkResult result, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stream);
        var classes = result.Dataset.ClassNames;
        using var csv = CsvWriter.Create(stream, Options, leaveOpen: true);

        string[] fixedColumns = ["model", "path", "fold", "true_class", "predicted_class"];
        csv.WriteHeader([.. fixedColumns, .. classes.Select(name => "p_" + name)]);

        foreach (var model in result.Models)
        {
            foreach (var p in model.Predictions)
            {
                if ((uint)p.Item >= (uint)result.Items.Count)
                    throw new InvalidOperationException($"Model '{model.Name}' has a prediction for item {p.Item}, but the result lists {result.Items.Count} items.");
                if (p.Probabilities.Length != classes.Count)
                    throw new InvalidOperationException($"Model '{model.Name}', item {p.Item}: {p.Probabilities.Length} probabilities for {classes.Count} classes.");
                csv.WriteField(CsvCells.Protect(model.Name));
                csv.WriteField(CsvCells.Protect(result.Items[p.Item].Path));
                csv.WriteField(p.Fold + 1, default);
                csv.WriteField(CsvCells.Protect(classes[p.TrueLabel]));
                csv.WriteField(CsvCells.Protect(classes[p.PredictedLabel]));
                foreach (var probability in p.Probabilities)
                    csv.WriteField(probability, default);
                csv.EndRecord();
            }
        }
    }
}
