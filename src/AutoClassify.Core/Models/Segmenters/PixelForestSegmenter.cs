using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.IO;

namespace AutoClassify.Models.Segmenters;

/// <summary>What a fitted pixel forest needs besides its trees to segment: the feature bank and the output scheme.</summary>
public sealed record PixelForestInfo
{
    /// <summary>
    /// Version of the saved description. Format 2 adds <see cref="PostProcessing"/>; a format-1 instance forest (written
    /// before it) still loads and splits its objects the old way. A reader refuses any other format.
    /// </summary>
    public const int CurrentFormat = 2;

    /// <summary>The oldest format a reader accepts.</summary>
    public const int OldestFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public string Model { get; init; } = "pixel-forest";

    /// <summary>The data's semantic classes, background first.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>The forest's classes: the data's classes, or background / interior / boundary for instance data.</summary>
    public required IReadOnlyList<string> ChannelNames { get; init; }

    /// <summary>True when the forest predicts background / interior / boundary and a watershed splits the objects.</summary>
    public required bool Instances { get; init; }

    /// <summary>Scales (px) of the <see cref="PixelFeatureBank"/>.</summary>
    public required IReadOnlyList<double> Scales { get; init; }

    public int BoundaryWidth { get; init; } = 2;

    /// <summary>Predicted objects smaller than this (px) are dropped.</summary>
    public int MinArea { get; init; } = 10;

    /// <summary>
    /// Instance forests: how probabilities become objects, tuned on images held out of the forest's fit. Null in
    /// format-1 descriptions, whose objects come from the arg-max split of <see cref="InteriorBoundaryScheme.ToInstances"/>.
    /// Two-class semantic forests: when set, how the foreground is split into objects
    /// (<see cref="PixelForestOptions.SplitSemanticObjects"/>); when null, each connected foreground region is one object.
    /// </summary>
    public InstancePostProcessing? PostProcessing { get; init; }

    /// <summary>Recorded for the report, not used at prediction.</summary>
    public int Trees { get; init; }

    /// <summary>Recorded for the report, not used at prediction.</summary>
    public int MaxDepth { get; init; }

    /// <summary>Feature planes per pixel the forest expects.</summary>
    [JsonIgnore]
    public int Features => PixelFeatureBank.Count(Scales.Count);

    /// <summary>What makes this description unusable, or null.</summary>
    public string? FindProblem()
    {
        if (Format is < OldestFormat or > CurrentFormat)
            return $"format {Format} is not one of the supported {OldestFormat} to {CurrentFormat}";
        if (Model != "pixel-forest")
            return $"model '{Model}' is not pixel-forest";
        if (ClassNames is null || ChannelNames is null || Scales is null)
            return "class names, channel names or scales are missing";
        if (ChannelNames.Count < 2)
            return "a forest needs at least two classes";
        if (Instances && ChannelNames.Count != InteriorBoundaryScheme.ChannelNames.Count)
            return $"the instance scheme has {InteriorBoundaryScheme.ChannelNames.Count} classes, not {ChannelNames.Count}";
        if (!Instances && !ChannelNames.SequenceEqual(ClassNames, StringComparer.Ordinal))
            return "a semantic forest's channels must be its classes";
        if (Scales.Count is 0 or > 16 || Scales.Any(s => !(s > 0) || !double.IsFinite(s) || s > 256))
            return "feature scales must be 1 to 16 positive numbers of pixels up to 256";
        if (MinArea < 1 || BoundaryWidth < 1)
            return "minimum area and boundary width must be at least 1";
        if (!Instances && PostProcessing is not null && ClassNames.Count != 2)
            return $"a semantic forest with post_processing needs two classes, got {ClassNames.Count}";
        if (Format >= 2 && Instances && PostProcessing is null)
            return "the instance scheme has no post_processing settings";
        if (PostProcessing?.FindProblem() is { } postProblem)
            return "post_processing: " + postProblem;
        return null;
    }
}

/// <summary>
/// A fitted pixel forest: features of the whole image, class votes per pixel, and for instance data objects split by
/// <see cref="PixelForestInfo.PostProcessing"/> (a format-1 forest keeps the arg-max split of <see cref="InteriorBoundaryScheme"/>).
/// </summary>
public sealed class PixelForestSegmenter : ISegmenter
{
    /// <summary>The forest's file in a saved segmenter's folder (OpenCV YAML).</summary>
    public const string ForestFile = "forest.yml";

    /// <summary>The description's file in a saved segmenter's folder.</summary>
    public const string InfoFile = "pixel-forest.json";

    const int ChunkRows = 32_768;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
    };

    readonly RandomForest forest;

    internal PixelForestSegmenter(RandomForest forest, PixelForestInfo info)
    {
        if (info.FindProblem() is { } problem)
            throw new ArgumentException(problem, nameof(info));
        if (forest.Features != info.Features || forest.Classes != info.ChannelNames.Count)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The forest takes {forest.Features} features and {forest.Classes} classes; the description says {info.Features} and {info.ChannelNames.Count}."), nameof(info));
        this.forest = forest;
        Info = info;
    }

    public string Name => "pixel-forest";

    public PixelForestInfo Info { get; }

    public SegmentationPrediction Predict(GrayImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var probabilities = Probabilities(forest, Info.Scales, image, cancellationToken);
        var plane = image.Width * image.Height;
        var classes = forest.Classes;
        var argmax = new int[plane];
        for (var i = 0; i < plane; i++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (probabilities[((long)c * plane) + i] > probabilities[((long)best * plane) + i])
                    best = c;
            }
            argmax[i] = best;
        }
        if (!Info.Instances)
        {
            // Two classes split into objects: the objects, while the labels stay the arg-max classes.
            var objects = Info.PostProcessing?.ApplySemantic(probabilities, image.Width, image.Height);
            return new SegmentationPrediction { Width = image.Width, Height = image.Height, ChannelNames = Info.ChannelNames, Probabilities = probabilities, Labels = argmax, Instances = objects };
        }
        var ids = Info.PostProcessing is { } post
            ? post.Apply(probabilities, image.Width, image.Height)
            : InteriorBoundaryScheme.ToInstances(argmax, probabilities.AsSpan(InteriorBoundaryScheme.Boundary * plane, plane), image.Width, image.Height, minArea: Info.MinArea);
        return new SegmentationPrediction
        {
            Width = image.Width,
            Height = image.Height,
            ChannelNames = Info.ChannelNames,
            Probabilities = probabilities,
            Labels = Array.ConvertAll(ids, v => v != 0 ? 1 : 0),
            Instances = ids,
        };
    }

    /// <summary>The forest's class votes per pixel of <paramref name="image"/>, channel-major [class × height × width], from the feature bank at <paramref name="scales"/>.</summary>
    internal static float[] Probabilities(RandomForest forest, IReadOnlyList<double> scales, GrayImage image, CancellationToken cancellationToken)
    {
        var bank = PixelFeatureBank.Compute(image, scales);
        var plane = image.Width * image.Height;
        var features = forest.Features;
        var classes = forest.Classes;
        var probabilities = new float[(long)classes * plane];
        var chunks = (plane + ChunkRows - 1) / ChunkRows;
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = cancellationToken }, chunk =>
        {
            var start = chunk * ChunkRows;
            var rows = Math.Min(ChunkRows, plane - start);
            var x = new float[(long)rows * features];
            for (var r = 0; r < rows; r++)
            {
                for (var f = 0; f < features; f++)
                    x[((long)r * features) + f] = bank[((long)f * plane) + start + r];
            }
            var p = forest.PredictProbabilities(x);
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < classes; c++)
                    probabilities[((long)c * plane) + start + r] = p[((long)r * classes) + c];
            }
        });
        return probabilities;
    }

    /// <summary>Writes <see cref="ForestFile"/> and <see cref="InfoFile"/> into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllBytes(Path.Combine(directory, ForestFile), forest.Serialize());
        AtomicFile.WriteAllText(Path.Combine(directory, InfoFile), JsonSerializer.Serialize(Info, Json));
    }

    /// <summary>
    /// Reads a segmenter written by <see cref="Save"/>; throws naming the file when either is missing, the description
    /// is unusable, or the forest is damaged or does not fit the feature bank the description names.
    /// </summary>
    public static PixelForestSegmenter Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var infoPath = Path.Combine(directory, InfoFile);
        var forestPath = Path.Combine(directory, ForestFile);
        foreach (var path in new[] { infoPath, forestPath })
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: a saved pixel forest needs this file beside {(path == infoPath ? ForestFile : InfoFile)}.", path);
        }
        PixelForestInfo info;
        try
        {
            info = JsonSerializer.Deserialize<PixelForestInfo>(File.ReadAllText(infoPath), Json)
                ?? throw new InvalidDataException($"{infoPath}: the file is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{infoPath}: not a pixel-forest description ({e.Message}).", e);
        }
        if (info.FindProblem() is { } problem)
            throw new InvalidDataException($"{infoPath}: {problem}.");
        RandomForest forest;
        try
        {
            forest = RandomForest.Deserialize(File.ReadAllBytes(forestPath), info.ChannelNames.Count, info.Features);
        }
        catch (Exception e) when (e is AutoClassify.Native.NativeException or InvalidDataException)
        {
            throw new InvalidDataException($"{forestPath}: not a usable forest ({e.Message.TrimEnd('.')}).", e);
        }
        try
        {
            return new PixelForestSegmenter(forest, info);
        }
        catch
        {
            forest.Dispose();
            throw;
        }
    }

    public void Dispose() => forest.Dispose();
}
