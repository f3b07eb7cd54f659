using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;

namespace AutoClassify.Models.Segmenters;

/// <summary>Where the masks are and how to read them; <see cref="SegmentationDataLoader.Load"/> checks every setting.</summary>
public sealed class SegmentationDataOptions
{
    /// <summary>Folder of masks matched to the images by relative path and file stem; null: masks beside the images as <c>&lt;name&gt;.mask.png</c>, or an <c>images/</c> + <c>masks/</c> pair under the root.</summary>
    public string? MasksDirectory { get; init; }

    /// <summary>The mask kind; null detects it from the masks' values.</summary>
    public MaskKind? Kind { get; init; }

    /// <summary>What to do with a data banner found in an image; its mask is treated alike.</summary>
    public BannerMode Banner { get; init; } = BannerMode.Crop;

    /// <summary>Physical pixel size for particle statistics, when known.</summary>
    public double? NmPerPixel { get; init; }

    /// <summary>Largest number of classes a class map may have.</summary>
    public int MaxClasses { get; init; } = 16;

    /// <summary>Images decoded at once (0 = all cores).</summary>
    public int Threads { get; init; }
}

/// <summary>How the loader decided the mask kind, for the console and the report.</summary>
public sealed record MaskKindDecision(MaskKind Kind, bool Detected, string Reason);

/// <summary>A loaded set with what the loader found on the way.</summary>
public sealed record SegmentationDataSet(
    string Root,
    SegmentationData Data,
    MaskKindDecision KindDecision,
    IReadOnlyList<DatasetProblem> Warnings,
    int BannersFound,
    BannerMode Banner);

/// <summary>
/// Reads annotated micrographs for segmentation and validates all of them before any training: a missing or
/// unreadable mask, an undecodable image, a size mismatch, an empty mask and class values outside the class map are
/// all listed at once in one <see cref="DatasetValidationException"/>. Images are ordered naturally (2 before 10),
/// which keeps the slices of a stack in order for contiguous folds.
/// </summary>
/// <remarks>
/// Layouts: masks beside their images (<c>a.png</c> + <c>a.mask.png</c>), an <c>images/</c> and a <c>masks/</c> folder
/// under the root, or any image folder with <see cref="SegmentationDataOptions.MasksDirectory"/>; a mask matches an
/// image with the same relative path and stem (<c>a.png</c>, <c>a.tif</c>, <c>a.mask.png</c>, <c>a_mask.png</c>).
/// </remarks>
public static class SegmentationDataLoader
{
    static readonly string[] MaskStemSuffixes = ["", ".mask", "_mask", "-mask"];

    public static SegmentationDataSet Load(string root, SegmentationDataOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new SegmentationDataOptions();
        if (options.NmPerPixel is { } scale && (!(scale > 0) || !double.IsFinite(scale)))
            throw new ArgumentOutOfRangeException(nameof(options), scale, "nm per pixel must be a positive number.");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxClasses, 2, nameof(options.MaxClasses));
        var problems = new List<DatasetProblem>();
        if (!Directory.Exists(root))
        {
            problems.Add(new(ProblemSeverity.Error, root, File.Exists(root) ? "is a file; expected a folder of images and masks" : "folder does not exist"));
            throw new DatasetValidationException(root, problems);
        }
        var fullRoot = Path.GetFullPath(root);
        var (imageRoot, maskRoot) = Layout(fullRoot, options.MasksDirectory, problems);
        if (problems.Count > 0)
            throw new DatasetValidationException(fullRoot, problems);

        var pairs = Pair(imageRoot, maskRoot, problems);
        if (pairs.Count == 0 && !problems.Any(p => p.Severity == ProblemSeverity.Error))
            problems.Add(new(ProblemSeverity.Error, root, "no images (PNG, JPEG, TIFF, BMP) found"));

        var read = new Read?[pairs.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        var readProblems = new List<DatasetProblem>[pairs.Count];
        Parallel.For(0, pairs.Count, parallel, i => (read[i], readProblems[i]) = ReadPair(pairs[i], options.Banner));
        problems.AddRange(readProblems.Where(p => p is not null).SelectMany(p => p));
        var good = read.OfType<Read>().ToList();

        var decision = options.Kind is { } forced
            ? new MaskKindDecision(forced, false, "set with --mask-kind")
            : DetectKind(good, options.MaxClasses);
        var classNames = CheckValues(good, decision.Kind, options.MaxClasses, problems);

        if (problems.Any(p => p.Severity == ProblemSeverity.Error))
            throw new DatasetValidationException(fullRoot, problems);

        var samples = good.Select((r, i) => new SegmentationSample(r.Relative, r.Image, Convert(r.Mask, decision.Kind), i) { SourceFiles = r.Files }).ToArray();
        var data = new SegmentationData { Samples = samples, Kind = decision.Kind, ClassNames = classNames, NmPerPixel = options.NmPerPixel };
        return new SegmentationDataSet(fullRoot, data, decision, problems, good.Count(r => r.Banner), options.Banner);
    }

    sealed record Pairing(string Relative, string ImagePath, string? MaskPath);

    sealed record Read(string Relative, GrayImage Image, int[] Mask, int BitDepth, bool Banner, string[] Files);

    static (string Images, string? Masks) Layout(string root, string? masks, List<DatasetProblem> problems)
    {
        if (masks is not null)
        {
            var full = Path.GetFullPath(masks);
            if (!Directory.Exists(full))
                problems.Add(new(ProblemSeverity.Error, masks, "mask folder does not exist"));
            return (root, full);
        }
        string images = Path.Combine(root, "images"), pairedMasks = Path.Combine(root, "masks");
        return Directory.Exists(images) && Directory.Exists(pairedMasks) ? (images, pairedMasks) : (root, null);
    }

    static List<Pairing> Pair(string imageRoot, string? maskRoot, List<DatasetProblem> problems)
    {
        var maskRootPrefix = maskRoot is null ? null : maskRoot.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var files = Directory.EnumerateFiles(imageRoot, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Where(f => maskRootPrefix is null || !f.StartsWith(maskRootPrefix, StringComparison.Ordinal))
            .Select(f => Relative(imageRoot, f))
            .Order(NaturalOrder.Instance)
            .ToList();
        var pairs = new List<Pairing>();
        if (maskRoot is null)
        {
            var besides = files.Where(f => f.EndsWith(DatasetLoader.MaskSuffix, StringComparison.OrdinalIgnoreCase)).ToHashSet(StringComparer.Ordinal);
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in files.Where(f => !besides.Contains(f) && IsImage(f)))
            {
                var mask = Stem(file) + DatasetLoader.MaskSuffix;
                if (besides.Contains(mask))
                    used.Add(mask);
                pairs.Add(new(file, Full(imageRoot, file), besides.Contains(mask) ? Full(imageRoot, mask) : null));
            }
            foreach (var orphan in besides.Except(used).Order(NaturalOrder.Instance))
                problems.Add(new(ProblemSeverity.Warning, orphan, "mask has no image beside it with the same name; ignored"));
            return pairs;
        }

        var maskFiles = Directory.EnumerateFiles(maskRoot, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(IsImage)
            .Select(f => Relative(maskRoot, f))
            .ToList();
        var byStem = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var m in maskFiles)
        {
            var stem = Stem(m);
            foreach (var suffix in MaskStemSuffixes.Skip(1))
            {
                if (stem.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                {
                    stem = stem[..^suffix.Length];
                    break;
                }
            }
            if (!byStem.TryGetValue(stem, out var list))
                byStem[stem] = list = [];
            list.Add(m);
        }
        var usedMasks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files.Where(IsImage))
        {
            string? mask = null;
            if (byStem.TryGetValue(Stem(file), out var candidates))
            {
                if (candidates.Count > 1)
                    problems.Add(new(ProblemSeverity.Error, file, "several masks match it: " + string.Join(", ", candidates.Order(NaturalOrder.Instance))));
                mask = candidates[0];
                usedMasks.UnionWith(candidates);
            }
            pairs.Add(new(file, Full(imageRoot, file), mask is null ? null : Full(maskRoot, mask)));
        }
        foreach (var orphan in maskFiles.Except(usedMasks).Order(NaturalOrder.Instance))
            problems.Add(new(ProblemSeverity.Warning, "masks/" + orphan, "mask has no image with the same name; ignored"));
        return pairs;
    }

    static (Read?, List<DatasetProblem>) ReadPair(Pairing pair, BannerMode banner)
    {
        var problems = new List<DatasetProblem>();
        GrayImage? image = null;
        LabelImage? mask = null;
        try
        {
            image = ImageCodec.Decode(pair.ImagePath);
        }
        catch (ImageDecodeException e)
        {
            problems.Add(new(ProblemSeverity.Error, pair.Relative, "image does not decode: " + e.Reason));
        }
        if (pair.MaskPath is null)
        {
            problems.Add(new(ProblemSeverity.Error, pair.Relative, "has no mask"));
        }
        else
        {
            try
            {
                mask = LabelCodec.Decode(pair.MaskPath);
            }
            catch (ImageDecodeException e)
            {
                problems.Add(new(ProblemSeverity.Error, pair.Relative, $"its mask {Path.GetFileName(pair.MaskPath)} does not decode: {e.Reason}"));
            }
        }
        if (image is null || mask is null)
            return (null, problems);
        if (mask.Width != image.Width || mask.Height != image.Height)
        {
            problems.Add(new(ProblemSeverity.Error, pair.Relative, $"its mask {Path.GetFileName(pair.MaskPath)} is {mask.Width}x{mask.Height} but the image is {image.Width}x{image.Height}"));
            return (null, problems);
        }
        var values = mask.Values;
        var detection = BannerDetector.Detect(image);
        if (detection is not null)
        {
            image = BannerDetector.Remove(image, detection, banner);
            values = BannerDetector.Remove(values, image.Width, detection, banner);
        }
        if (Array.TrueForAll(values, v => v == 0))
        {
            problems.Add(new(ProblemSeverity.Error, pair.Relative, $"its mask {Path.GetFileName(pair.MaskPath)} is empty (every pixel 0)"));
            return (null, problems);
        }
        if (Array.Exists(values, v => v < 0))
        {
            problems.Add(new(ProblemSeverity.Error, pair.Relative, $"its mask {Path.GetFileName(pair.MaskPath)} holds negative values"));
            return (null, problems);
        }
        return (new Read(pair.Relative, image, values, mask.BitDepth, detection is not null && banner != BannerMode.Keep, [pair.ImagePath, pair.MaskPath!]), problems);
    }

    /// <summary>
    /// Binary when every mask holds one non-zero value; instances when masks are 16- or 32-bit or every non-zero value
    /// is one connected object; otherwise a class map.
    /// </summary>
    static MaskKindDecision DetectKind(List<Read> reads, int maxClasses)
    {
        if (reads.Count == 0)
            return new MaskKindDecision(MaskKind.Binary, true, "no readable masks");
        var deep = reads.FirstOrDefault(r => r.BitDepth > 8);
        if (deep is not null)
            return new MaskKindDecision(MaskKind.Instances, true, $"{deep.BitDepth}-bit masks ({deep.Relative}) hold instance ids");
        var distinct = reads.Select(r => r.Mask.Where(v => v != 0).Distinct().Count()).ToArray();
        if (distinct.All(d => d <= 1))
            return new MaskKindDecision(MaskKind.Binary, true, "every mask holds one non-zero value");
        int values = 0, single = 0;
        foreach (var r in reads)
        {
            var components = LabelRegions.ComponentsPerValue(r.Mask, r.Image.Width, r.Image.Height);
            values += components.Count;
            single += components.Values.Count(c => c == 1);
        }
        var allValues = reads.SelectMany(r => r.Mask).Distinct().Count();
        if (single >= 0.9 * values && (values > reads.Count * 2 || allValues > maxClasses))
            return new MaskKindDecision(MaskKind.Instances, true, string.Create(CultureInfo.InvariantCulture, $"{single} of {values} non-zero values are one connected object each"));
        if (allValues <= maxClasses)
            return new MaskKindDecision(MaskKind.ClassMap, true, string.Create(CultureInfo.InvariantCulture, $"{allValues} distinct values, most covering several regions"));
        return new MaskKindDecision(MaskKind.Instances, true, string.Create(CultureInfo.InvariantCulture, $"{allValues} distinct values, more than a class map's {maxClasses}"));
    }

    static IReadOnlyList<string> CheckValues(List<Read> reads, MaskKind kind, int maxClasses, List<DatasetProblem> problems)
    {
        if (kind != MaskKind.ClassMap)
            return ["background", "foreground"];
        var counts = new SortedDictionary<int, int>();
        foreach (var r in reads)
        {
            foreach (var v in r.Mask.Distinct())
                counts[v] = counts.GetValueOrDefault(v) + 1;
        }
        // The classes are 0..K-1 with K the longest run from 0 that every value up to it takes part in.
        var k = 0;
        while (counts.ContainsKey(k) && k < maxClasses)
            k++;
        foreach (var r in reads)
        {
            var bad = r.Mask.Where(v => v >= k).Distinct().Order().ToArray();
            if (bad.Length > 0)
                problems.Add(new(ProblemSeverity.Error, r.Relative, string.Create(CultureInfo.InvariantCulture,
                    $"its class map holds {string.Join(", ", bad.Take(8))}{(bad.Length > 8 ? ", …" : "")}, outside the classes 0..{k - 1} that the masks use")));
        }
        if (k < 2)
            problems.Add(new(ProblemSeverity.Error, "masks", "a class map needs at least the classes 0 and 1"));
        return [.. Enumerable.Range(0, k).Select(c => c == 0 ? "background" : "class " + c.ToString(CultureInfo.InvariantCulture))];
    }

    static int[] Convert(int[] mask, MaskKind kind) => kind switch
    {
        MaskKind.Binary => Array.ConvertAll(mask, v => v != 0 ? 1 : 0),
        _ => mask,
    };

    static bool IsImage(string path) => DatasetLoader.ImageExtensions.Contains(Path.GetExtension(path));

    static string Stem(string relative)
    {
        var name = relative.EndsWith(DatasetLoader.MaskSuffix, StringComparison.OrdinalIgnoreCase)
            ? relative[..^DatasetLoader.MaskSuffix.Length]
            : Path.ChangeExtension(relative, null);
        return name;
    }

    static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    static string Full(string root, string relative) => Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
}
