using System.Globalization;
using AutoClassify.Evaluation;

namespace AutoClassify.Cluster;

/// <summary>How a benchmark is handed to Slurm.</summary>
public sealed class SlurmRunRequest
{
    /// <summary>The report folder; the checkpoint, the plan, the scripts and the logs live inside it.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The command a task runs, program first (<c>autoclassify benchmark DATA --models …</c>), without any Slurm option.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    public SlurmResources Resources { get; init; } = new();

    /// <summary>A site's template (see <see cref="SlurmScript"/>), or null for <see cref="SlurmScript.DefaultTemplate"/>.</summary>
    public string? TemplatePath { get; init; }

    /// <summary>Where every job starts, so relative paths on the command line mean what they meant here (default: the current folder).</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>Write the scripts and the plan but submit nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>The option a task adds to <see cref="Command"/> to train one unit.</summary>
    public string UnitOption { get; init; } = "--slurm-unit";

    /// <summary>The option the report job adds to <see cref="Command"/> to build the report from the checkpoint alone.</summary>
    public string ReportOption { get; init; } = "--slurm-report";
}

/// <summary>What a submission did.</summary>
public sealed record SlurmSubmissionResult(
    IReadOnlyList<BenchmarkUnit> Submitted,
    IReadOnlyList<BenchmarkUnit> AlreadyDone,
    string? ArrayJob,
    string? ReportJob,
    string UnitScript,
    string ReportScript,
    IReadOnlyList<string> Commands);

/// <summary>Where one unit stands.</summary>
public enum UnitState
{
    Done,
    Running,
    Pending,
    Failed,
    NotSubmitted,
}

/// <summary>One line of <c>status</c>.</summary>
public sealed record UnitStatus(string Name, UnitState State, string? Job, string? Log, IReadOnlyList<string> LogTail);

/// <summary>
/// Runs a benchmark as a Slurm job array: one task per unit (outer fold × model) that saves its fold to the shared
/// checkpoint, then a report job that depends on the array and builds the report from the checkpoint without training.
/// A repeated submission runs only the units that are neither saved nor still queued.
/// </summary>
public static class SlurmBenchmark
{
    /// <summary>
    /// Prepares the checkpoint (as a local run would: a checkpoint of an equal fingerprint is kept, another one is refused),
    /// writes the scripts and submits what is missing. Refuses while units of an earlier submission are still queued.
    /// </summary>
    public static SlurmSubmissionResult Submit(BenchmarkOptions options, SlurmRunRequest request, SlurmClient client,
        IBenchmarkObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        request.Resources.Validate();
        var template = request.TemplatePath is { } templatePath ? File.ReadAllText(templatePath) : SlurmScript.DefaultTemplate;
        var templateName = request.TemplatePath ?? "(built in)";
        SlurmScript.Render(template, templateName, new Dictionary<string, string>());
        if (!request.DryRun)
            SlurmClient.EnsureAvailable();

        var outDir = Path.GetFullPath(request.OutputDirectory);
        var plan = ClusterPlan.Read(outDir) ?? new ClusterPlan();
        if (!request.DryRun)
        {
            var active = Status(outDir, client).Where(s => s.State is UnitState.Pending or UnitState.Running).ToList();
            if (active.Count > 0)
            {
                throw new SlurmException($"{active.Count} job(s) of an earlier submission for {outDir} are still queued or running ("
                    + string.Join(", ", active.Select(a => $"{a.Name}: job {a.Job} {a.State.ToString().ToLowerInvariant()}"))
                    + "). Wait for them (autoclassify status " + outDir + ") or cancel them with scancel, then repeat the command.");
            }
        }

        var missing = BenchmarkRunner.OpenCheckpoint(options, observer, cancellationToken);
        var all = BenchmarkUnit.All(options.Models, options.Folds);
        var done = all.Except(missing).ToList();

        var folder = ClusterPlan.Folder(outDir);
        var logs = Path.Combine(folder, "logs");
        Directory.CreateDirectory(logs);
        plan.Units = all.Select(u => u.ToString()).ToList();
        var tasks = missing.ToDictionary(u => plan.Units.IndexOf(u.ToString()), u => u.ToString());

        var unitScript = Path.Combine(folder, "units.sh");
        var reportScript = Path.Combine(folder, "report.sh");
        var quoted = string.Join(' ', request.Command.Select(SlurmScript.Quote));
        var unitCommand = "units=(" + string.Join(' ', plan.Units.Select(SlurmScript.Quote)) + ")\n" +
            $"exec {quoted} {request.UnitOption} \"${{units[$SLURM_ARRAY_TASK_ID]}}\"";
        var reportCommand = $"exec {quoted} {request.ReportOption}";
        var name = "autoclassify-" + SlurmJobs.SafeName(Path.GetFileName(outDir.TrimEnd(Path.DirectorySeparatorChar)));
        SlurmJobs.WriteScript(unitScript, SlurmScript.Render(template, templateName, SlurmJobs.Values(request.Resources, name + "-units", Path.Combine(logs, "%A_%a.log"), request.WorkingDirectory, unitCommand)));
        SlurmJobs.WriteScript(reportScript, SlurmScript.Render(template, templateName, SlurmJobs.Values(request.Resources with { Gpus = 0 }, name + "-report", Path.Combine(logs, "report_%j.log"), request.WorkingDirectory, reportCommand)));

        var array = string.Join(',', tasks.Keys.Order().Select(k => k.ToString(CultureInfo.InvariantCulture)));
        var commands = new List<string>();
        if (tasks.Count > 0)
            commands.Add($"sbatch --parsable --array={array} {unitScript}");
        commands.Add(tasks.Count > 0 ? $"sbatch --parsable --dependency=afterok:<array job> --kill-on-invalid-dep=yes {reportScript}" : $"sbatch --parsable {reportScript}");

        var submission = new ClusterSubmission { SubmittedUtc = DateTimeOffset.UtcNow, Tasks = tasks, DryRun = request.DryRun };
        if (!request.DryRun)
        {
            if (tasks.Count > 0)
                submission.ArrayJob = client.Submit(unitScript, array);
            // Recorded before the report job, so status knows the array even if the second sbatch fails.
            plan.Submissions.Add(submission);
            plan.Write(outDir);
            submission.ReportJob = client.Submit(reportScript, dependency: submission.ArrayJob is { } job ? "afterok:" + job : null);
        }
        else
            plan.Submissions.Add(submission);
        plan.Write(outDir);
        return new SlurmSubmissionResult(missing, done, submission.ArrayJob, submission.ReportJob, unitScript, reportScript, commands);
    }

    /// <summary>Where every unit and the report job of <paramref name="outputDirectory"/> stand; the report job comes last.</summary>
    public static IReadOnlyList<UnitStatus> Status(string outputDirectory, SlurmClient? client)
    {
        var outDir = Path.GetFullPath(outputDirectory);
        var plan = ClusterPlan.Read(outDir);
        if (plan is null)
            return [];
        if (plan.Kind == PredictionShards.PlanKind)
            return PredictionShards.Status(outDir, plan, client);
        var saved = FoldCheckpoint.SavedUnits(Path.Combine(outDir, FoldCheckpoint.DefaultFolderName));
        var submissions = plan.Submissions.Where(s => !s.DryRun).ToList();
        var jobs = submissions.SelectMany(s => new[] { s.ArrayJob, s.ReportJob }).OfType<string>().ToList();
        var queue = client is not null && jobs.Count > 0 ? client.Queue(jobs) : new Dictionary<string, SlurmJobState>();
        var logs = Path.Combine(ClusterPlan.Folder(outDir), "logs");

        var lines = new List<UnitStatus>();
        foreach (var name in plan.Units)
        {
            if (saved.Contains(BenchmarkUnit.Parse(name)))
            {
                lines.Add(new UnitStatus(name, UnitState.Done, null, null, []));
                continue;
            }
            var last = submissions.LastOrDefault(s => s.ArrayJob is not null && s.Tasks.ContainsValue(name));
            if (last is null)
            {
                lines.Add(new UnitStatus(name, UnitState.NotSubmitted, null, null, []));
                continue;
            }
            var task = last.Tasks.First(t => t.Value == name).Key;
            var job = string.Create(CultureInfo.InvariantCulture, $"{last.ArrayJob}_{task}");
            lines.Add(SlurmJobs.Describe(name, job, queue, Path.Combine(logs, job + ".log")));
        }
        if (submissions.LastOrDefault() is { ReportJob: { } reportJob } latest)
        {
            var results = Path.Combine(outDir, "results.json");
            var written = File.Exists(results) && File.GetLastWriteTimeUtc(results) >= latest.SubmittedUtc.UtcDateTime;
            var report = SlurmJobs.Describe("report", reportJob, queue, Path.Combine(logs, $"report_{reportJob}.log"));
            lines.Add(written ? report with { State = UnitState.Done, LogTail = [] } : report);
        }
        return lines;
    }
}
