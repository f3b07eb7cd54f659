using AutoClassify.Imaging;

namespace AutoClassify.Models.Segmenters;

/// <summary>How a segmentation mask encodes its truth.</summary>
public enum MaskKind
{
    /// <summary>Foreground (any non-zero value) against background (0).</summary>
    Binary,

    /// <summary>Small integers, one per class; 0 is the first class (usually background).</summary>
    ClassMap,

    /// <summary>0 is background, every other value one object (8- or 16-bit).</summary>
    Instances,
}

/// <summary>One annotated micrograph: a grey image in [0, 1] and its mask, pixel for pixel.</summary>
/// <param name="Path">The image's file, as the user named it; reports and errors use it.</param>
/// <param name="Image">The image after banner handling, grey in [0, 1].</param>
/// <param name="Mask">Per pixel, row-major, Width × Height: a class index (binary and class maps) or an instance id (0 = background).</param>
/// <param name="Group">Images that share a group never straddle folds (slices of one stack, near copies).</param>
public sealed record SegmentationSample(string Path, GrayImage Image, int[] Mask, int Group)
{
    public int Width => Image.Width;
    public int Height => Image.Height;

    /// <summary>The image's and the mask's files (full paths) when read from disk, for provenance hashes; empty otherwise.</summary>
    public IReadOnlyList<string> SourceFiles { get; init; } = [];
}

/// <summary>A set of annotated micrographs of one mask kind.</summary>
public sealed class SegmentationData
{
    public required IReadOnlyList<SegmentationSample> Samples { get; init; }
    public required MaskKind Kind { get; init; }

    /// <summary>Names of the semantic classes, background first (binary and instance data: background, foreground).</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Physical pixel size when known (flag or TIFF resolution), for particle statistics.</summary>
    public double? NmPerPixel { get; init; }

    public SegmentationData Subset(IEnumerable<int> indices) => new()
    {
        Samples = indices.Select(i => Samples[i]).ToArray(),
        Kind = Kind,
        ClassNames = ClassNames,
        NmPerPixel = NmPerPixel,
    };
}

/// <summary>What a segmenter says about one image.</summary>
public sealed class SegmentationPrediction
{
    public required int Width { get; init; }
    public required int Height { get; init; }

    /// <summary>Names of the output channels (for the instance scheme: background, interior, boundary).</summary>
    public required IReadOnlyList<string> ChannelNames { get; init; }

    /// <summary>Per-channel probabilities, channel-major: [channel × Height × Width]; null for models that give none.</summary>
    public float[]? Probabilities { get; init; }

    /// <summary>Semantic label per pixel in the data's class space (for instance data: 0 background, 1 foreground).</summary>
    public required int[] Labels { get; init; }

    /// <summary>Instance ids per pixel (0 = background) when the model separates objects; otherwise null.</summary>
    public int[]? Instances { get; init; }

    /// <summary>
    /// The resize factor the model worked at (working pixels per image pixel, 1 at native resolution), for a model that
    /// resizes images (U-Nets); with object scaling the factor estimated for this image. Null for other models.
    /// </summary>
    public double? ScaleFactor { get; init; }
}

/// <summary>A trained segmenter. Thread-safe for prediction unless it says otherwise.</summary>
public interface ISegmenter : IDisposable
{
    string Name { get; }
    SegmentationPrediction Predict(GrayImage image, CancellationToken cancellationToken = default);
}

/// <summary>Trains one kind of segmenter (classical, U-Net, residual U-Net, pixel forest) on annotated micrographs.</summary>
public interface ISegmenterTrainer
{
    /// <summary>The name used on the command line (<c>classical</c>, <c>unet</c>, <c>resunet</c>, <c>pixel-forest</c>).</summary>
    string Name { get; }

    /// <summary>The settings it fits with, as key and invariant value in a fixed order, for reports and <c>results.json</c>.</summary>
    IReadOnlyList<KeyValuePair<string, string>> Settings => [];

    /// <summary>Fits on <paramref name="training"/>; validation splits, if any, are carved from it by whole images.</summary>
    ISegmenter Train(SegmentationData training, TrainingContext context, SegmenterTrainingSummary summary);
}

/// <summary>Facts and curves of one fit, for reports and packages.</summary>
public sealed class SegmenterTrainingSummary
{
    public Dictionary<string, string> Facts { get; } = [];
    public Dictionary<string, double[]> Curves { get; } = [];
    public TimeSpan TrainingTime { get; set; }
}
