using System.Globalization;
using System.Text.Json;
using AutoClassify.IO;
using AutoClassify.Reporting;

namespace AutoClassify.Cluster;

/// <summary>How <c>predict</c> over a large folder is handed to Slurm.</summary>
public sealed class SlurmPredictRequest
{
    /// <summary>The CSV the merge job writes; the shards live in <c>&lt;csv&gt;.shards/</c> beside it.</summary>
    public required string OutputCsv { get; init; }

    /// <summary>The command a task runs, program first (<c>autoclassify predict PACKAGE --threads …</c>), without inputs, --out or Slurm options.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Every input file, in the order the merged CSV lists them.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>Number of array tasks; each predicts one contiguous slice of <see cref="Files"/>.</summary>
    public int Shards { get; init; } = 4;

    public SlurmResources Resources { get; init; } = new();

    public string? TemplatePath { get; init; }

    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    public bool DryRun { get; init; }
}

/// <summary>
/// <c>predict --slurm</c>: the file list is fixed once, cut into contiguous shards, each shard predicted by one array task
/// into its own CSV, and a dependent job merges them in input order into the requested CSV (atomically, and only when
/// every shard is complete).
/// </summary>
public static class PredictionShards
{
    internal const string PlanKind = "predict";
    const string ListName = "files.txt";

    /// <summary>The folder that holds the shards and the plan for <paramref name="outputCsv"/>.</summary>
    public static string Folder(string outputCsv) => Path.GetFullPath(outputCsv) + ".shards";

    /// <summary>The slice [start, start + count) of <paramref name="total"/> files that shard <paramref name="shard"/> predicts.</summary>
    public static (int Start, int Count) Slice(int total, int shards, int shard)
    {
        if (shards < 1 || shard < 0 || shard >= shards)
            throw new ArgumentOutOfRangeException(nameof(shard), $"Shard {shard} does not exist among {shards}.");
        var start = (int)((long)total * shard / shards);
        var end = (int)((long)total * (shard + 1) / shards);
        return (start, end - start);
    }

    /// <summary>Writes the list, the scripts and the plan, and submits the array and the merge job.</summary>
    public static SlurmSubmissionResult Submit(SlurmPredictRequest request, SlurmClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        request.Resources.Validate();
        if (request.Files.Count == 0)
            throw new ArgumentException("No image to predict.");
        if (request.Shards < 1)
            throw new ArgumentException($"--shards must be at least 1, not {request.Shards.ToString(CultureInfo.InvariantCulture)}.");
        if (request.Files.FirstOrDefault(f => f.Contains('\n', StringComparison.Ordinal) || f.Contains('\r', StringComparison.Ordinal)) is { } odd)
            throw new ArgumentException($"The file name '{odd.ReplaceLineEndings(" ")}' holds a line break; a shard list cannot carry it. Rename the file.");
        var (template, templateName) = SlurmJobs.Template(request.TemplatePath);
        if (!request.DryRun)
            SlurmClient.EnsureAvailable();

        var folder = Folder(request.OutputCsv);
        var shards = Math.Min(request.Shards, request.Files.Count);
        var plan = ClusterPlan.Read(folder) ?? new ClusterPlan { Kind = PlanKind };
        if (!request.DryRun)
            SlurmJobs.RefuseWhileQueued(SlurmBenchmark.Status(folder, client), request.OutputCsv);
        var planFolder = ClusterPlan.Folder(folder);
        var logs = Path.Combine(planFolder, "logs");
        Directory.CreateDirectory(logs);
        // A new list starts afresh: shards of an earlier list would merge rows of other files.
        var list = Path.Combine(folder, ListName);
        var text = string.Join('\n', request.Files) + "\n";
        if (!File.Exists(list) || File.ReadAllText(list) != text || plan.Units.Count != shards)
        {
            foreach (var stale in Directory.EnumerateFiles(folder, "shard-*"))
                File.Delete(stale);
            AtomicFile.WriteAllText(list, text);
        }
        File.Delete(Path.Combine(folder, "merged.json"));
        plan.Kind = PlanKind;
        plan.Units = Enumerable.Range(0, shards).Select(ShardName).ToList();
        var missing = Enumerable.Range(0, shards).Where(k => ReadDone(folder, k) is null).ToList();

        var quoted = string.Join(' ', request.Command.Select(SlurmScript.Quote));
        var shardCommand = $"exec {quoted} --slurm-file-list {SlurmScript.Quote(list)} --slurm-shard \"$SLURM_ARRAY_TASK_ID/{shards.ToString(CultureInfo.InvariantCulture)}\" --out {SlurmScript.Quote(folder)}/shard-\"$SLURM_ARRAY_TASK_ID\".csv";
        var mergeCommand = $"exec {quoted} --slurm-merge {SlurmScript.Quote(folder)} --out {SlurmScript.Quote(Path.GetFullPath(request.OutputCsv))}";
        var name = "autoclassify-predict-" + SlurmJobs.SafeName(Path.GetFileNameWithoutExtension(request.OutputCsv));
        var shardScript = Path.Combine(planFolder, "shards.sh");
        var mergeScript = Path.Combine(planFolder, "merge.sh");
        SlurmJobs.WriteScript(shardScript, SlurmScript.Render(template, templateName, SlurmJobs.Values(request.Resources, name, Path.Combine(logs, "%A_%a.log"), request.WorkingDirectory, shardCommand)));
        SlurmJobs.WriteScript(mergeScript, SlurmScript.Render(template, templateName, SlurmJobs.Values(request.Resources with { Gpus = 0, CpusPerTask = 1 }, name + "-merge", Path.Combine(logs, "report_%j.log"), request.WorkingDirectory, mergeCommand)));

        var (submission, commands) = SlurmJobs.Submit(client, plan, folder, shardScript, mergeScript, missing.ToDictionary(k => k, ShardName), request.DryRun);
        return new SlurmSubmissionResult(
            missing.Select(k => new Evaluation.BenchmarkUnit(ShardName(k), 0)).ToList(),
            Enumerable.Range(0, shards).Except(missing).Select(k => new Evaluation.BenchmarkUnit(ShardName(k), 0)).ToList(),
            submission.ArrayJob, submission.ReportJob, shardScript, mergeScript, commands);
    }

    /// <summary>The files of shard <paramref name="shard"/> of <paramref name="shards"/>, read from the list the submission wrote.</summary>
    public static IReadOnlyList<string> ShardFiles(string listPath, int shard, int shards)
    {
        if (!File.Exists(listPath))
            throw new FileNotFoundException($"The shard list {listPath} is not visible on node {Environment.MachineName}: Slurm tasks need the --out folder on a file system that every node mounts at the same path.");
        var files = File.ReadAllLines(listPath).Where(l => l.Length > 0).ToList();
        var (start, count) = Slice(files.Count, shards, shard);
        return files.GetRange(start, count);
    }

    /// <summary>Records that a shard's CSV is complete (after the CSV itself was written atomically).</summary>
    public static void MarkDone(string shardCsv, long rows, long failed)
    {
        var done = new ShardDone { Rows = rows, Failed = failed };
        AtomicFile.WriteAllText(Path.ChangeExtension(shardCsv, ".done.json"), JsonSerializer.Serialize(done, ResultsJson.Options));
    }

    /// <summary>
    /// Concatenates every shard's CSV, in shard order and with one header, into <paramref name="outputCsv"/> atomically.
    /// Refuses, naming them, when shards are missing or incomplete. Returns the rows and the failed rows.
    /// </summary>
    public static (long Rows, long Failed) Merge(string folder, string outputCsv)
    {
        var list = Path.Combine(folder, ListName);
        var plan = ClusterPlan.Read(folder) ?? throw new FileNotFoundException($"{folder} holds no prediction shards (no {ClusterPlan.FolderName}/plan.json).");
        var total = File.ReadAllLines(list).Count(l => l.Length > 0);
        var shards = plan.Units.Count;
        var missing = new List<string>();
        long rows = 0, failed = 0;
        for (var k = 0; k < shards; k++)
        {
            var done = ReadDone(folder, k);
            if (done is null || done.Rows != Slice(total, shards, k).Count)
                missing.Add(ShardName(k));
            else
            {
                rows += done.Rows;
                failed += done.Failed;
            }
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"No CSV is written: {missing.Count} shard(s) of {folder} are missing or incomplete: {string.Join(", ", missing)}. Repeat the predict command to run them.");
        byte[]? header = null;
        AtomicFile.Write(outputCsv, stream =>
        {
            for (var k = 0; k < shards; k++)
            {
                // Bytes, not text: the merged file keeps the shards' encoding and line endings exactly.
                var bytes = File.ReadAllBytes(ShardCsv(folder, k));
                var split = Array.IndexOf(bytes, (byte)'\n') + 1;
                if (split == 0)
                    split = bytes.Length;
                if (header is null)
                {
                    header = bytes[..split];
                    stream.Write(bytes);
                }
                else if (!bytes.AsSpan(0, split).SequenceEqual(header))
                    throw new InvalidDataException($"{ShardCsv(folder, k)} has another header than shard 1; its rows would not line up.");
                else
                    stream.Write(bytes.AsSpan(split));
            }
        });
        return (rows, failed);
    }

    internal static IReadOnlyList<UnitStatus> Status(string folder, ClusterPlan plan, SlurmClient? client) =>
        SlurmJobs.Status(folder, plan, client, k => ReadDone(folder, k) is not null, _ => File.Exists(Path.Combine(folder, "merged.json")));

    /// <summary>Notes that the merge of <paramref name="folder"/> succeeded, for <c>status</c>.</summary>
    public static void MarkMerged(string folder, string outputCsv) =>
        AtomicFile.WriteAllText(Path.Combine(folder, "merged.json"), JsonSerializer.Serialize(new { output = outputCsv, mergedUtc = DateTimeOffset.UtcNow }, ResultsJson.Options));

    static string ShardName(int k) => string.Create(CultureInfo.InvariantCulture, $"shard{k + 1}");

    static string ShardCsv(string folder, int k) => Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"shard-{k}.csv"));

    static ShardDone? ReadDone(string folder, int k)
    {
        var path = Path.ChangeExtension(ShardCsv(folder, k), ".done.json");
        if (!File.Exists(path) || !File.Exists(ShardCsv(folder, k)))
            return null;
        try
        {
            return JsonSerializer.Deserialize<ShardDone>(File.ReadAllText(path), ResultsJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    sealed class ShardDone
    {
        public long Rows { get; set; }

        public long Failed { get; set; }
    }
}
