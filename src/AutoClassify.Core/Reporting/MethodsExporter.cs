using AutoClassify.Evaluation;
using AutoClassify.IO;

namespace AutoClassify.Reporting;

/// <summary>Writes <c>methods.md</c>: the run's generated Methods section (see <see cref="MethodsText"/>).</summary>
public sealed class MethodsExporter : IReportExporter
{
    public const string FileName = "methods.md";

    public string Name => "methods";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, FileName), MethodsText.Markdown(result));
    }
}
