using System.Globalization;
using System.Text.Json;
using AutoClassify.Dataset;
using AutoClassify.IO;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>
/// Thrown by <c>--resume</c> when the checkpoint was written by a run with other settings, data or software:
/// its folds would not match this run's, so none is reused. Lists every difference.
/// </summary>
public sealed class CheckpointMismatchException : Exception
{
    public CheckpointMismatchException(string directory, IReadOnlyList<string> differences)
        : base($"Cannot resume from the checkpoint in '{directory}': it was saved by a run that differs from this one:" + Environment.NewLine +
            string.Join(Environment.NewLine, differences.Select(d => "  " + d)) + Environment.NewLine +
            "Run with the same settings and data to resume, or without --resume to start afresh (the checkpoint is then replaced).")
    {
        Directory = directory;
        Differences = differences;
    }

    /// <summary>The checkpoint folder.</summary>
    public string Directory { get; }

    /// <summary>One readable line per difference (a setting, a version, added, removed or changed images).</summary>
    public IReadOnlyList<string> Differences { get; }
}

/// <summary>
/// Saves each finished fold of a benchmark (per model: test items, probabilities, training summary) in a folder,
/// with the <see cref="RunFingerprint"/> of the run, so an interrupted run can continue where it stopped and still
/// give the numbers of an uninterrupted one.
/// </summary>
/// <remarks>
/// Layout: <c>run.json</c> (the fingerprint) and <c>&lt;model&gt;-fold&lt;k&gt;.json</c> per finished fold, each written
/// atomically (<see cref="AtomicFile"/>), so a kill leaves whole files only. Fold seeds derive from the run seed, the
/// model and the fold alone (<see cref="Seeds.Derive"/>), and every fit reseeds LIBSVM and libtorch itself, so a fold
/// does not depend on which folds ran before it in the same process.
/// Without resuming, an existing checkpoint is discarded with a message. Resuming with a different fingerprint is an
/// error listing the differences: quietly discarding hours of folds, or reusing folds of other settings, would both
/// surprise an analyst more than being asked to choose. The CLI deletes the checkpoint once the report is written
/// (results.json then holds everything); a library caller decides with <see cref="Delete"/>.
/// </remarks>
public sealed class FoldCheckpoint
{
    /// <summary>The checkpoint's folder name inside a report folder.</summary>
    public const string DefaultFolderName = ".checkpoint";

    const int FormatVersion = 1;
    const string ManifestName = "run.json";
    const string FoldPattern = "*-fold*.json";

    readonly string directory;
    readonly RunFingerprint fingerprint;
    readonly Dictionary<string, int> resumedByModel = new(StringComparer.Ordinal);

    FoldCheckpoint(string directory, RunFingerprint fingerprint)
    {
        this.directory = directory;
        this.fingerprint = fingerprint;
    }

    /// <summary>The checkpoint folder (absolute).</summary>
    public string Directory => directory;

    /// <summary>Folds restored so far, per model.</summary>
    public IReadOnlyDictionary<string, int> ResumedFolds => resumedByModel;

    /// <summary>
    /// Opens the checkpoint of a run about to start. With <paramref name="resume"/>, folds saved under an equal
    /// fingerprint become available to <see cref="Restore"/>; a different fingerprint throws
    /// <see cref="CheckpointMismatchException"/>. Without it, any earlier checkpoint there is discarded.
    /// </summary>
    public static FoldCheckpoint Open(string directory, RunFingerprint fingerprint, bool resume, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(fingerprint);
        directory = Path.GetFullPath(directory);
        var manifestPath = Path.Combine(directory, ManifestName);
        var earlier = File.Exists(manifestPath) ? ReadManifest(manifestPath, log) : null;
        var checkpoint = new FoldCheckpoint(directory, fingerprint);
        if (resume && earlier is not null)
        {
            var differences = fingerprint.Differences(earlier);
            if (differences.Count > 0)
                throw new CheckpointMismatchException(directory, differences);
            var saved = System.IO.Directory.EnumerateFiles(directory, FoldPattern).Count();
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"Resuming: {saved} finished fold(s) saved in {directory} match this run."));
            return checkpoint;
        }

        if (resume)
            log?.Invoke($"Nothing to resume in {directory}; starting from the first fold.");
        else if (earlier is not null || (System.IO.Directory.Exists(directory) && System.IO.Directory.EnumerateFiles(directory, FoldPattern).Any()))
            log?.Invoke($"Discarding the checkpoint of an earlier, unfinished run in {directory} (pass --resume to continue it instead).");
        DeleteFiles(directory);
        AtomicFile.WriteAllText(manifestPath, JsonSerializer.Serialize(new Manifest { FormatVersion = FormatVersion, Fingerprint = fingerprint }, JsonFormat.Results));
        return checkpoint;
    }

    /// <summary>
    /// Opens a checkpoint that <see cref="Open"/> already wrote, for a task that adds folds to it beside others: it never
    /// deletes or rewrites anything, and refuses when the folder holds no checkpoint or one of another fingerprint.
    /// </summary>
    public static FoldCheckpoint OpenExisting(string directory, RunFingerprint fingerprint, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(fingerprint);
        directory = Path.GetFullPath(directory);
        var manifestPath = Path.Combine(directory, ManifestName);
        if (!File.Exists(manifestPath))
        {
            throw new CheckpointMismatchException(directory, [$"{manifestPath} does not exist: the run was not prepared here, or this node does not " +
                "see the folder (cluster tasks need the output folder on a file system shared by every node)"]);
        }
        var earlier = ReadManifest(manifestPath, log) ?? throw new CheckpointMismatchException(directory, [$"{manifestPath} cannot be read"]);
        var differences = fingerprint.Differences(earlier);
        if (differences.Count > 0)
            throw new CheckpointMismatchException(directory, differences);
        return new FoldCheckpoint(directory, fingerprint);
    }

    /// <summary>Whether <paramref name="unit"/> has a readable saved fold of this run (its test items are checked on <see cref="Restore"/>).</summary>
    public bool Has(BenchmarkUnit unit)
    {
        var saved = ReadHeader(FoldPath(unit.Model, unit.Fold));
        return saved is not null && saved.Fingerprint == fingerprint.Hash && saved.Model == unit.Model && saved.Fold == unit.Fold;
    }

    /// <summary>
    /// The units saved in <paramref name="directory"/> under the fingerprint of its manifest, read without the data set
    /// (for <c>status</c>); empty when there is no readable checkpoint.
    /// </summary>
    public static IReadOnlySet<BenchmarkUnit> SavedUnits(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var units = new HashSet<BenchmarkUnit>();
        var manifestPath = Path.Combine(directory, ManifestName);
        if (!File.Exists(manifestPath) || ReadManifest(manifestPath, null) is not { } manifest)
            return units;
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, FoldPattern))
        {
            if (ReadHeader(path) is { } saved && saved.Fingerprint == manifest.Hash)
                units.Add(new BenchmarkUnit(saved.Model, saved.Fold));
        }
        return units;
    }

    static SavedFold? ReadHeader(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<SavedFold>(File.ReadAllText(path), JsonFormat.Results);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Adds the saved folds of <paramref name="model"/> to <paramref name="builder"/> and returns their numbers.
    /// A fold file that cannot be read is reported and left out, so that fold runs again.
    /// </summary>
    /// <param name="model">The model's name.</param>
    /// <param name="assignment">Fold of every item, as the run assigned it.</param>
    /// <param name="folds">Number of folds.</param>
    /// <param name="builder">Receives the restored folds.</param>
    /// <param name="log">Receives a line per unreadable file.</param>
    public IReadOnlySet<int> Restore(string model, int[] assignment, int folds, ModelResultBuilder builder, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(builder);
        var restored = new SortedSet<int>();
        for (var fold = 0; fold < folds; fold++)
        {
            if (Read(model, fold, assignment, log) is not { } saved)
                continue;
            builder.AddFold(fold, saved.TestItems, saved.Probabilities, saved.Training);
            restored.Add(fold);
        }
        // The feature models and the networks restore side by side when they overlap.
        lock (resumedByModel)
            resumedByModel[model] = restored.Count;
        return restored;
    }

    /// <summary>
    /// Adds one fold that another process saved while this run went on (not counted as resumed) to
    /// <paramref name="builder"/>, and returns its training summary; null, with a line to <paramref name="log"/>, when
    /// the fold is missing or does not belong to this run.
    /// </summary>
    public TrainingSummary? RestoreFold(string model, int fold, int[] assignment, ModelResultBuilder builder, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(builder);
        if (Read(model, fold, assignment, log) is not { } saved)
        {
            log?.Invoke($"Fold {fold + 1} of {model} is not in the checkpoint {directory}.");
            return null;
        }
        builder.AddFold(fold, saved.TestItems, saved.Probabilities, saved.Training);
        return saved.Training;
    }

    // A saved fold of this run, or null (reported to log when a file is there but unreadable or foreign).
    SavedFold? Read(string model, int fold, int[] assignment, Action<string>? log)
    {
        var path = FoldPath(model, fold);
        if (!File.Exists(path))
            return null;
        SavedFold? saved;
        try
        {
            saved = JsonSerializer.Deserialize<SavedFold>(File.ReadAllText(path), JsonFormat.Results);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"Checkpoint file {path} cannot be read ({e.Message}); fold {fold + 1} of {model} runs again.");
            return null;
        }
        var test = StratifiedKFold.Split(assignment, fold).Test;
        if (saved is null || saved.Fingerprint != fingerprint.Hash || saved.Model != model || saved.Fold != fold ||
            !saved.TestItems.SequenceEqual(test) || saved.Probabilities.Count != test.Length)
        {
            // run.json matched, so this file is a stray from elsewhere; trusting it could mix two runs.
            log?.Invoke($"Checkpoint file {path} does not belong to this run; fold {fold + 1} of {model} runs again.");
            return null;
        }
        return saved;
    }

    /// <summary>Saves one finished fold atomically.</summary>
    public void Save(string model, int fold, IReadOnlyList<int> testItems, IReadOnlyList<double[]> probabilities, TrainingSummary training)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(testItems);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(training);
        var saved = new SavedFold
        {
            FormatVersion = FormatVersion,
            Fingerprint = fingerprint.Hash,
            Model = model,
            Fold = fold,
            TestItems = [.. testItems],
            Probabilities = [.. probabilities],
            Training = training,
        };
        AtomicFile.WriteAllText(FoldPath(model, fold), JsonSerializer.Serialize(saved, JsonFormat.Results));
    }

    /// <summary>Records in the result's settings which folds came from the checkpoint (their training times are the earlier run's).</summary>
    public void Record(BenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        List<KeyValuePair<string, int>> resumed;
        lock (resumedByModel)
            resumed = [.. resumedByModel.Where(r => r.Value > 0).OrderBy(r => result.Settings.Models.IndexOf(r.Key))];
        if (resumed.Count > 0)
        {
            result.Settings.Extra["resumed_folds"] = string.Join("; ", resumed.Select(r =>
                string.Create(CultureInfo.InvariantCulture, $"{r.Key} {r.Value}/{result.Settings.Folds}"))) + " restored from the checkpoint";
        }
    }

    /// <summary>Deletes the checkpoint's files, and the folder when nothing else is left in it. Does nothing when it does not exist.</summary>
    public static void Delete(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!System.IO.Directory.Exists(directory))
            return;
        DeleteFiles(directory);
        if (!System.IO.Directory.EnumerateFileSystemEntries(directory).Any())
            System.IO.Directory.Delete(directory);
    }

    // Only the checkpoint's own files: the folder is user-chosen and may hold anything else.
    static void DeleteFiles(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            return;
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, FoldPattern))
            File.Delete(file);
        File.Delete(Path.Combine(directory, ManifestName));
    }

    string FoldPath(string model, int fold)
    {
        var safe = string.Concat(model.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{safe}-fold{fold + 1}.json"));
    }

    static RunFingerprint? ReadManifest(string path, Action<string>? log)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), JsonFormat.Results);
            if (manifest?.Fingerprint is { } fingerprint && manifest.FormatVersion == FormatVersion)
                return fingerprint;
            log?.Invoke($"Checkpoint manifest {path} has an unknown format; it is not used.");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            log?.Invoke($"Checkpoint manifest {path} cannot be read ({e.Message}); it is not used.");
        }
        return null;
    }

    sealed class Manifest
    {
        public int FormatVersion { get; set; }

        public RunFingerprint? Fingerprint { get; set; }
    }

    sealed class SavedFold
    {
        public int FormatVersion { get; set; }

        public string Fingerprint { get; set; } = "";

        public string Model { get; set; } = "";

        public int Fold { get; set; }

        public List<int> TestItems { get; set; } = [];

        public List<double[]> Probabilities { get; set; } = [];

        public TrainingSummary Training { get; set; } = new();
    }
}
