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
        var (template, templateName) = SlurmJobs.Template(request.TemplatePath);
        if (!request.DryRun)
            SlurmClient.EnsureAvailable();

        var outDir = Path.GetFullPath(request.OutputDirectory);
        var plan = ClusterPlan.Read(outDir) ?? new ClusterPlan();
        if (!request.DryRun)
            SlurmJobs.RefuseWhileQueued(Status(outDir, client), outDir);

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

        var (submission, commands) = SlurmJobs.Submit(client, plan, outDir, unitScript, reportScript, tasks, request.DryRun);
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
        var results = Path.Combine(outDir, "results.json");
        return SlurmJobs.Status(outDir, plan, client, k => saved.Contains(BenchmarkUnit.Parse(plan.Units[k])),
            latest => File.Exists(results) && File.GetLastWriteTimeUtc(results) >= latest.SubmittedUtc.UtcDateTime);
    }
}
