using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AutoClassify.Dataset;
using AutoClassify.Imaging.Formats;
using AutoClassify.IO;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>One image (and its mask) of a fingerprinted run, identified by content.</summary>
/// <param name="Path">Path relative to the dataset root, '/'-separated.</param>
/// <param name="Sha256">SHA-256 of the image file (hex).</param>
/// <param name="MaskSha256">SHA-256 of its mask file, or null when it has none.</param>
public sealed record FingerprintFile(string Path, string Sha256, string? MaskSha256);

/// <summary>
/// Everything that determines a benchmark's per-fold numbers: the settings that shape data and models, the
/// software versions, and the images by content. Two runs with equal fingerprints give identical folds, so a
/// fold saved by one can stand in for the other's (see <see cref="FoldCheckpoint"/>).
/// </summary>
/// <remarks>
/// Files are identified by SHA-256 of their content, not by size and modification time: copies (cp, rsync,
/// unzip, git checkout) change times without changing pixels, and a re-exported image can keep its size.
/// Hashing the 564 JPEGs of the SEM set takes well under a second, nothing beside one fold's training.
/// Settings are read from <see cref="BenchmarkOptions"/> by reflection, so an option added later is covered
/// without anyone remembering to list it here; only the settings known not to change any number are left out.
/// </remarks>
public sealed class RunFingerprint
{
    // Options that do not change a single number of a fold: where things are, how they are shown, which
    // models run (each model has its own fold files), and resuming itself.
    static readonly HashSet<string> IgnoredOptions = new(StringComparer.Ordinal)
    {
        nameof(BenchmarkOptions.DatasetPath),
        nameof(BenchmarkOptions.CommandLine),
        nameof(BenchmarkOptions.Threads),
        nameof(BenchmarkOptions.Models),
        nameof(BenchmarkOptions.CheckpointDirectory),
        nameof(BenchmarkOptions.Scope),
        nameof(BenchmarkOptions.Units),
        nameof(BenchmarkOptions.Resume),
        nameof(BenchmarkOptions.ExtraFeaturesPath),
        // Overlapping changes a number only through the networks' thread count, which cnnThreads records.
        nameof(BenchmarkOptions.Overlap),
        nameof(BenchmarkOptions.OverlapMinImages),
        // Where a unit trains does not change its numbers: the same seed, thread count and data.
        nameof(BenchmarkOptions.UnitWorker),
    };

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Rebuilds a fingerprint, e.g. from a checkpoint's manifest.</summary>
    [JsonConstructor]
    public RunFingerprint(IReadOnlyDictionary<string, string> settings, IReadOnlyList<FingerprintFile> files)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(files);
        Settings = new SortedDictionary<string, string>(settings.ToDictionary(), StringComparer.Ordinal).AsReadOnly();
        Files = [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)];
        Hash = ComputeHash(Settings, Files);
    }

    /// <summary>Settings and versions, flattened to <c>name = invariant text</c> (e.g. <c>seed</c>, <c>modelSettings.cnn.maxEpochs</c>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The run's images by content, sorted by path.</summary>
    public IReadOnlyList<FingerprintFile> Files { get; }

    /// <summary>SHA-256 (hex) over <see cref="Settings"/> and <see cref="Files"/>.</summary>
    [JsonIgnore]
    public string Hash { get; }

    /// <summary>The fingerprint of a run of <paramref name="options"/> on <paramref name="dataset"/>; reads every image and mask once.</summary>
    public static RunFingerprint Compute(BenchmarkOptions options, LabeledDataset dataset, int threads = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataset);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in typeof(BenchmarkOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || IgnoredOptions.Contains(property.Name))
                continue;
            Flatten(JsonNamingPolicy.CamelCase.ConvertName(property.Name), ToNode(property.GetValue(options), property.PropertyType), settings);
        }
        // The CNN's thread count is kept apart: it matters only when a CNN runs (below), never to the SVM.
        settings.Remove("modelSettings.cnn.threads");
        if (options.Models.Any(m => ModelCatalog.InputsOf(m).Contains(ModelInput.Images)))
        {
            // libtorch splits its reductions by thread, so a CNN's floats can differ in the last bits between thread counts.
            settings["cnnThreads"] = ModelOverlap.Plan(options, dataset.Items.Count).NetworkThreads.ToString(CultureInfo.InvariantCulture);
        }
        settings["extraFeatures"] = options.ExtraFeaturesPath is { } extra
            ? "sha256 " + FileHash.Sha256Hex(extra)
            : "none";
        settings["toolVersion"] = BenchmarkRunner.ToolVersion;
        foreach (var (name, version) in BenchmarkRunner.NativeVersions())
            settings["native." + name] = version;
        settings["dataset.classNames"] = string.Join(", ", dataset.ClassNames);
        return new RunFingerprint(settings, HashFiles(dataset, threads, cancellationToken));
    }

    /// <summary>What differs from <paramref name="earlier"/>, one readable line per difference; empty when the runs match.</summary>
    public IReadOnlyList<string> Differences(RunFingerprint earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var lines = new List<string>();
        foreach (var key in Settings.Keys.Union(earlier.Settings.Keys).Order(StringComparer.Ordinal))
        {
            var before = earlier.Settings.GetValueOrDefault(key);
            var now = Settings.GetValueOrDefault(key);
            if (before != now)
                lines.Add($"{key}: {before ?? "(not set)"} -> {now ?? "(not set)"}");
        }

        var old = earlier.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var current = Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        AddFileLine(lines, "image(s) added", current.Keys.Where(p => !old.ContainsKey(p)));
        AddFileLine(lines, "image(s) removed", old.Keys.Where(p => !current.ContainsKey(p)));
        AddFileLine(lines, "image(s) or mask(s) changed content", current.Keys.Where(p => old.TryGetValue(p, out var before) && before != current[p]));
        if (lines.Count == 0 && Hash != earlier.Hash)
            lines.Add("the fingerprints differ in form (written by another AutoClassify version)");
        return lines;
    }

    static void AddFileLine(List<string> lines, string what, IEnumerable<string> paths)
    {
        const int shown = 5;
        var list = paths.Order(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
            return;
        var more = list.Count > shown ? $", and {list.Count - shown} more" : "";
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"{list.Count} {what}: {string.Join(", ", list.Take(shown))}{more}"));
    }

    static JsonNode? ToNode(object? value, Type type)
    {
        try
        {
            return JsonSerializer.SerializeToNode(value, type, JsonOptions);
        }
        catch (NotSupportedException)
        {
            // A setting JSON cannot express (a callback, say) is named by type, so adding one never breaks resuming.
            return JsonValue.Create(value is null ? "null" : "(" + value.GetType().Name + ")");
        }
    }

    static void Flatten(string prefix, JsonNode? node, Dictionary<string, string> into)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, child) in obj)
                Flatten(prefix + "." + name, child, into);
        }
        else
        {
            into[prefix] = node is null ? "null" : node is JsonValue v && v.TryGetValue<string>(out var text) ? text : node.ToJsonString(JsonOptions);
        }
    }

    static List<FingerprintFile> HashFiles(LabeledDataset dataset, int threads, CancellationToken cancellationToken)
    {
        var files = new FingerprintFile[dataset.Items.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, files.Length, parallel, i =>
        {
            var item = dataset.Items[i];
            files[i] = new FingerprintFile(item.RelativePath, FileHash.Sha256Hex(EmPath.FileOf(item.FullPath)),
                item.MaskPath is null ? null : FileHash.Sha256Hex(EmPath.FileOf(item.MaskPath)));
        });
        return [.. files];
    }

    static string ComputeHash(IReadOnlyDictionary<string, string> settings, IReadOnlyList<FingerprintFile> files)
    {
        // JSON escapes every separator and line break, so no two different fingerprints hash the same text.
        var text = JsonSerializer.Serialize(new { settings, files }, JsonOptions);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
