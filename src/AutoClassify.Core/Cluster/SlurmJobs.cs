using System.Globalization;
using AutoClassify.IO;

namespace AutoClassify.Cluster;

/// <summary>What the benchmark and prediction paths share: script values and files, and reading a job's fate.</summary>
internal static class SlurmJobs
{
    const int LogTailLines = 12;

    /// <summary>The template's text and the name errors give it; checked now, so a bad template fails before any work.</summary>
    public static (string Text, string Name) Template(string? path)
    {
        var template = (path is null ? SlurmScript.DefaultTemplate : File.ReadAllText(path), path ?? "(built in)");
        SlurmScript.Render(template.Item1, template.Item2, new Dictionary<string, string>());
        return template;
    }

    /// <summary>Refuses a new submission while jobs of an earlier one for <paramref name="target"/> are still queued.</summary>
    public static void RefuseWhileQueued(IEnumerable<UnitStatus> status, string target)
    {
        var active = status.Where(s => s.State is UnitState.Pending or UnitState.Running).ToList();
        if (active.Count > 0)
        {
            throw new SlurmException($"{active.Count} job(s) of an earlier submission for {target} are still queued or running ("
                + string.Join(", ", active.Select(a => $"{a.Name}: job {a.Job} {a.State.ToString().ToLowerInvariant()}"))
                + "). Wait for them (autoclassify status " + target + ") or cancel them with scancel, then repeat the command.");
        }
    }

    /// <summary>
    /// Submits <paramref name="tasks"/> (array task ID → unit) as an array of <paramref name="unitScript"/>, then
    /// <paramref name="finalScript"/> after it (alone when no task is left), and records both in the plan of
    /// <paramref name="owner"/>. A dry run records the submission only. Returns it and the sbatch commands it stands for.
    /// </summary>
    public static (ClusterSubmission Submission, List<string> Commands) Submit(SlurmClient client, ClusterPlan plan, string owner,
        string unitScript, string finalScript, Dictionary<int, string> tasks, bool dryRun)
    {
        var array = string.Join(',', tasks.Keys.Order().Select(k => k.ToString(CultureInfo.InvariantCulture)));
        var commands = new List<string>();
        if (tasks.Count > 0)
            commands.Add($"sbatch --parsable --array={array} {unitScript}");
        commands.Add(tasks.Count > 0 ? $"sbatch --parsable --dependency=afterok:<array job> --kill-on-invalid-dep=yes {finalScript}" : $"sbatch --parsable {finalScript}");

        var submission = new ClusterSubmission { SubmittedUtc = DateTimeOffset.UtcNow, Tasks = tasks, DryRun = dryRun };
        plan.Submissions.Add(submission);
        if (!dryRun)
        {
            if (tasks.Count > 0)
                submission.ArrayJob = client.Submit(unitScript, array);
            // Recorded before the final job, so status knows the array even if the second sbatch fails.
            plan.Write(owner);
            submission.ReportJob = client.Submit(finalScript, dependency: submission.ArrayJob is { } job ? "afterok:" + job : null);
        }
        plan.Write(owner);
        return (submission, commands);
    }

    /// <summary>
    /// Every unit of the plan of <paramref name="owner"/> (done by <paramref name="isDone"/>, else as the queue and the
    /// last submission that ran it say), then the report or merge job: done once <paramref name="finalWritten"/> says its
    /// output was written for that submission.
    /// </summary>
    public static List<UnitStatus> Status(string owner, ClusterPlan plan, SlurmClient? client, Func<int, bool> isDone,
        Func<ClusterSubmission, bool> finalWritten)
    {
        var submissions = plan.Submissions.Where(s => !s.DryRun).ToList();
        var jobs = submissions.SelectMany(s => new[] { s.ArrayJob, s.ReportJob }).OfType<string>().ToList();
        var queue = client is not null && jobs.Count > 0 ? client.Queue(jobs) : new Dictionary<string, SlurmJobState>();
        var logs = Path.Combine(ClusterPlan.Folder(owner), "logs");
        var lines = new List<UnitStatus>();
        for (var k = 0; k < plan.Units.Count; k++)
        {
            var name = plan.Units[k];
            if (isDone(k))
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
            lines.Add(Describe(name, job, queue, Path.Combine(logs, job + ".log")));
        }
        if (submissions.LastOrDefault() is { ReportJob: { } finalJob } latest)
        {
            var final = Describe("report", finalJob, queue, Path.Combine(logs, $"report_{finalJob}.log"));
            lines.Add(finalWritten(latest) ? final with { State = UnitState.Done, LogTail = [] } : final);
        }
        return lines;
    }

    public static Dictionary<string, string> Values(SlurmResources resources, string jobName, string log, string workdir, string command) => new()
    {
        ["job_name"] = jobName,
        ["log"] = log,
        ["workdir"] = workdir,
        ["partition"] = resources.Partition ?? "",
        ["account"] = resources.Account ?? "",
        ["time"] = resources.Time ?? "",
        ["mem"] = resources.Memory ?? "",
        ["cpus"] = resources.CpusPerTask.ToString(CultureInfo.InvariantCulture),
        ["gpus"] = resources.Gpus > 0 ? resources.Gpus.ToString(CultureInfo.InvariantCulture) : "",
        ["directives"] = string.Join('\n', resources.Directives().Select(d => "#SBATCH " + d)),
        ["command"] = command,
    };

    public static void WriteScript(string path, string text)
    {
        IO.AtomicFile.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead);
    }

    public static string SafeName(string text)
    {
        var safe = string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return safe.Length == 0 ? "run" : safe;
    }

    /// <summary>A job that is not done: queued, or ended without its result (an error, a time limit, scancel).</summary>
    static UnitStatus Describe(string name, string job, IReadOnlyDictionary<string, SlurmJobState> queue, string log)
    {
        if (queue.TryGetValue(job, out var state))
            return new UnitStatus(name, state == SlurmJobState.Pending ? UnitState.Pending : UnitState.Running, job, log, []);
        return new UnitStatus(name, UnitState.Failed, job, log, Tail(log));
    }

    static List<string> Tail(string path)
    {
        if (!File.Exists(path))
            return [$"(no log at {path})"];
        var lines = File.ReadAllLines(path);
        return lines.Length == 0 ? ["(the log is empty)"] : lines.Skip(Math.Max(0, lines.Length - LogTailLines)).ToList();
    }
}
