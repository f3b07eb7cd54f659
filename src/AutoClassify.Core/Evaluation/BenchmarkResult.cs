using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>
/// Everything one benchmark run produced: what was measured, how, and the outcome per model.
/// Plain, JSON-serialisable (see <c>Reporting.ResultsJson</c>); the source of results.json, predictions.csv and the HTML report.
/// </summary>
public sealed class BenchmarkResult
{
    /// <summary>Bumped when a field changes meaning; new optional fields do not bump it.</summary>
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; set; } = CurrentSchemaVersion;

    public DatasetSummary Dataset { get; set; } = new();

    public RunSettings Settings { get; set; } = new();

    /// <summary>Every image of the run, indexed like <see cref="Prediction.Item"/>, with its class and test fold.</summary>
    public List<ItemAssignment> Items { get; set; } = [];

    public List<ModelResult> Models { get; set; } = [];

    /// <summary>How the fold fields of this file count; the report, predictions.csv and folds.csv count from 1.</summary>
    public string FoldNumbering { get; set; } = "fold fields in results.json count from 0: fold 0 here is fold 1 in the report, predictions.csv and folds.csv";

    /// <summary>How images were cut into tiles; null (and absent from results.json) when the run used whole images.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public TilingSummary? Tiling { get; set; }

    /// <summary>Where the run's wall time went, stage by stage (see <see cref="StageTime"/>); null in results written before it existed.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public List<StageTime>? Timing { get; set; }

    /// <summary>Intervals, baselines, paired tests and warnings (see <see cref="EvidenceBuilder"/>); null in results written before they existed.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public EvidenceSummary? Evidence { get; set; }
}

/// <summary>What was found under the dataset root.</summary>
public sealed class DatasetSummary
{
    /// <summary>The dataset folder as given on the command line.</summary>
    public string Root { get; set; } = "";

    /// <summary>Class names in label order (label k is <c>ClassNames[k]</c>).</summary>
    public List<string> ClassNames { get; set; } = [];

    /// <summary>Images used per class, indexed like <see cref="ClassNames"/>.</summary>
    public List<int> ClassCounts { get; set; } = [];

    public ImageSizeStats ImageSizes { get; set; } = new();

    /// <summary>Files that were found but not used, each with the reason.</summary>
    public List<SkippedFile> Skipped { get; set; } = [];

    /// <summary>Problems that did not stop the run (e.g. a very small class).</summary>
    public List<string> Warnings { get; set; } = [];

    /// <summary>SHA-256 over every image's path, class and content and its mask's content (see <see cref="RunEnvironment.DatasetHash"/>); null in older results.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? ContentSha256 { get; set; }

    /// <summary>Data banners found and removed; null in results written before banner detection existed.</summary>
    public BannerSummary? Banners { get; set; }

    /// <summary>Every image's pixel size and its source; null in results written before the survey existed.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ScaleSummary? Scales { get; set; }
}

/// <summary>What banner detection found (after the manual crop) and what was done with it.</summary>
public sealed class BannerSummary
{
    /// <summary>crop, reflect or keep.</summary>
    public string Mode { get; set; } = "";

    public int ImagesChecked { get; set; }

    public int BannersFound { get; set; }

    /// <summary>Banners cropped or reflected away; 0 in keep mode.</summary>
    public int BannersRemoved { get; set; }

    /// <summary>Banners found per class, indexed like <see cref="DatasetSummary.ClassNames"/>.</summary>
    public List<int> FoundPerClass { get; set; } = [];

    public int TopEdge { get; set; }

    public int BottomEdge { get; set; }

    /// <summary>Smallest banner height in rows (0 when none was found).</summary>
    public int RowsMin { get; set; }

    public int RowsMax { get; set; }

    /// <summary>Median scale-bar length in pixels over banners with a scale bar; null when none was seen.</summary>
    public double? ScaleBarPixelsMedian { get; set; }

    /// <summary>Nanometres per pixel, from --nm-per-pixel or a TIFF's resolution tags; null when unknown.</summary>
    public double? NmPerPixel { get; set; }

    /// <summary>Where <see cref="NmPerPixel"/> came from.</summary>
    public string? PixelSizeSource { get; set; }

    /// <summary>The example image (relative path) and its banner as the detector described it.</summary>
    public string? ExamplePath { get; set; }

    public string? ExampleReason { get; set; }

    /// <summary>Small PNG thumbnails, base64: the example before and after banner handling.</summary>
    public string? ExampleBeforePng { get; set; }

    public string? ExampleAfterPng { get; set; }
}

/// <summary>Width and height statistics (pixels) of the images used, before cropping.</summary>
public sealed class ImageSizeStats
{
    public int Count { get; set; }

    public int MinWidth { get; set; }

    public int MaxWidth { get; set; }

    public double MedianWidth { get; set; }

    public int MinHeight { get; set; }

    public int MaxHeight { get; set; }

    public double MedianHeight { get; set; }

    /// <summary>Statistics of the given (width, height) pairs; all zero for none.</summary>
    public static ImageSizeStats From(IEnumerable<(int Width, int Height)> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var list = sizes.ToList();
        if (list.Count == 0)
            return new ImageSizeStats();
        var widths = list.Select(s => s.Width).Order().ToArray();
        var heights = list.Select(s => s.Height).Order().ToArray();
        return new ImageSizeStats
        {
            Count = list.Count,
            MinWidth = widths[0],
            MaxWidth = widths[^1],
            MedianWidth = OrderStatistics.Median(Array.ConvertAll(widths, w => (double)w)),
            MinHeight = heights[0],
            MaxHeight = heights[^1],
            MedianHeight = OrderStatistics.Median(Array.ConvertAll(heights, h => (double)h)),
        };
    }
}

/// <summary>A file left out of the run and why.</summary>
public sealed class SkippedFile
{
    /// <summary>Path relative to the dataset root.</summary>
    public string Path { get; set; } = "";

    public string Reason { get; set; } = "";
}

/// <summary>How the run was configured and on what software.</summary>
public sealed class RunSettings
{
    public int Folds { get; set; }

    /// <summary>The run seed every random choice derives from.</summary>
    public int Seed { get; set; }

    public CropMargins Crop { get; set; }

    /// <summary>Model names as given on the command line.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Worker threads; 0 means all cores.</summary>
    public int Threads { get; set; }

    /// <summary>AutoClassify's version.</summary>
    public string ToolVersion { get; set; } = "";

    /// <summary>Versions of the native engines and runtime, e.g. <c>opencv</c>, <c>libtorch</c>, <c>libsvm</c>, <c>.NET</c>.</summary>
    public Dictionary<string, string> NativeVersions { get; set; } = [];

    /// <summary>The machine the run trained on: OS, CPU model, cores, .NET runtime (see <see cref="RunEnvironment.Capture"/>); empty in older results.</summary>
    public Dictionary<string, string> Environment { get; set; } = [];

    public string CommandLine { get; set; } = "";

    public DateTimeOffset StartedUtc { get; set; }

    public TimeSpan WallTime { get; set; }

    /// <summary>Further settings shown in the report (name to invariant text), e.g. CNN input size or epochs.</summary>
    public Dictionary<string, string> Extra { get; set; } = [];
}

/// <summary>One image of the run: where it is, what it is, and in which fold it was tested.</summary>
public sealed class ItemAssignment
{
    /// <summary>Path relative to the dataset root, '/'-separated.</summary>
    public string Path { get; set; } = "";

    public int Label { get; set; }

    public string ClassName { get; set; } = "";

    public int Fold { get; set; }
}

/// <summary>One model's cross-validated outcome.</summary>
public sealed class ModelResult
{
    public string Name { get; set; } = "";

    /// <summary>How a class is chosen from the probabilities (see <see cref="ModelResultBuilder.DecisionRuleDescription"/>).</summary>
    public string DecisionRule { get; set; } = "";

    /// <summary>Per fold, in fold order.</summary>
    public List<FoldResult> Folds { get; set; } = [];

    public AggregatedMetrics Aggregate { get; set; } = new();

    /// <summary>Out-of-fold predictions, one per item, ordered by item index.</summary>
    public List<Prediction> Predictions { get; set; } = [];

    /// <summary>Tile-level figures and predictions of a tiled run (the figures above are then image-level); null otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public TileLevelResult? TileLevel { get; set; }

    /// <summary>Intervals, ROC/PR, calibration and coverage of the out-of-fold predictions; null until <see cref="EvidenceBuilder"/> ran.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ModelEvidence? Evidence { get; set; }
}

/// <summary>One fold of one model: its test-set figures and what the fit reported.</summary>
public sealed class FoldResult
{
    public int Fold { get; set; }

    public ClassificationMetrics Metrics { get; set; } = new();

    public TrainingSummary Training { get; set; } = new();
}

/// <summary>The out-of-fold prediction of one item.</summary>
public sealed class Prediction
{
    /// <summary>Index into <see cref="BenchmarkResult.Items"/>.</summary>
    public int Item { get; set; }

    public int Fold { get; set; }

    /// <summary>True class index.</summary>
    public int TrueLabel { get; set; }

    /// <summary>Class index chosen by the decision rule (<see cref="ModelResultBuilder.Decide"/>).</summary>
    public int PredictedLabel { get; set; }

    /// <summary>Class probabilities, indexed like the class names.</summary>
    public double[] Probabilities { get; set; } = [];
}
