using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoClassify.Imaging.Formats;
using AutoClassify.IO;
using AutoClassify.Native;

namespace AutoClassify.Packaging;

/// <summary>A package opened for prediction: its manifest and the loaded model. Dispose it to free the model.</summary>
public sealed class LoadedModelPackage : IDisposable
{
    /// <summary>A package's manifest with a model that serves it (the loader's own, or another engine's, such as ONNX Runtime); takes ownership of <paramref name="model"/>.</summary>
    public LoadedModelPackage(string path, ModelPackageManifest manifest, IPackagedModel model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(model);
        Path = path;
        Manifest = manifest;
        Model = model;
    }

    /// <summary>The package file.</summary>
    public string Path { get; }

    public ModelPackageManifest Manifest { get; }

    public IPackagedModel Model { get; }

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Writes and reads model packages: one zip file (<c>*.acpkg</c>) holding <c>manifest.json</c> and the
/// model's payload files under <c>payload/</c>.
/// <para>
/// Reading trusts nothing inside the archive: entry names must be plain relative names (no <c>..</c>,
/// absolute paths, drive letters, backslashes, duplicates or links), declared sizes must stay within
/// <see cref="ModelPackageLimits"/>, the manifest's schema version must be known and every entry it
/// names must exist with the recorded size and SHA-256. Payloads are extracted into a private temporary
/// folder that is deleted after loading; nothing in a package is ever executed.
/// </para>
/// </summary>
public static class ModelPackage
{
    /// <summary>The package file extension.</summary>
    public const string Extension = ".acpkg";

    const long CompressionCheckFrom = 1L << 20;

    /// <summary>
    /// Writes <paramref name="model"/> with <paramref name="manifest"/> (whose payload list is filled in here)
    /// to <paramref name="path"/> atomically: readers see the old file or the complete new one.
    /// </summary>
    /// <returns>The manifest as written.</returns>
    public static ModelPackageManifest Write(string path, ModelPackageManifest manifest, IPackagedModel model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ModelPackageManifest? written = null;
        AtomicFile.Write(path, stream => written = Write(stream, manifest, model));
        return written!;
    }

    /// <summary>Writes the package into <paramref name="destination"/> (left open).</summary>
    public static ModelPackageManifest Write(Stream destination, ModelPackageManifest manifest, IPackagedModel model)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(model);
        if (manifest.ModelKind != model.Kind)
            throw new ArgumentException($"The manifest says model kind '{manifest.ModelKind}' but the model is '{model.Kind}'.", nameof(manifest));
        if (!manifest.ClassNames.SequenceEqual(model.ClassNames, StringComparer.Ordinal))
            throw new ArgumentException("The manifest's class names differ from the model's.", nameof(manifest));

        var staging = Directory.CreateTempSubdirectory("acpkg-write-");
        try
        {
            model.WritePayload(staging.FullName);
            if (staging.EnumerateDirectories().Any())
                throw new InvalidOperationException($"The {model.Kind} model wrote a subfolder into its payload; payloads are flat.");
            var files = staging.EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
            var payload = files.Select(f => new PayloadFile(ModelPackageManifest.PayloadFolder + f.Name, Sha256Hex(f.FullName), f.Length)).ToList();
            var complete = manifest with { Payload = payload };
            if (complete.FindProblem() is { } problem)
                throw new ArgumentException($"The package would be refused on reading: {problem}.", nameof(manifest));
            foreach (var file in payload)
            {
                if (EntryNameProblem(file.Name) is { } nameProblem)
                    throw new ArgumentException($"The {model.Kind} model wrote a payload file that a reader would refuse: {nameProblem}.", nameof(model));
            }

            var stamp = complete.Provenance.CreatedUtc == default ? DateTimeOffset.UtcNow : complete.Provenance.CreatedUtc;
            // Zip stores local times from 1980 on; clamp so an odd clock cannot make the writer throw.
            if (stamp.Year < 1981)
                stamp = new DateTimeOffset(1981, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using (var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true))
            {
                var entry = zip.CreateEntry(ModelPackageManifest.EntryName, CompressionLevel.Optimal);
                entry.LastWriteTime = stamp;
                using (var stream = entry.Open())
                    JsonSerializer.Serialize(stream, complete, ModelPackageManifest.Json);
                entry = zip.CreateEntry(ModelCard.EntryName, CompressionLevel.Optimal);
                entry.LastWriteTime = stamp;
                using (var stream = entry.Open())
                    stream.Write(Encoding.UTF8.GetBytes(ModelCard.Markdown(complete)));
                for (var i = 0; i < files.Count; i++)
                {
                    entry = zip.CreateEntry(payload[i].Name, CompressionLevel.Optimal);
                    entry.LastWriteTime = stamp;
                    using var target = entry.Open();
                    using var source = files[i].OpenRead();
                    source.CopyTo(target);
                }
            }
            return complete;
        }
        finally
        {
            TryDeleteDirectory(staging.FullName);
        }
    }

    /// <summary>
    /// Reads and checks the archive and its manifest without extracting or loading the payload (for listings).
    /// Throws <see cref="InvalidModelPackageException"/> for a package that <see cref="Open"/> would refuse on its structure.
    /// </summary>
    public static ModelPackageManifest ReadManifest(string path, ModelPackageLimits? limits = null) =>
        Read(path, limits, static (_, checkedPackage) => checkedPackage.Manifest);

    /// <summary>The Markdown model card stored in the package at <paramref name="path"/>, or null when it has none (written before cards were).</summary>
    public static string? ReadModelCard(string path, ModelPackageLimits? limits = null) =>
        Read<string?>(path, limits, static (full, checkedPackage) =>
            checkedPackage.Entries.TryGetValue(ModelCard.EntryName, out var card) && card.FullName == ModelCard.EntryName
                ? Encoding.UTF8.GetString(ReadBounded(card, checkedPackage.Limits.MaxManifestBytes, full))
                : null);

    /// <summary>Opens a package for prediction: checks it, extracts its payload privately, loads the model and deletes the extracted files.</summary>
    public static LoadedModelPackage Open(string path, ModelPackageLimits? limits = null) =>
        Read(path, limits, static (full, checkedPackage) => Load(full, checkedPackage.Manifest, checkedPackage.Entries));

    static LoadedModelPackage Load(string full, ModelPackageManifest manifest, Dictionary<string, ZipArchiveEntry> entries)
    {
        var kind = PackagedModelKinds.Find(manifest.ModelKind)
            ?? throw new InvalidModelPackageException(full, $"model kind '{manifest.ModelKind}' is unknown to this build (known: {string.Join(", ", PackagedModelKinds.Names)})");

        // CreateTempSubdirectory makes the folder readable by this user only (mode 0700).
        var temp = Directory.CreateTempSubdirectory("acpkg-read-");
        try
        {
            foreach (var payload in manifest.Payload)
                Extract(entries[payload.Name], payload, temp.FullName, full);
            IPackagedModel model;
            try
            {
                model = kind.Load(temp.FullName, manifest);
            }
            catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or IOException or ArgumentException or NativeException or JsonException or FormatException)
            {
                throw new InvalidModelPackageException(full, $"the {manifest.ModelKind} payload does not load: {ex.Message.TrimEnd('.')}", ex);
            }
            return new LoadedModelPackage(full, manifest, model);
        }
        finally
        {
            TryDeleteDirectory(temp.FullName);
        }
    }

    /// <summary>Why an archive entry name is refused, or null when it is a plain relative name.</summary>
    public static string? EntryNameProblem(string name)
    {
        if (string.IsNullOrEmpty(name))
            return "an entry has an empty name";
        if (name.Contains('\\', StringComparison.Ordinal))
            return $"entry '{name}' contains a backslash";
        if (name.StartsWith('/'))
            return $"entry '{name}' has an absolute path";
        if (name.Contains(':', StringComparison.Ordinal))
            return $"entry '{name}' has a drive letter or colon";
        var segments = name.Split('/');
        if (segments.Any(s => s == ".."))
            return $"entry '{name}' climbs out of the package with '..'";
        if (name.EndsWith('/'))
            return $"entry '{name}' is a folder entry; packages hold files only";
        if (segments.Any(s => s.Length == 0 || s == "."))
            return $"entry '{name}' has an empty or '.' path segment";
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/'))
                return $"entry '{name}' contains the character U+{(int)c:X4}; names may use A-Z, a-z, 0-9, '.', '_', '-' and '/'";
        }
        return null;
    }

    // The archive and its manifest, checked against the limits, are open only while read runs.
    static T Read<T>(string path, ModelPackageLimits? limits, Func<string, CheckedPackage, T> read)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        limits ??= ModelPackageLimits.Default;
        limits.Validate();
        var full = Path.GetFullPath(path);
        using var file = OpenFile(full);
        using var zip = OpenArchive(file, full);
        var (manifest, entries) = ReadChecked(zip, full, limits);
        return read(full, new CheckedPackage(manifest, entries, limits));
    }

    readonly record struct CheckedPackage(ModelPackageManifest Manifest, Dictionary<string, ZipArchiveEntry> Entries, ModelPackageLimits Limits);

    static FileStream OpenFile(string full)
    {
        try
        {
            return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Model package '{full}' does not exist.", full, ex);
        }
    }

    static ZipArchive OpenArchive(FileStream file, string full)
    {
        try
        {
            return new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidModelPackageException(full, $"not a readable zip archive, truncated or corrupt ({ex.Message.TrimEnd('.')})", ex);
        }
    }

    static (ModelPackageManifest Manifest, Dictionary<string, ZipArchiveEntry> Entries) ReadChecked(ZipArchive zip, string full, ModelPackageLimits limits)
    {
        if (zip.Entries.Count > limits.MaxEntries)
            throw new InvalidModelPackageException(full, $"it has {zip.Entries.Count} entries, more than the limit of {limits.MaxEntries}");
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.OrdinalIgnoreCase);
        long total = 0;
        foreach (var entry in zip.Entries)
        {
            if (EntryNameProblem(entry.FullName) is { } problem)
                throw new InvalidModelPackageException(full, problem);
            if (!entries.TryAdd(entry.FullName, entry))
                throw new InvalidModelPackageException(full, $"entry '{entry.FullName}' appears twice");
            const int typeMask = 0xF000, regularFile = 0x8000;
            var unixType = (entry.ExternalAttributes >> 16) & typeMask;
            if (unixType != 0 && unixType != regularFile)
                throw new InvalidModelPackageException(full, $"entry '{entry.FullName}' is a link or special file, not a regular file");
            if (entry.Length > limits.MaxEntryBytes)
                throw new InvalidModelPackageException(full, string.Create(CultureInfo.InvariantCulture,
                    $"entry '{entry.FullName}' declares {entry.Length} bytes uncompressed, over the limit of {limits.MaxEntryBytes} (zip bomb?)"));
            if (entry.Length >= CompressionCheckFrom && entry.Length > limits.MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
                throw new InvalidModelPackageException(full, string.Create(CultureInfo.InvariantCulture,
                    $"entry '{entry.FullName}' inflates {entry.CompressedLength} bytes to {entry.Length}, a ratio over the limit of {limits.MaxCompressionRatio} (zip bomb?)"));
            total += entry.Length;
            if (total > limits.MaxTotalBytes)
                throw new InvalidModelPackageException(full, string.Create(CultureInfo.InvariantCulture,
                    $"its entries declare more than {limits.MaxTotalBytes} bytes uncompressed in total (zip bomb?)"));
        }

        if (!entries.TryGetValue(ModelPackageManifest.EntryName, out var manifestEntry) || manifestEntry.FullName != ModelPackageManifest.EntryName)
            throw new InvalidModelPackageException(full, $"it has no '{ModelPackageManifest.EntryName}'");
        if (manifestEntry.Length > limits.MaxManifestBytes)
            throw new InvalidModelPackageException(full, string.Create(CultureInfo.InvariantCulture,
                $"'{ModelPackageManifest.EntryName}' declares {manifestEntry.Length} bytes, over the limit of {limits.MaxManifestBytes}"));
        var manifest = ParseManifest(ReadBounded(manifestEntry, limits.MaxManifestBytes, full), full);

        foreach (var payload in manifest.Payload)
        {
            if (!entries.TryGetValue(payload.Name, out var entry) || entry.FullName != payload.Name)
                throw new InvalidModelPackageException(full, $"the manifest names payload entry '{payload.Name}', which the archive does not contain");
            if (entry.Length != payload.Size)
                throw new InvalidModelPackageException(full, string.Create(CultureInfo.InvariantCulture,
                    $"entry '{payload.Name}' declares {entry.Length} bytes but the manifest records {payload.Size}"));
        }
        // The model card is optional (older packages have none) and only ever read as text, never loaded.
        var named = manifest.Payload.Select(p => p.Name).Append(ModelPackageManifest.EntryName).Append(ModelCard.EntryName).ToHashSet(StringComparer.Ordinal);
        if (entries.Keys.FirstOrDefault(e => !named.Contains(e)) is { } stray)
            throw new InvalidModelPackageException(full, $"entry '{stray}' is not listed in the manifest");
        return (manifest, entries);
    }

    static ModelPackageManifest ParseManifest(byte[] json, string full)
    {
        int version;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("schema_version", out var property)
                || !property.TryGetInt32(out version))
                throw new InvalidModelPackageException(full, "the manifest has no whole-number 'schema_version'");
        }
        catch (JsonException ex)
        {
            throw new InvalidModelPackageException(full, $"the manifest is not valid JSON ({ex.Message.TrimEnd('.')})", ex);
        }
        if (version != ModelPackageManifest.CurrentSchemaVersion)
            throw new InvalidModelPackageException(full, $"manifest schema version {version} is unknown (this build reads version {ModelPackageManifest.CurrentSchemaVersion})");

        ModelPackageManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelPackageManifest>(json, ModelPackageManifest.Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidModelPackageException(full, $"the manifest does not match schema version {version} ({ex.Message.TrimEnd('.')})", ex);
        }
        if (manifest is null)
            throw new InvalidModelPackageException(full, "the manifest is empty");
        if (manifest.FindProblem() is { } problem)
            throw new InvalidModelPackageException(full, problem);
        return manifest;
    }

    static byte[] ReadBounded(ZipArchiveEntry entry, long limit, string full)
    {
        try
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                if (buffer.Length + read > Math.Min(limit, entry.Length))
                    throw new InvalidModelPackageException(full, $"entry '{entry.FullName}' inflates beyond its declared size");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidModelPackageException(full, $"entry '{entry.FullName}' is corrupt ({ex.Message.TrimEnd('.')})", ex);
        }
    }

    static void Extract(ZipArchiveEntry entry, PayloadFile payload, string directory, string full)
    {
        var target = Path.GetFullPath(Path.Combine(directory, payload.Name[ModelPackageManifest.PayloadFolder.Length..]));
        if (Path.GetDirectoryName(target) != Path.GetFullPath(directory))
            throw new InvalidModelPackageException(full, $"payload entry '{payload.Name}' would land outside the extraction folder");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var source = entry.Open())
            using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var chunk = new byte[81920];
                long written = 0;
                int read;
                while ((read = source.Read(chunk)) > 0)
                {
                    written += read;
                    if (written > payload.Size)
                        throw new InvalidModelPackageException(full, $"entry '{payload.Name}' inflates beyond its declared size");
                    hash.AppendData(chunk, 0, read);
                    output.Write(chunk, 0, read);
                }
                if (written != payload.Size)
                    throw new InvalidModelPackageException(full, string.Create(CultureInfo.InvariantCulture, $"entry '{payload.Name}' holds {written} bytes, not the {payload.Size} recorded"));
            }
            var actual = Convert.ToHexString(hash.GetHashAndReset());
            if (!actual.Equals(payload.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidModelPackageException(full, $"entry '{payload.Name}' does not match its SHA-256 in the manifest");
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidModelPackageException(full, $"entry '{payload.Name}' is corrupt ({ex.Message.TrimEnd('.')})", ex);
        }
    }

    // A stack's section (file.mrcs#k) is fingerprinted by its file: changing the file changes every section.
    internal static string Sha256Hex(string path) => FileHash.Sha256Hex(EmPath.FileOf(path));

    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
