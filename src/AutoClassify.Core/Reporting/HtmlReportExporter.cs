using AutoClassify.Evaluation;
using AutoClassify.IO;

namespace AutoClassify.Reporting;

/// <summary>Writes <c>index.html</c>: the self-contained report (see <see cref="HtmlReport"/>), with gallery thumbnails read from the data set.</summary>
public sealed class HtmlReportExporter : IReportExporter
{
    public const string FileName = "index.html";

    public string Name => "html";

    public void Export(BenchmarkResult result, string outDir)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, FileName), HtmlReport.Render(result, ReportImages.Load(result)));
    }
}
