using AutoClassify.Evaluation;
using AutoClassify.IO;
using CsvHelper;

namespace AutoClassify.Reporting;

/// <summary>
/// Writes <c>folds.csv</c>: the test fold of every image (columns path, class, fold), folds counted from 1 as in the
/// report and predictions.csv, so another tool can repeat the exact split.
/// </summary>
public sealed class FoldsCsvExporter : IReportExporter
{
    public const string FileName = "folds.csv";

    public string Name => "folds";

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
        using var csv = CsvWriter.Create(stream, CsvCells.WriterOptions, leaveOpen: true);
        csv.WriteHeader(["path", "class", "fold"]);
        foreach (var item in result.Items)
        {
            csv.WriteField(CsvCells.Protect(item.Path));
            csv.WriteField(CsvCells.Protect(item.ClassName));
            csv.WriteField(item.Fold + 1, default);
            csv.EndRecord();
        }
    }
}
