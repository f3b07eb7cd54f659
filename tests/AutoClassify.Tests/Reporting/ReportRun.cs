using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Reporting;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

/// <summary>
/// A real benchmark run once in a temporary folder, with its report written and read back, shared by a test class as
/// its fixture. A run gives its name and builds its options in that folder.
/// </summary>
public abstract class ReportRun : IDisposable
{
    private protected ReportRun(string name, Func<TempDirectory, BenchmarkOptions> options)
    {
        Directory = new TempDirectory(name);
        Result = BenchmarkRunner.Run(options(Directory));
        OutDir = Directory.Combine("report");
        ReportWriter.WriteAll(Result, OutDir);
        Html = File.ReadAllText(HtmlPath);
    }

    internal TempDirectory Directory { get; }

    public BenchmarkResult Result { get; }

    public string OutDir { get; }

    public string Html { get; }

    public string HtmlPath => Path.Combine(OutDir, HtmlReportExporter.FileName);

    public void Dispose()
    {
        Directory.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes generated blob images into <paramref name="folder"/>, one subfolder per class; returns the folder.</summary>
    private protected static string WriteBlobs(string folder, int perClass, int seed)
    {
        var (images, _) = BlobImages.Create(perClass, seed);
        for (var i = 0; i < images.Labels.Length; i++)
        {
            var classFolder = Path.Combine(folder, BlobImages.ClassNames[images.Labels[i]]);
            System.IO.Directory.CreateDirectory(classFolder);
            PngWriter.Write(Path.Combine(classFolder, $"img_{i:D2}.png"), images.Images![i]);
        }
        return folder;
    }
}
