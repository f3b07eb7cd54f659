using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.Preprocessing;
using AutoClassify.Tiling;

namespace AutoClassify.Packaging;

/// <summary>
/// <c>manifest.json</c> of a model package (<c>*.acpkg</c>): what the model is, how its inputs are prepared,
/// which archive entries hold its payload (with their SHA-256), how well it validated, when it abstains,
/// and where it came from. Schema version 1; a reader refuses any other.
/// </summary>
public sealed record ModelPackageManifest
{
    /// <summary>The only schema version this build reads and writes.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Name of the manifest entry inside the archive.</summary>
    public const string EntryName = "manifest.json";

    /// <summary>Folder of the payload entries inside the archive.</summary>
    public const string PayloadFolder = "payload/";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.Strict,
        // Not HTML: readable '<', '>' and non-ASCII class names in the file matter more.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary><c>svm</c> or a CNN name (e.g. <c>lipnet4</c>); selects the loader (<see cref="PackagedModelKinds"/>).</summary>
    public required string ModelKind { get; init; }

    /// <summary>Class names; index k is class k of every probability vector.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    public required PackagePreprocessing Preprocessing { get; init; }

    /// <summary>The model's files, each an archive entry under <see cref="PayloadFolder"/>.</summary>
    public IReadOnlyList<PayloadFile> Payload { get; init; } = [];

    /// <summary>Validation figures by name (e.g. <c>macro_f1</c>).</summary>
    public IReadOnlyDictionary<string, MetricSummary> Metrics { get; init; } = new Dictionary<string, MetricSummary>();

    /// <summary>
    /// Minimum top probability per class name; a prediction of class k whose probability is below its
    /// threshold is flagged as abstained. A missing class means 0 (never abstain).
    /// </summary>
    public IReadOnlyDictionary<string, double> Thresholds { get; init; } = new Dictionary<string, double>();

    /// <summary>How thresholds derived by <c>train --threshold auto:P</c> are expected to behave, per class name; absent otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, ThresholdEstimate>? ThresholdEstimates { get; init; }

    /// <summary>Training images per class name (tiles of one image count once); absent in packages written before it was recorded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, int>? TrainingCounts { get; init; }

    public required PackageProvenance Provenance { get; init; }

    /// <summary>The AutoML search that chose the model (<c>train --auto</c>); absent otherwise.</summary>
    [JsonPropertyName("automl")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PackageSearchSummary? AutoMl { get; init; }

    /// <summary>The threshold of class <paramref name="classIndex"/> (0 when none is set).</summary>
    public double ThresholdOf(int classIndex) =>
        Thresholds.TryGetValue(ClassNames[classIndex], out var t) ? t : 0;

    /// <summary>Checks the fields a reader relies on; returns the first problem, or null.</summary>
    public string? FindProblem()
    {
        if (SchemaVersion != CurrentSchemaVersion)
            return $"manifest schema version {SchemaVersion} is not supported (this build reads version {CurrentSchemaVersion})";
        if (string.IsNullOrWhiteSpace(ModelKind))
            return "the manifest names no model kind";
        if (ClassNames is null || ClassNames.Count < 2)
            return "the manifest lists fewer than two class names";
        if (ClassNames.Any(string.IsNullOrWhiteSpace))
            return "the manifest has an empty class name";
        if (ClassNames.Distinct(StringComparer.Ordinal).Count() != ClassNames.Count)
            return "the manifest lists a class name twice";
        if (Preprocessing is null)
            return "the manifest has no preprocessing section";
        if (Preprocessing.Crop is null || Preprocessing.Crop.Top < 0 || Preprocessing.Crop.Bottom < 0 || Preprocessing.Crop.Left < 0 || Preprocessing.Crop.Right < 0)
            return "the manifest's crop margins are missing or negative";
        if (Preprocessing.Tiling is { } tiling && TilingProblem(tiling) is { } tilingProblem)
            return tilingProblem;
        if (Preprocessing.ResampleNm is { } resample && !(resample > 0 && double.IsFinite(resample)))
            return "the manifest's resample_nm is not a positive number";
        if (Preprocessing.ReduceAbovePixels is < 1)
            return "the manifest's reduce_above_pixels is not a positive number";
        if (Preprocessing.IntensityMapping is { } mapping && mapping != AutoClassify.Imaging.Formats.IntensityMapping.Name)
            return $"the package maps microscope intensities as '{mapping}', but this version maps them as '{AutoClassify.Imaging.Formats.IntensityMapping.Name}'; retrain it with this version";
        if (Preprocessing.BannerMode is not ("crop" or "reflect" or "keep"))
            return $"the manifest's banner mode '{Preprocessing.BannerMode}' is not crop, reflect or keep";
        if (Payload is null || Payload.Count == 0)
            return "the manifest lists no payload files";
        foreach (var file in Payload)
        {
            if (file?.Name is null || !file.Name.StartsWith(PayloadFolder, StringComparison.Ordinal) || file.Name.Length == PayloadFolder.Length
                || file.Name.IndexOf('/', PayloadFolder.Length) >= 0)
                return $"payload entry '{file?.Name}' is not a file directly under '{PayloadFolder}'";
            if (file.Sha256 is null || file.Sha256.Length != 64 || !file.Sha256.All(Uri.IsHexDigit))
                return $"payload entry '{file.Name}' has no valid SHA-256";
            if (file.Size < 0)
                return $"payload entry '{file.Name}' has a negative size";
        }
        if (Payload.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != Payload.Count)
            return "the manifest lists a payload entry twice";
        foreach (var (name, threshold) in Thresholds ?? new Dictionary<string, double>())
        {
            if (!ClassNames.Contains(name, StringComparer.Ordinal))
                return $"the threshold for '{name}' names no class of the model";
            if (!double.IsFinite(threshold) || threshold < 0 || threshold > 1)
                return string.Create(CultureInfo.InvariantCulture, $"the threshold for '{name}' is {threshold}, outside [0, 1]");
        }
        if (Provenance is null)
            return "the manifest has no provenance section";
        return null;
    }

    /// <summary>What is wrong with a tile layout a manifest records, or null when it is usable.</summary>
    internal static string? TilingProblem(PackageTiling tiling)
    {
        if (tiling.Size < 8 || tiling.Stride < 1 || tiling.Stride > tiling.Size)
            return string.Create(CultureInfo.InvariantCulture, $"the tiling ({tiling.Size} px every {tiling.Stride} px) is not a valid tile layout");
        if (tiling.Aggregation is not ("mean" or "vote"))
            return $"the tile aggregation '{tiling.Aggregation}' is unknown (expected mean or vote)";
        if (!(tiling.MapThreshold > 0 && tiling.MapThreshold < 1))
            return string.Create(CultureInfo.InvariantCulture, $"the map threshold {tiling.MapThreshold} is not strictly between 0 and 1");
        return null;
    }
}

/// <summary>How an image is prepared before the model sees it.</summary>
public sealed record PackagePreprocessing
{
    /// <summary>Margins cut from every image and mask, as <c>--crop</c>.</summary>
    public PackageCrop Crop { get; init; } = new();

    /// <summary>What the model reads: <c>features</c> (the SVM) or a CNN input mode (<c>surround</c>, <c>crop</c>, <c>crop-mask</c>).</summary>
    public string InputMode { get; init; } = "features";

    /// <summary>Side of the square network input in pixels; null for the SVM.</summary>
    public int? InputSize { get; init; }

    /// <summary>How pixel values are normalised (the SVM: z-scored features, inside its payload).</summary>
    public string Normalisation { get; init; } = "none";

    /// <summary>Where object masks come from at prediction time.</summary>
    public string Masks { get; init; } = MaskSource;

    /// <summary>
    /// What is done with a detected data banner: <c>crop</c>, <c>reflect</c> or <c>keep</c> (<see cref="AutoClassify.Preprocessing.BannerMode"/>);
    /// packages written before this field existed were prepared with <c>crop</c>.
    /// </summary>
    public string BannerMode { get; init; } = "crop";

    /// <summary><see cref="BannerMode"/> as the enum <see cref="ImagePreparation"/> takes.</summary>
    public AutoClassify.Preprocessing.BannerMode BannerTreatment() => BannerDetector.ParseMode(BannerMode);

    /// <summary>Reserved for banner detection settings; null until that stage exists.</summary>
    public JsonObject? Banner { get; init; }

    /// <summary>How a feature model computes its rows from an image; null for image models.</summary>
    public PackageFeatureSet? FeatureSet { get; init; }

    /// <summary>The tile layout and aggregation of a model trained on tiles; null when it reads whole images.</summary>
    public PackageTiling? Tiling { get; init; }

    /// <summary>
    /// Nanometres per pixel every image was resampled to before features and networks (<c>--resample-nm</c>);
    /// prediction resamples new images from their own pixel size the same way. Null when not resampled.
    /// </summary>
    public double? ResampleNm { get; init; }

    /// <summary>
    /// Images declaring more pixels than this are reduced by a whole factor before anything else (see
    /// <see cref="AutoClassify.Imaging.ImageReduction"/>), in training and prediction alike; set for networks on
    /// whole images, which shrink them to their input anyway. Null: images are read at full resolution.
    /// </summary>
    public long? ReduceAbovePixels { get; init; }

    /// <summary>
    /// How microscope data wider than 8 bits were mapped to [0, 1] (<see cref="AutoClassify.Imaging.Formats.IntensityMapping.Name"/>);
    /// null in packages written before it was recorded.
    /// </summary>
    public string? IntensityMapping { get; init; }

    /// <summary>The mask rule of <see cref="Dataset.DatasetLoader"/>, used at prediction time too.</summary>
    public const string MaskSource = "sibling <name>.mask.png when present, else segmented";
}

/// <summary>
/// A feature model's feature set: <c>handcrafted</c> or <c>field</c> (see <see cref="Features.FeatureSet"/>), how many
/// features, and the pixel size its lengths are measured at (null: in pixels).
/// </summary>
public sealed record PackageFeatureSet
{
    public string Name { get; init; } = Features.FeatureSet.HandcraftedName;

    public int Count { get; init; }

    public double? NmPerPixel { get; init; }

    /// <summary><c>nm</c> or <c>px</c>.</summary>
    public string LengthUnit { get; init; } = "px";

    public static PackageFeatureSet From(Features.FeatureSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new() { Name = set.Name, Count = set.Names.Count, NmPerPixel = set.NmPerPixel, LengthUnit = set.LengthUnit };
    }
}

/// <summary>
/// Tiling of a model trained on tiles: square tiles of <see cref="Size"/> pixels every <see cref="Stride"/> pixels,
/// whose probabilities become an image's by <see cref="Aggregation"/> (<c>mean</c> or <c>vote</c>).
/// </summary>
public sealed record PackageTiling
{
    public int Size { get; init; }

    public int Stride { get; init; }

    public string Aggregation { get; init; } = "mean";

    /// <summary>Probability above which the package's maps tint a position, unless prediction sets another.</summary>
    public double MapThreshold { get; init; } = DefaultMapThreshold;

    /// <summary>The map threshold when none is given.</summary>
    public const double DefaultMapThreshold = 0.5;

    public static PackageTiling From(TileSpec spec, TileAggregation aggregation, double mapThreshold = DefaultMapThreshold) =>
        new() { Size = spec.Size, Stride = spec.Stride, Aggregation = aggregation.ToName(), MapThreshold = mapThreshold };

    /// <summary>The tile layout; throws naming the bad value.</summary>
    public TileSpec ToSpec() => new(Size, Stride);

    /// <summary>The aggregation; throws naming an unknown one.</summary>
    public TileAggregation ToAggregation() => TileAggregations.Parse(Aggregation);
}

/// <summary>Crop margins in pixels.</summary>
public sealed record PackageCrop
{
    public int Top { get; init; }
    public int Bottom { get; init; }
    public int Left { get; init; }
    public int Right { get; init; }

    public static PackageCrop From(CropMargins crop) => new() { Top = crop.Top, Bottom = crop.Bottom, Left = crop.Left, Right = crop.Right };

    public CropMargins ToMargins() => new(Top, Bottom, Left, Right);
}

/// <summary>One payload entry: its archive name, SHA-256 (hex) and size in bytes.</summary>
public sealed record PayloadFile(string Name, string Sha256, long Size);

/// <summary>A validation figure: mean, SD (null when from a single split) and how many splits it summarises.</summary>
public sealed record MetricSummary(double Mean, double? Sd, int N);

/// <summary>Where a package came from, so a result can be traced back to data, code and settings.</summary>
public sealed record PackageProvenance
{
    /// <summary>SHA-256 over the sorted training file list (one <c>sha256  path</c> line per file).</summary>
    public string TrainingSetSha256 { get; init; } = "";

    /// <summary>
    /// The data set's content hash as a benchmark report's appendix gives it (<see cref="Evaluation.RunEnvironment.DatasetHash"/>),
    /// over the images the model was trained on; absent in packages written before it was recorded.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DatasetContentSha256 { get; init; }

    /// <summary>Every training file (images and masks), relative to its data root, sorted ordinally.</summary>
    public IReadOnlyList<TrainingFile> TrainingFiles { get; init; } = [];

    /// <summary>Absolute data set folders the training files came from; <see cref="TrainingFile.Root"/> indexes them (empty in older packages).</summary>
    public IReadOnlyList<string> DataRoots { get; init; } = [];

    /// <summary>The registry's reference set that was held out of training, or null when there was none.</summary>
    public PackageReference? Reference { get; init; }

    public int Seed { get; init; }

    /// <summary>AutoClassify's assembly informational version.</summary>
    public string AutoClassifyVersion { get; init; } = "";

    /// <summary>Versions of the native libraries (shim, OpenCV, libtorch, LIBSVM).</summary>
    public IReadOnlyDictionary<string, string> NativeVersions { get; init; } = new Dictionary<string, string>();

    public string CommandLine { get; init; } = "";

    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Hyper-parameters the fit chose and other facts (formatted invariantly).</summary>
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();
}

/// <summary>One training file, its SHA-256 (hex) and the index of its folder in <see cref="PackageProvenance.DataRoots"/>.</summary>
public sealed record TrainingFile(string Path, string Sha256, int Root = 0);

/// <summary>A reference set held out of training: how many images, and the SHA-256 of its item list (<see cref="ReferenceSet.ItemsSha256"/>).</summary>
public sealed record PackageReference(int Items, string Sha256);
