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
    /// <summary>results.json, predictions.csv, folds.csv, tile_predictions.csv (tiled runs only), figures/ (with the CNNs' Grad-CAM and first layer), methods.md and index.html.</summary>
    public static IReadOnlyList<IReportExporter> Default { get; } =
        [new ResultsJsonExporter(), new PredictionsCsvExporter(), new FoldsCsvExporter(), new TilePredictionsCsvExporter(), new FiguresExporter(), new AttentionFiguresExporter(), new MethodsExporter(), new HtmlReportExporter()];
}
