using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoClassify.Dataset;
using AutoClassify.IO;

namespace AutoClassify.Packaging;

/// <summary>One image of a reference set: its data folder, its path below it, its SHA-256 (hex) and its class name.</summary>
public sealed record ReferenceItem(string Root, string Path, string Sha256, string ClassName)
{
    /// <summary>The image file on this machine.</summary>
    public string FullPath => System.IO.Path.Combine(Root, Path.Replace('/', System.IO.Path.DirectorySeparatorChar));
}

/// <summary>
/// The frozen hold-out of a registry model (<c>&lt;registry&gt;/&lt;name&gt;/reference.json</c>): a stratified share of
/// the images, fixed when the name is first trained, that no version ever trains on. <c>retrain</c> scores champion
/// and challenger on it, so both are judged on the same unseen images. Items are matched by content hash, so a
/// reference image stays excluded wherever its file is copied.
/// </summary>
public sealed record ReferenceSet
{
    /// <summary>The only schema version this build reads and writes.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>The file inside a model's registry folder.</summary>
    public const string FileName = "reference.json";

    /// <summary>Share of each class held out when a name is first trained.</summary>
    public const double DefaultShare = 0.15;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The seed the hold-out was drawn with.</summary>
    public int Seed { get; init; }

    /// <summary>The share of each class that was held out.</summary>
    public double Share { get; init; } = DefaultShare;

    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The held-out images, in the order they were added.</summary>
    public IReadOnlyList<ReferenceItem> Items { get; init; } = [];

    /// <summary>True when an image with this SHA-256 (hex, any case) belongs to the set.</summary>
    public bool Contains(string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        return Items.Any(i => i.Sha256.Equals(sha256, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>SHA-256 (hex) over <c>sha256  class  path</c> lines of the items sorted ordinally; recorded in each package's provenance.</summary>
    public string ItemsSha256()
    {
        var text = new StringBuilder();
        foreach (var line in Items.Select(i => $"{i.Sha256.ToUpperInvariant()}  {i.ClassName}  {i.Path}").Order(StringComparer.Ordinal))
            text.Append(line).Append('\n');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The summary a package manifest records.</summary>
    public PackageReference ToPackageReference() => new(Items.Count, ItemsSha256());

    /// <summary>Where the reference set of <paramref name="name"/> lives in <paramref name="registry"/>.</summary>
    public static string PathIn(ModelRegistry registry, string name)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ModelRegistry.CheckName(name);
        return System.IO.Path.Combine(registry.Root, name, FileName);
    }

    /// <summary>The reference set of <paramref name="name"/>, or null when it has none; throws <see cref="ModelRegistryException"/> naming the file when it is unreadable.</summary>
    public static ReferenceSet? TryRead(ModelRegistry registry, string name)
    {
        var path = PathIn(registry, name);
        if (!File.Exists(path))
            return null;
        ReferenceSet? set;
        try
        {
            set = JsonSerializer.Deserialize<ReferenceSet>(File.ReadAllBytes(path), ModelPackageManifest.Json);
        }
        catch (JsonException ex)
        {
            throw new ModelRegistryException($"Reference set '{path}' is not valid JSON: {ex.Message}", ex);
        }
        if (set is null)
            throw new ModelRegistryException($"Reference set '{path}' is empty.");
        if (set.FindProblem() is { } problem)
            throw new ModelRegistryException($"Reference set '{path}' is refused: {problem}.");
        return set;
    }

    /// <summary>Writes the set as the reference set of <paramref name="name"/>, atomically.</summary>
    public void WriteTo(ModelRegistry registry, string name)
    {
        if (FindProblem() is { } problem)
            throw new InvalidOperationException($"The reference set cannot be written: {problem}.");
        AtomicFile.WriteAllText(PathIn(registry, name), JsonSerializer.Serialize(this, ModelPackageManifest.Json));
    }

    /// <summary>The first problem a reader would refuse, or null.</summary>
    public string? FindProblem()
    {
        if (SchemaVersion != CurrentSchemaVersion)
            return $"schema version {SchemaVersion} is not supported (this build reads version {CurrentSchemaVersion})";
        if (!double.IsFinite(Share) || Share < 0 || Share >= 1)
            return string.Create(CultureInfo.InvariantCulture, $"share {Share} is outside [0, 1)");
        if (Items is null)
            return "it has no item list";
        foreach (var item in Items)
        {
            if (item is null || string.IsNullOrWhiteSpace(item.Root) || string.IsNullOrWhiteSpace(item.Path) || string.IsNullOrWhiteSpace(item.ClassName))
                return "an item lacks its root, path or class name";
            if (item.Sha256 is null || item.Sha256.Length != 64 || !item.Sha256.All(Uri.IsHexDigit))
                return $"item '{item.Path}' has no valid SHA-256";
        }
        return null;
    }
}

/// <summary>Draws the reference hold-out: a stratified share of each class, deterministic from the seed.</summary>
public static class ReferenceSplit
{
    /// <summary>
    /// Marks the items held out: per class, round(<paramref name="share"/> × n) of them and at least one when the
    /// class has three or more, but never so many that fewer than <paramref name="keepAtLeast"/> remain for training.
    /// Each class is shuffled with its own seed derived from <paramref name="seed"/>.
    /// </summary>
    public static bool[] Carve(IReadOnlyList<int> labels, double share, int seed, int keepAtLeast = 2)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!double.IsFinite(share) || share < 0 || share >= 1)
            throw new ArgumentOutOfRangeException(nameof(share), share, "The reference share must lie in [0, 1).");
        ArgumentOutOfRangeException.ThrowIfNegative(keepAtLeast);
        var held = new bool[labels.Count];
        if (share == 0)
            return held;
        foreach (var group in labels.Select((label, index) => (label, index)).GroupBy(x => x.label).OrderBy(g => g.Key))
        {
            var members = group.Select(x => x.index).ToArray();
            var n = members.Length;
            var quota = n < 3 ? 0 : Math.Max(1, (int)Math.Round(share * n, MidpointRounding.AwayFromZero));
            quota = Math.Clamp(quota, 0, Math.Max(0, n - keepAtLeast));
            new Random(Seeds.Derive(seed, "reference", group.Key)).Shuffle(members);
            foreach (var index in members.Take(quota))
                held[index] = true;
        }
        return held;
    }
}
