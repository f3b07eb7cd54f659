using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AutoClassify.Dataset;
using AutoClassify.Imaging;

namespace AutoClassify.Preprocessing;

/// <summary>What <c>benchmark</c> does with exact and near copies among the data set's images.</summary>
public enum NearDuplicateMode
{
    /// <summary>No check: every image is its own unit (the behaviour before the check existed).</summary>
    Keep,

    /// <summary>Copies form a group that stays in one fold, as the tiles of one image do (the default).</summary>
    Group,

    /// <summary>Only the first image of each group (in data-set order) is used; its copies are left out.</summary>
    Drop,
}

/// <summary>Images that are copies of one another: identical prepared pixels (exact) or a near match.</summary>
/// <param name="Members">Item indices, ascending.</param>
/// <param name="Exact">True when every member has the same pixels; false when at least one link is a near match.</param>
public sealed record DuplicateGroup(IReadOnlyList<int> Members, bool Exact);

/// <summary>
/// Finds exact and near copies among a data set's images before folds are drawn, so that two frames of one field
/// cannot sit in the training and the test fold. Exact copies have the same SHA-256 over their prepared pixels (after
/// crop and banner removal, so a re-encoded file is still caught); near copies have <see cref="PerceptualHash"/>es at most
/// <see cref="DuplicateScanOptions.MaxDistance"/> bits apart, confirmed by the correlation of their thumbnails.
/// Copies chain: when A matches B and B matches C, all three form one group.
/// </summary>
public sealed class DuplicateScan
{
    DuplicateScan(int[] groupOf, IReadOnlyList<DuplicateGroup> groups, IReadOnlyList<string> unreadable)
    {
        GroupOf = groupOf;
        Groups = groups;
        Unreadable = unreadable;
    }

    /// <summary>The group id of every item; items without a copy have a group of their own.</summary>
    public int[] GroupOf { get; }

    /// <summary>Groups of two or more copies.</summary>
    public IReadOnlyList<DuplicateGroup> Groups { get; }

    /// <summary>Items that could not be prepared and were not checked (the run reports them where it prepares images).</summary>
    public IReadOnlyList<string> Unreadable { get; }

    /// <summary>Images that belong to some group.</summary>
    public int ImagesInGroups => Groups.Sum(g => g.Members.Count);

    /// <summary>Prepares every item of <paramref name="dataset"/> (crop, banner) and finds its copies.</summary>
    public static DuplicateScan Run(LabeledDataset dataset, CropMargins crop, BannerMode banner, DuplicateScanOptions options, int threads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        var items = dataset.Items;
        var fingerprints = new ImageFingerprint?[items.Count];
        var digests = new string?[items.Count];
        var unreadable = new string?[items.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount, CancellationToken = cancellationToken };
        Parallel.For(0, items.Count, parallel, i =>
        {
            try
            {
                var image = ImagePreparation.Prepare(items[i], crop, banner).Image;
                fingerprints[i] = PerceptualHash.Fingerprint(image);
                digests[i] = PixelDigest(image);
            }
            catch (Exception ex) when (ex is ImageDecodeException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                unreadable[i] = $"{items[i].RelativePath}: {ex.Message}";
            }
        });
        var scan = Find(digests, fingerprints, options);
        return new DuplicateScan(scan.GroupOf, scan.Groups, [.. unreadable.Where(u => u is not null).Select(u => u!)]);
    }

    /// <summary>Groups items by pixel digest and fingerprint; a null entry (an unreadable image) matches nothing.</summary>
    public static DuplicateScan Find(IReadOnlyList<string?> digests, IReadOnlyList<ImageFingerprint?> fingerprints, DuplicateScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(digests);
        ArgumentNullException.ThrowIfNull(fingerprints);
        ArgumentNullException.ThrowIfNull(options);
        if (digests.Count != fingerprints.Count)
            throw new ArgumentException($"{digests.Count} digests for {fingerprints.Count} fingerprints.", nameof(fingerprints));
        var n = digests.Count;
        var parent = Enumerable.Range(0, n).ToArray();
        int Root(int i)
        {
            while (parent[i] != i)
                i = parent[i] = parent[parent[i]];
            return i;
        }
        var nearLink = new bool[n];
        void Union(int a, int b, bool near)
        {
            int ra = Root(a), rb = Root(b);
            if (ra != rb)
                parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
            if (near)
                nearLink[a] = nearLink[b] = true;
        }

        var firstOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            if (digests[i] is not { } digest)
                continue;
            if (firstOf.TryGetValue(digest, out var first))
                Union(first, i, near: false);
            else
                firstOf[digest] = i;
        }
        // Near matches among distinct pictures only: one representative per digest.
        var distinct = firstOf.Values.Where(i => fingerprints[i] is not null).Order().ToArray();
        for (var a = 0; a < distinct.Length; a++)
        {
            var fa = fingerprints[distinct[a]]!;
            for (var b = a + 1; b < distinct.Length; b++)
            {
                var fb = fingerprints[distinct[b]]!;
                if (PerceptualHash.Distance(fa.Hash, fb.Hash) <= options.MaxDistance
                    && PerceptualHash.Correlation(fa.Thumbnail, fb.Thumbnail) >= options.MinCorrelation)
                    Union(distinct[a], distinct[b], near: true);
            }
        }

        var groupOf = new int[n];
        var ids = new Dictionary<int, int>();
        for (var i = 0; i < n; i++)
        {
            var root = Root(i);
            if (!ids.TryGetValue(root, out var id))
                ids[root] = id = ids.Count;
            groupOf[i] = id;
        }
        var groups = Enumerable.Range(0, n).GroupBy(i => groupOf[i]).Where(g => g.Count() > 1)
            .Select(g => new DuplicateGroup([.. g.Order()], !g.Any(i => nearLink[i])))
            .OrderBy(g => g.Members[0])
            .ToList();
        return new DuplicateScan(groupOf, groups, []);
    }

    /// <summary>
    /// The groups whose members carry different labels: each is a label conflict, named file by file, that must stop
    /// the run (the same picture cannot be two classes).
    /// </summary>
    public IReadOnlyList<DatasetProblem> LabelConflicts(LabeledDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var problems = new List<DatasetProblem>();
        foreach (var group in Groups)
        {
            var labels = group.Members.Select(i => dataset.Items[i].Label).Distinct().Count();
            if (labels < 2)
                continue;
            var first = dataset.Items[group.Members[0]];
            var copies = group.Members.Skip(1).Select(i => $"{dataset.Items[i].RelativePath} ({dataset.ClassNames[dataset.Items[i].Label]})");
            problems.Add(new DatasetProblem(ProblemSeverity.Error, first.RelativePath,
                $"label conflict: this image ({dataset.ClassNames[first.Label]}) has {(group.Exact ? "exact" : "near")} copies under another label: {string.Join(", ", copies)}. Fix the labels or remove the copies."));
        }
        return problems;
    }

    /// <summary>One line for the log and the report: how many groups, how many images, and what was done with them.</summary>
    public string Describe(NearDuplicateMode mode)
    {
        var inv = CultureInfo.InvariantCulture;
        if (Groups.Count == 0)
            return "no exact or near copies found";
        var exact = Groups.Count(g => g.Exact);
        var counts = string.Create(inv, $"{Groups.Count} group(s) of copies ({exact} exact, {Groups.Count - exact} near) holding {ImagesInGroups} images");
        return mode == NearDuplicateMode.Drop
            ? string.Create(inv, $"{counts}; {ImagesInGroups - Groups.Count} copies dropped, the first image of each group kept")
            : $"{counts}; each group stays in one fold";
    }

    static string PixelDigest(GrayImage image)
    {
        Span<byte> header = stackalloc byte[8];
        BitConverter.TryWriteBytes(header, image.Width);
        BitConverter.TryWriteBytes(header[4..], image.Height);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header);
        sha.AppendData(MemoryMarshal.AsBytes(image.Pixels.AsSpan()));
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}

/// <summary>The near-copy thresholds of <see cref="DuplicateScan"/>; the defaults are those of <c>retrain</c>'s batch check.</summary>
public sealed class DuplicateScanOptions
{
    /// <summary>Largest perceptual-hash distance (bits of 64) of a near copy.</summary>
    public int MaxDistance { get; init; } = 4;

    /// <summary>Smallest correlation of the standardised thumbnails that confirms a hash match.</summary>
    public double MinCorrelation { get; init; } = 0.95;
}
