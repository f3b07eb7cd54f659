using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;

namespace AutoClassify.Evaluation.Segmentation;

/// <summary>Every score of one predicted image, by metric key, and the particle sizes for pooled statistics.</summary>
public sealed record ImageScores(IReadOnlyDictionary<string, double> Values, double[] TrueDiameters, double[] PredictedDiameters);

/// <summary>
/// Scores a prediction against its annotated image: pixel accuracy; Dice and IoU per class; boundary F1 at 2 px; the
/// foreground-restricted V_rand and V_info; objects matched at IoU ≥ 0.5; and per-image size statistics. Objects are
/// the truth's instances (instance masks) or the 4-connected regions of each non-background class (class maps);
/// predicted objects are the model's instances when it gives them, else the regions of its labels.
/// </summary>
public static class SegmentationEvaluator
{
    /// <summary>Boundary tolerance in pixels.</summary>
    public const double BoundaryTolerance = 2;

    /// <summary>IoU at which a predicted object counts as found.</summary>
    public const double MatchThreshold = 0.5;

    /// <summary>The metric keys that do not depend on the classes, in report order.</summary>
    public static IReadOnlyList<string> CommonKeys { get; } =
    [
        "pixel_accuracy", "foreground_dice", "foreground_iou", "boundary_f1",
        "v_rand", "v_rand_split", "v_rand_merge", "v_info", "v_info_split", "v_info_merge",
        "instance_precision", "instance_recall", "instance_f1", "instance_mean_iou",
        "ks_diameter", "wasserstein_diameter", "median_diameter_error",
    ];

    /// <summary>Keys of the per-class scores: <c>dice_&lt;class&gt;</c> and <c>iou_&lt;class&gt;</c> (names lower-cased, spaces as _).</summary>
    public static IEnumerable<string> ClassKeys(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        foreach (var prefix in new[] { "dice_", "iou_" })
        {
            foreach (var name in classNames)
                yield return prefix + Slug(name);
        }
    }

    /// <summary>All keys for data of these classes: the common ones, then the per-class ones.</summary>
    public static IReadOnlyList<string> Keys(IReadOnlyList<string> classNames) => [.. CommonKeys, .. ClassKeys(classNames)];

    public static ImageScores Score(SegmentationSample sample, SegmentationPrediction prediction, SegmentationData data)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(data);
        int width = sample.Width, height = sample.Height;
        if (prediction.Width != width || prediction.Height != height)
            throw new ArgumentException($"{sample.Path}: the prediction is {prediction.Width}x{prediction.Height} but the image is {width}x{height}.");
        var classCount = data.ClassNames.Count;
        var instanceData = data.Kind == MaskKind.Instances;
        var trueClasses = instanceData ? Array.ConvertAll(sample.Mask, v => v != 0 ? 1 : 0) : sample.Mask;
        var predictedClasses = prediction.Labels;

        var trueObjects = instanceData
            ? LabelRegions.Compact(sample.Mask, out _)
            : LabelRegions.Components(trueClasses, width, height, eightConnected: false, out _);
        var predictedObjects = prediction.Instances is { } given
            ? LabelRegions.Compact(given, out _)
            : LabelRegions.Components(predictedClasses, width, height, eightConnected: false, out _);

        var values = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["pixel_accuracy"] = PixelScores.Accuracy(trueClasses, predictedClasses),
        };
        var (dice, iou) = PixelScores.PerClass(trueClasses, predictedClasses, classCount);
        for (var k = 0; k < classCount; k++)
        {
            values["dice_" + Slug(data.ClassNames[k])] = dice[k];
            values["iou_" + Slug(data.ClassNames[k])] = iou[k];
        }
        var (foregroundDice, foregroundIoU) = PixelScores.PerClass(
            Array.ConvertAll(trueClasses, v => v != 0 ? 1 : 0), Array.ConvertAll(predictedClasses, v => v != 0 ? 1 : 0), 2);
        values["foreground_dice"] = foregroundDice[1];
        values["foreground_iou"] = foregroundIoU[1];
        values["boundary_f1"] = instanceData
            ? BoundaryScore.Score(trueObjects, predictedObjects, width, height, BoundaryTolerance).F1
            : BoundaryScore.Score(trueClasses, predictedClasses, width, height, BoundaryTolerance).F1;

        var rand = RandInfo.Score(trueObjects, predictedObjects);
        values["v_rand"] = rand.VRand;
        values["v_rand_split"] = rand.VRandSplit;
        values["v_rand_merge"] = rand.VRandMerge;
        values["v_info"] = rand.VInfo;
        values["v_info_split"] = rand.VInfoSplit;
        values["v_info_merge"] = rand.VInfoMerge;

        var match = InstanceScores.Match(trueObjects, predictedObjects, MatchThreshold);
        values["instance_precision"] = match.Precision;
        values["instance_recall"] = match.Recall;
        values["instance_f1"] = match.F1;
        values["instance_mean_iou"] = match.MeanMatchedIoU;

        var scale = data.NmPerPixel ?? 1;
        var trueSizes = SizeDistributions.EquivalentDiameters(trueObjects, width, height, scale);
        var predictedSizes = SizeDistributions.EquivalentDiameters(predictedObjects, width, height, scale);
        AddSizes(values, SizeDistributions.Compare(trueSizes, predictedSizes));
        return new ImageScores(values, trueSizes, predictedSizes);
    }

    /// <summary>Writes the size-statistic keys of a comparison (per image, or pooled over a fold).</summary>
    public static void AddSizes(IDictionary<string, double> values, SizeComparison sizes)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(sizes);
        values["ks_diameter"] = sizes.KolmogorovSmirnov;
        values["wasserstein_diameter"] = sizes.Wasserstein;
        values["median_diameter_error"] = sizes.MedianRelativeError;
    }

    /// <summary>A class name as part of a metric key.</summary>
    public static string Slug(string name) =>
        new([.. (name ?? "").ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
}
