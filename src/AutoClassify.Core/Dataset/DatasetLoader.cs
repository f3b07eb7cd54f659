using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;

namespace AutoClassify.Dataset;

/// <summary>Options for scanning and validating a dataset tree.</summary>
public sealed class DatasetOptions
{
    /// <summary>Cross-validation folds the run will use: every class needs at least this many images.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Margins cut from every image; an image too small for them is skipped.</summary>
    public CropMargins Crop { get; init; }

    /// <summary>Decodes an image file to learn its size, throwing <see cref="ImageDecodeException"/> when unreadable.</summary>
    public Func<string, (int Width, int Height)> Probe { get; init; } = DefaultProbe;

    /// <summary>Decodes a mask file, throwing when unreadable.</summary>
    public Func<string, BinaryMask> MaskReader { get; init; } = ImageCodec.DecodeMask;

    /// <summary>Class folders required; a new labeled batch for <c>retrain</c> may hold a single class.</summary>
    public int MinClasses { get; init; } = 2;

    /// <summary>Images decoded at once while validating.</summary>
    public int Threads { get; init; }

    static (int, int) DefaultProbe(string path)
    {
        // An image above the reduce bound is checked by a reduced decode and sized by its header, never held whole.
        var factor = ImageReduction.FactorFor(path, ImageReduction.DefaultReduceAbovePixels);
        if (factor > 1 && ImageReduction.DeclaredSize(path) is var (width, height))
        {
            ImageReduction.DecodeReduced(path, factor);
            return ((int)width, (int)height);
        }
        var image = ImageCodec.Decode(path);
        return (image.Width, image.Height);
    }
}

/// <summary>
/// Scans a class-per-subfolder tree and validates it before any work starts: every problem is
/// collected at once, unusable files are skipped with a reason, and fatal problems throw together.
/// </summary>
/// <remarks>
/// Layout: <c>root/&lt;class&gt;/**/&lt;image&gt;</c>, images being PNG, JPEG, TIFF, BMP, MRC, DM3/DM4 or TIA SER;
/// every section of an MRC stack is an item <c>file.mrcs#k</c>. An optional mask
/// sits beside its image as <c>&lt;name&gt;.mask.png</c> (for <c>cell_01.tif</c>: <c>cell_01.mask.png</c>),
/// the same size as the image, any non-zero pixel marking the object.
/// </remarks>
public static class DatasetLoader
{
    /// <summary>File extensions read as images (case-insensitive), the microscope formats included.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>([".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", .. EmFormats.Extensions], StringComparer.OrdinalIgnoreCase);

    /// <summary>Suffix of a mask file; the rest of its name is the image's name without extension.</summary>
    public const string MaskSuffix = ".mask.png";

    public static LabeledDataset Load(string root, DatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new DatasetOptions();
        var problems = new List<DatasetProblem>();
        var skipped = new List<SkippedFile>();

        if (!Directory.Exists(root))
        {
            problems.Add(new(ProblemSeverity.Error, root, File.Exists(root)
                ? "is a file; expected a folder with one subfolder per class"
                : "folder does not exist"));
            throw new DatasetValidationException(root, problems);
        }
        root = Path.GetFullPath(root);
        var realRoot = DataTree.RealPath(root) ?? root;

        List<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(root).EnumerateFileSystemInfos().Where(e => !IsIgnorable(e.Name)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }
        catch (UnauthorizedAccessException)
        {
            problems.Add(new(ProblemSeverity.Error, root, "folder cannot be read (permission denied)"));
            throw new DatasetValidationException(root, problems);
        }

        var classDirs = new List<string>();
        foreach (var entry in entries)
        {
            if (entry.LinkTarget is not null)
            {
                var link = new TreeLink(entry.FullName, DataTree.RealPath(entry.FullName), Directory.Exists(entry.FullName));
                if (link.IsFolder)
                    problems.Add(new(ProblemSeverity.Error, entry.Name + "/", ClassLinkProblem(link, realRoot)));
                else
                    problems.Add(new(ProblemSeverity.Warning, entry.Name, "symbolic link at the top level is not in a class folder; ignored"));
            }
            else if (entry is DirectoryInfo)
            {
                classDirs.Add(entry.FullName);
            }
            else if (!entry.Name.Equals("README.md", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new(ProblemSeverity.Warning, entry.Name, "file at the top level is not in a class folder; ignored"));
            }
        }

        var candidates = new List<(string Full, string Relative, int Label, string? Mask)>();
        var classNames = classDirs.Select(d => Path.GetFileName(d)).ToList();
        for (var label = 0; label < classDirs.Count; label++)
            CollectClass(root, realRoot, classDirs[label], label, classNames, candidates, skipped, problems);

        // Damaged JPEGs kept on request (--keep-damaged-jpeg) are reported as warnings, like every other finding.
        var damaged = new System.Collections.Concurrent.ConcurrentBag<(string Path, string Reason)>();
        List<DatasetItem> probed;
        using (ImageLimits.OnKeptDamage((path, reason) => damaged.Add((path, reason))))
            probed = ProbeAll(candidates, options, skipped);
        foreach (var (path, reason) in damaged.OrderBy(d => d.Path, StringComparer.Ordinal))
            problems.Add(new(ProblemSeverity.Warning, Relative(root, path), reason + "; kept (--keep-damaged-jpeg)"));

        if (classNames.Count == 0)
            problems.Add(new(ProblemSeverity.Error, root, "no class folders found; expected one subfolder per class, each holding images"));
        else if (classNames.Count == 1 && options.MinClasses > 1)
            problems.Add(new(ProblemSeverity.Error, root, $"only one class folder ('{classNames[0]}'); classification needs at least two"));

        // Sections of one stack count once: they share a fold.
        var counts = new int[classNames.Count];
        foreach (var group in probed.GroupBy(i => i.Label))
            counts[group.Key] = StackGroups.FileCount(group);
        for (var k = 0; k < classNames.Count; k++)
        {
            if (counts[k] == 0)
                problems.Add(new(ProblemSeverity.Error, classNames[k] + "/", "class has no usable images"));
            else if (counts[k] < options.Folds)
                problems.Add(new(ProblemSeverity.Error, classNames[k] + "/",
                    $"class has {counts[k]} usable image(s), fewer than the {options.Folds} folds; add images or use fewer folds"));
        }

        if (problems.Any(p => p.Severity == ProblemSeverity.Error))
            throw new DatasetValidationException(root, [.. problems, .. skipped.Select(s => new DatasetProblem(ProblemSeverity.Warning, s.RelativePath, "skipped: " + s.Reason))]);

        return new LabeledDataset
        {
            Root = root,
            ClassNames = classNames,
            Items = probed,
            Skipped = skipped.OrderBy(s => s.RelativePath, StringComparer.Ordinal).ToList(),
            Warnings = problems,
        };
    }

    static void CollectClass(string root, string realRoot, string dir, int label, List<string> classNames,
        List<(string, string, int, string?)> candidates, List<SkippedFile> skipped, List<DatasetProblem> problems)
    {
        var scan = DataTree.Scan(dir, IsIgnorable);
        foreach (var (folder, reason) in scan.Unreadable)
            skipped.Add(new(Relative(root, folder) + "/", reason));
        foreach (var link in scan.Links)
        {
            var relative = Relative(root, link.Path);
            var reason = DataTree.Classify(link, realRoot, out var target);
            if (reason is not null)
            {
                skipped.Add(new(relative, reason));
                continue;
            }
            var targetClass = target!.Split('/')[0];
            var what = link.IsFolder ? "folder" : "file";
            if (target.Contains('/') && targetClass == classNames[label])
                skipped.Add(new(relative, $"symbolic link to the {what} '{target}' in the same class; counted once, there"));
            else if (classNames.Contains(targetClass, StringComparer.Ordinal) && target.Split('/').All(p => !IsIgnorable(p)))
                problems.Add(new(ProblemSeverity.Error, relative,
                    $"label conflict: symbolic link from class '{classNames[label]}' to the {what} '{target}' of class '{targetClass}'; one image cannot carry two labels (remove the link or move the image)"));
            else
                skipped.Add(new(relative, $"symbolic link to '{target}', which is not in a class folder; not followed"));
        }
        var files = scan.Files.ToList();
        var masks = files.Where(IsMask).ToHashSet(StringComparer.Ordinal);
        var usedMasks = new HashSet<string>(StringComparer.Ordinal);

        foreach (var file in files.Where(f => !IsMask(f)))
        {
            var relative = Relative(root, file);
            var extension = Path.GetExtension(file);
            if (!ImageExtensions.Contains(extension))
            {
                skipped.Add(new(relative, $"not an image file (extension '{extension}'; expected PNG, JPEG, TIFF, BMP, {EmFormats.Names})"));
                continue;
            }
            if (EmFormats.Expand(file) is { Count: > 1 } sections)
            {
                candidates.AddRange(sections.Select(section => (section, Relative(root, section), label, (string?)null)));
                continue;
            }
            var maskPath = Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file) + MaskSuffix);
            string? mask = null;
            if (masks.Contains(maskPath))
            {
                mask = maskPath;
                usedMasks.Add(maskPath);
            }
            candidates.Add((file, relative, label, mask));
        }

        foreach (var orphan in masks.Except(usedMasks).Order(StringComparer.Ordinal))
            problems.Add(new(ProblemSeverity.Warning, Relative(root, orphan), "mask has no image beside it with the same name; ignored"));
    }

    static List<DatasetItem> ProbeAll(List<(string Full, string Relative, int Label, string? Mask)> candidates,
        DatasetOptions options, List<SkippedFile> skipped)
    {
        var results = new (DatasetItem? Item, string? Reason)[candidates.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
        Parallel.For(0, candidates.Count, parallel, i => results[i] = ProbeOne(candidates[i], options));

        var items = new List<DatasetItem>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (results[i].Item is { } item)
                items.Add(item);
            else
                skipped.Add(new(candidates[i].Relative, results[i].Reason!));
        }
        return items;
    }

    static (DatasetItem?, string?) ProbeOne((string Full, string Relative, int Label, string? Mask) c, DatasetOptions options)
    {
        try
        {
            if (new FileInfo(EmPath.FileOf(c.Full)).Length == 0)
                return (null, "empty file (0 bytes)");
            var (width, height) = options.Probe(c.Full);
            var crop = options.Crop;
            if (width - crop.Left - crop.Right <= 0 || height - crop.Top - crop.Bottom <= 0)
                return (null, $"image is {width}x{height}, too small for --crop {crop}");
            if (c.Mask is not null)
            {
                BinaryMask mask;
                try
                {
                    mask = options.MaskReader(c.Mask);
                }
                catch (Exception ex) when (ex is ImageDecodeException or IOException or UnauthorizedAccessException)
                {
                    return (null, $"its mask {Path.GetFileName(c.Mask)} is unreadable: {Reason(ex)}");
                }
                if (mask.Width != width || mask.Height != height)
                    return (null, $"its mask {Path.GetFileName(c.Mask)} is {mask.Width}x{mask.Height} but the image is {width}x{height}");
            }
            return (new DatasetItem(c.Relative, c.Full, c.Label, c.Mask, width, height), null);
        }
        catch (Exception ex) when (ex is ImageDecodeException or IOException or UnauthorizedAccessException)
        {
            return (null, Reason(ex));
        }
    }

    static string Reason(Exception ex) => ex is ImageDecodeException decode ? decode.Reason : ex.Message;

    static bool IsMask(string path) => path.EndsWith(MaskSuffix, StringComparison.OrdinalIgnoreCase);

    static bool IsIgnorable(string name) => name.StartsWith('.');

    static string ClassLinkProblem(TreeLink link, string realRoot)
    {
        if (DataTree.Classify(link, realRoot, out var target) is { } reason)
            return "class folder is a " + reason + "; copy the images in, or point AutoClassify at the tree they live in";
        var top = target!.Split('/')[0];
        if (target == "." || IsIgnorable(top) || !Directory.Exists(Path.Combine(realRoot, top)))
            return $"class folder is a symbolic link to '{target}', which is not a class folder; not followed";
        return $"label conflict: class folder is a symbolic link to '{target}/', whose images already have the label '{top}'; remove the link";
    }

    static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}
