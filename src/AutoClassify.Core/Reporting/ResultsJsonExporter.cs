using AutoClassify.Evaluation;
using AutoClassify.IO;

namespace AutoClassify.Reporting;

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
