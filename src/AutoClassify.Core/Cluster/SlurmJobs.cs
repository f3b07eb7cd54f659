using System.Globalization;

namespace AutoClassify.Cluster;

/// <summary>What the benchmark and prediction paths share: script values and files, and reading a job's fate.</summary>
internal static class SlurmJobs
{
    const int LogTailLines = 12;

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
        Reporting.AtomicFile.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead);
    }

    public static string SafeName(string text)
    {
        var safe = string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return safe.Length == 0 ? "run" : safe;
    }

    /// <summary>A job that is not done: queued, or ended without its result (an error, a time limit, scancel).</summary>
    public static UnitStatus Describe(string name, string job, IReadOnlyDictionary<string, SlurmJobState> queue, string log)
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
