using AutoClassify.Evaluation;

namespace AutoClassify.Reporting;

/// <summary>Writes one artefact of a benchmark (a file in the output folder).</summary>
public interface IReportExporter
{
    /// <summary>Short name, e.g. <c>html</c>.</summary>
    string Name { get; }

    /// <summary>Writes the artefact into <paramref name="outDir"/> atomically, replacing an older one.</summary>
    void Export(BenchmarkResult result, string outDir);
}

/// <summary>The standard exporters.</summary>
public static class ReportExporters
{
    /// <summary>results.json, predictions.csv and index.html.</summary>
    public static IReadOnlyList<IReportExporter> Default { get; } =
        [new ResultsJsonExporter(), new PredictionsCsvExporter(), new HtmlReportExporter()];
}

/// <summary>Writes <c>results.json</c>: the whole <see cref="BenchmarkResult"/>.</summary>
public sealed class ResultsJsonExporter : IReportExporter
{
    public const string FileName = "results.json";

    public string Name => "json";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, FileName), ResultsJson.Serialize(result) + "\n");
    }
}

/// <summary>Writes <c>index.html</c>: the self-contained report (see <see cref="HtmlReport"/>).</summary>
public sealed class HtmlReportExporter : IReportExporter
{
    public const string FileName = "index.html";

    public string Name => "html";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, FileName), HtmlReport.Render(result));
    }
}

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
        foreach (var exporter in exporters)
            exporter.Export(result, outDir);
    }
}
