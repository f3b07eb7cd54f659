using AutoClassify.Evaluation;

namespace AutoClassify.Reporting;

/// <summary>Writes every exporter's artefact of a run into one folder.</summary>
public static class ReportWriter
{
    /// <summary>Writes results.json, predictions.csv and index.html into <paramref name="outDir"/> (created if missing).</summary>
    public static void WriteAll(BenchmarkResult result, string outDir) => WriteAll(result, outDir, ReportExporters.Default);

    public static void WriteAll(BenchmarkResult result, string outDir, IEnumerable<IReportExporter> exporters)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        ArgumentNullException.ThrowIfNull(exporters);
        Directory.CreateDirectory(outDir);
        // results.json and the HTML must carry the same evidence, including for results read from before it existed.
        if (result.Evidence is null)
            EvidenceBuilder.Attach(result);
        foreach (var exporter in exporters)
            exporter.Export(result, outDir);
    }
}
