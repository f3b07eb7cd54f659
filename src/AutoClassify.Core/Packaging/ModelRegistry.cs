using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AutoClassify.IO;

namespace AutoClassify.Packaging;

/// <summary>A registry operation failed; the message names the registry folder or file and the problem.</summary>
public sealed class ModelRegistryException : Exception
{
    public ModelRegistryException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>One stored version of a model; <see cref="Problem"/> is set (and <see cref="Manifest"/> null) when its package is refused.</summary>
public sealed record ModelVersionInfo(int Version, string PackagePath, long SizeBytes, bool IsChampion, ModelPackageManifest? Manifest, string? Problem);

/// <summary>A model name in the registry with its versions (ascending) and champion.</summary>
public sealed record RegisteredModel(string Name, int? Champion, IReadOnlyList<ModelVersionInfo> Versions);

/// <summary>
/// A folder of versioned model packages: <c>&lt;root&gt;/&lt;name&gt;/v&lt;N&gt;/model.acpkg</c>, and
/// <c>&lt;root&gt;/&lt;name&gt;/champion.json</c> naming the version that <c>predict &lt;name&gt;</c> uses.
/// <para>
/// Durability: a package is written completely to a hidden staging file beside the versions, flushed to
/// disk, checked, and only then renamed into its version folder, so <c>model.acpkg</c> is never partial;
/// the champion pointer is replaced by an atomic rename. A writer killed at any point leaves at most a
/// hidden temporary file (ignored, swept after <see cref="StaleAfter"/>) or an empty claimed version folder
/// (ignored; its number stays used).
/// </para>
/// <para>
/// Concurrency: version numbers are claimed by creating <c>v&lt;N&gt;/.claim</c> exclusively, so two
/// writers never take the same number; promotion is last-writer-wins.
/// </para>
/// </summary>
public sealed partial class ModelRegistry
{
    /// <summary>The registry folder used when none is given.</summary>
    public const string DefaultFolder = "models";

    /// <summary>The package file inside a version folder.</summary>
    public const string PackageFileName = "model.acpkg";

    /// <summary>The champion pointer inside a model's folder.</summary>
    public const string ChampionFileName = "champion.json";

    const string ClaimFileName = ".claim";
    const string StagingPrefix = ".staging-";

    /// <summary>Hidden temporary files older than this belong to no live writer and are deleted by <see cref="SweepStaleFiles(TimeSpan)"/>.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    /// <summary>Opens (without creating) the registry at <paramref name="root"/>.</summary>
    public ModelRegistry(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The registry folder (absolute).</summary>
    public string Root { get; }

    /// <summary>Every model in the registry, by name.</summary>
    public IReadOnlyList<RegisteredModel> List()
    {
        if (!Directory.Exists(Root))
            return [];
        return Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .Where(n => n is not null && NamePattern().IsMatch(n))
            .Order(StringComparer.Ordinal)
            .Select(n => Show(n!))
            .ToList();
    }

    /// <summary>A model's versions and champion; throws <see cref="ModelRegistryException"/> when the name is unknown.</summary>
    public RegisteredModel Show(string name)
    {
        var folder = ModelFolder(name);
        if (!Directory.Exists(folder))
            throw new ModelRegistryException($"No model '{name}' in registry '{Root}'.");
        var champion = TryReadChampion(name, out _);
        var versions = Versions(folder).Select(v =>
        {
            var path = PackagePath(name, v);
            var size = new FileInfo(path).Length;
            try
            {
                return new ModelVersionInfo(v, path, size, v == champion, ModelPackage.ReadManifest(path), null);
            }
            catch (Exception ex) when (ex is InvalidModelPackageException or IOException)
            {
                return new ModelVersionInfo(v, path, size, v == champion, null, ex.Message);
            }
        }).ToList();
        return new RegisteredModel(name, champion, versions);
    }

    /// <summary>The package of a version (whether or not it exists).</summary>
    public string PackagePath(string name, int version)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        return Path.Combine(ModelFolder(name), VersionFolderName(version), PackageFileName);
    }

    /// <summary>Copies the package file at <paramref name="packagePath"/> into the registry as the next version of <paramref name="name"/>.</summary>
    /// <returns>The new version number.</returns>
    public int Add(string name, string packagePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packagePath);
        var source = Path.GetFullPath(packagePath);
        if (!File.Exists(source))
            throw new FileNotFoundException($"Model package '{source}' does not exist.", source);
        return Add(name, stream =>
        {
            using var input = File.OpenRead(source);
            input.CopyTo(stream);
        });
    }

    /// <summary>
    /// Adds the next version of <paramref name="name"/>, whose package <paramref name="writePackage"/> writes
    /// (e.g. with <see cref="ModelPackage.Write(Stream, ModelPackageManifest, IPackagedModel)"/>). The package is
    /// checked (<see cref="ModelPackage.ReadManifest"/>) before it becomes visible.
    /// </summary>
    /// <returns>The new version number.</returns>
    public int Add(string name, Action<Stream> writePackage)
    {
        ArgumentNullException.ThrowIfNull(writePackage);
        var folder = ModelFolder(name);
        Directory.CreateDirectory(folder);
        SweepFolder(folder, StaleAfter);
        var staging = Path.Combine(folder, $"{StagingPrefix}{Guid.NewGuid():N}.acpkg.tmp");
        try
        {
            using (var stream = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                writePackage(stream);
                stream.Flush(flushToDisk: true);
            }
            ModelPackage.ReadManifest(staging);
            var version = ClaimVersion(folder);
            // No overwrite: the claim makes the folder ours, and a file there would mean a broken invariant.
            File.Move(staging, PackagePath(name, version), overwrite: false);
            return version;
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    /// <summary>Makes <paramref name="version"/> the champion of <paramref name="name"/> (atomically replacing the pointer).</summary>
    public void Promote(string name, int version)
    {
        var path = CheckPromotable(name, version);
        AtomicFile.WriteAllText(path, ChampionJson(version));
    }

    /// <summary>Makes <paramref name="version"/> the champion only if <paramref name="name"/> has none yet; true when it did.</summary>
    public bool PromoteIfNoChampion(string name, int version)
    {
        var path = CheckPromotable(name, version);
        if (File.Exists(path))
            return false;
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{ChampionFileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(ChampionJson(version)));
                stream.Flush(flushToDisk: true);
            }
            // Without overwrite the rename fails if another writer got there first, so the first version wins.
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>The champion version of <paramref name="name"/>, or null when none is set.</summary>
    public int? ChampionVersion(string name)
    {
        var champion = TryReadChampion(name, out var problem);
        if (problem is not null)
            throw new ModelRegistryException(problem);
        return champion;
    }

    /// <summary>The package path of the champion of <paramref name="name"/>; throws naming what is missing.</summary>
    public string ResolveChampion(string name)
    {
        var folder = ModelFolder(name);
        if (!Directory.Exists(folder))
        {
            var known = List().Select(m => m.Name).ToList();
            throw new ModelRegistryException($"No model '{name}' in registry '{Root}'" +
                (known.Count > 0 ? $"; it holds: {string.Join(", ", known)}." : "; it is empty."));
        }
        var version = ChampionVersion(name)
            ?? throw new ModelRegistryException($"Model '{name}' in registry '{Root}' has no champion; promote a version with 'autoclassify models promote {name} <version>'.");
        var path = PackagePath(name, version);
        if (!File.Exists(path))
            throw new ModelRegistryException($"'{Path.Combine(folder, ChampionFileName)}' names version {version}, but '{path}' does not exist.");
        return path;
    }

    /// <summary>Deletes hidden temporary files older than <paramref name="olderThan"/> that killed writers left in every model folder; returns how many.</summary>
    public int SweepStaleFiles(TimeSpan olderThan)
    {
        if (!Directory.Exists(Root))
            return 0;
        return Directory.EnumerateDirectories(Root).Sum(folder => SweepFolder(folder, olderThan));
    }

    /// <summary>Throws unless <paramref name="name"/> is a safe model name (letters, digits, '.', '_', '-'; starting with a letter or digit; at most 64 characters).</summary>
    public static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!NamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal))
            throw new ArgumentException($"Model name '{name}' is not allowed: use letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters.", nameof(name));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^v([1-9][0-9]{0,8})$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();

    string ModelFolder(string name)
    {
        CheckName(name);
        return Path.Combine(Root, name);
    }

    static string VersionFolderName(int version) => "v" + version.ToString(CultureInfo.InvariantCulture);

    /// <summary>Complete versions only: a claimed folder without its package is a writer that died or is still renaming.</summary>
    static List<int> Versions(string folder) =>
        AllVersionFolders(folder)
            .Where(v => File.Exists(Path.Combine(folder, VersionFolderName(v), PackageFileName)))
            .ToList();

    static IEnumerable<int> AllVersionFolders(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder)
                .Select(d => VersionPattern().Match(Path.GetFileName(d)))
                .Where(m => m.Success)
                .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                .Order()
            : [];

    static int ClaimVersion(string folder)
    {
        var next = AllVersionFolders(folder).DefaultIfEmpty(0).Max() + 1;
        for (var attempt = 0; attempt < 1000; attempt++, next++)
        {
            var versionFolder = Path.Combine(folder, VersionFolderName(next));
            Directory.CreateDirectory(versionFolder);
            var claim = Path.Combine(versionFolder, ClaimFileName);
            try
            {
                using var stream = new FileStream(claim, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                stream.Write(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"{Environment.ProcessId} {DateTimeOffset.UtcNow:O}\n")));
                return next;
            }
            catch (IOException) when (File.Exists(claim))
            {
                // Another writer holds this number; try the next.
            }
        }
        throw new ModelRegistryException($"Could not claim a version number in '{folder}' after 1000 attempts.");
    }

    string CheckPromotable(string name, int version)
    {
        var folder = ModelFolder(name);
        var package = PackagePath(name, version);
        if (!File.Exists(package))
            throw new ModelRegistryException($"Model '{name}' has no version {version} in registry '{Root}' ('{package}' does not exist).");
        try
        {
            ModelPackage.ReadManifest(package);
        }
        catch (InvalidModelPackageException ex)
        {
            throw new ModelRegistryException($"Version {version} of '{name}' cannot become champion: {ex.Message}", ex);
        }
        return Path.Combine(folder, ChampionFileName);
    }

    int? TryReadChampion(string name, out string? problem)
    {
        problem = null;
        var path = Path.Combine(ModelFolder(name), ChampionFileName);
        if (!File.Exists(path))
            return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("schema_version", out var schema) && schema.TryGetInt32(out var s) && s == 1
                && root.TryGetProperty("version", out var v) && v.TryGetInt32(out var version) && version >= 1)
                return version;
            problem = $"'{path}' is not a champion pointer of schema version 1 with a positive 'version'.";
        }
        catch (JsonException ex)
        {
            problem = $"'{path}' is not valid JSON: {ex.Message}";
        }
        return null;
    }

    static string ChampionJson(int version) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["schema_version"] = 1,
            ["version"] = version,
            ["promoted_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        }, ModelPackageManifest.Json);

    static int SweepFolder(string folder, TimeSpan olderThan)
    {
        var cutoff = DateTime.UtcNow - olderThan;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            if (File.GetLastWriteTimeUtc(file) < cutoff && TryDelete(file))
                deleted++;
        }
        return deleted;
    }

    static bool TryDelete(string path)
    {
        try
        {
            if (!File.Exists(path))
                return false;
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
