using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace AutoClassify.Cluster;

/// <summary>Thrown when a Slurm client command is missing or refuses; the message carries what it printed.</summary>
public sealed class SlurmException : Exception
{
    public SlurmException(string message) : base(message) { }
}

/// <summary>The state of one job or array task as <c>squeue</c> reports it.</summary>
public enum SlurmJobState
{
    Pending,
    Running,

    /// <summary>Any other state squeue still lists (completing, suspended, requeued, …).</summary>
    Other,
}

/// <summary>Runs Slurm's own client commands (<c>sbatch</c>, <c>squeue</c>, <c>scancel</c>); no scheduler of our own.</summary>
public sealed class SlurmClient
{
    static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    readonly IReadOnlyDictionary<string, string> environment;

    /// <summary>A client whose commands see this process's environment plus <paramref name="environment"/> (for example <c>SLURM_CONF</c>).</summary>
    public SlurmClient(IReadOnlyDictionary<string, string>? environment = null) =>
        this.environment = environment ?? new Dictionary<string, string>();

    /// <summary>Throws a <see cref="SlurmException"/> that says what to install when <c>sbatch</c> is not on PATH.</summary>
    public static void EnsureAvailable()
    {
        if (FindOnPath("sbatch") is null)
            throw Missing("sbatch");
    }

    /// <summary>Submits <paramref name="script"/> and returns the job ID.</summary>
    /// <param name="script">The batch script's path.</param>
    /// <param name="array">Array indices (<c>0,2,5</c>), or null for a single job.</param>
    /// <param name="dependency">A dependency such as <c>afterok:123</c>, or null.</param>
    public string Submit(string script, string? array = null, string? dependency = null)
    {
        var args = new List<string> { "--parsable" };
        if (array is not null)
            args.Add("--array=" + array);
        if (dependency is not null)
        {
            args.Add("--dependency=" + dependency);
            // A failed unit makes the report job's dependency impossible; without this it would wait in the queue forever.
            args.Add("--kill-on-invalid-dep=yes");
        }
        args.Add(script);
        var output = RunCommand("sbatch", args).Trim();
        // --parsable prints "jobid" or "jobid;cluster".
        var id = output.Split(';')[0].Trim();
        if (id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new SlurmException($"sbatch printed no job ID for {script}: '{output}'.");
        return id;
    }

    /// <summary>Every listed task of the given jobs still in the queue, keyed as squeue prints them (<c>12_3</c>, <c>13</c>).</summary>
    public IReadOnlyDictionary<string, SlurmJobState> Queue(IEnumerable<string> jobIds)
    {
        var ids = jobIds.Where(i => i.Length > 0).Distinct().ToList();
        var states = new Dictionary<string, SlurmJobState>(StringComparer.Ordinal);
        if (ids.Count == 0)
            return states;
        var output = RunCommand("squeue", ["-h", "-r", "-j", string.Join(',', ids), "-o", "%i %T"], tolerateInvalidJob: true);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
                continue;
            states[parts[0]] = parts[1] switch
            {
                "PENDING" => SlurmJobState.Pending,
                "RUNNING" => SlurmJobState.Running,
                _ => SlurmJobState.Other,
            };
        }
        return states;
    }

    static SlurmException Missing(string command) => new(
        $"'{command}' is not on PATH: --slurm needs Slurm's client commands on this machine (Debian: apt-get install slurm-client, " +
        "and a slurm.conf or SLURM_CONF that names the cluster; scripts/slurm-local.sh starts a one-node cluster to try it).");

    string RunCommand(string command, IReadOnlyList<string> args, bool tolerateInvalidJob = false)
    {
        var path = FindOnPath(command) ?? throw Missing(command);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new SlurmException($"{command} could not be started.");
        }
        catch (Win32Exception e)
        {
            throw new SlurmException($"{command} could not be started: {e.Message}.");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new SlurmException($"{command} did not answer within {CommandTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; is slurmctld running?");
            }
            var error = stderr.Result.Trim();
            if (process.ExitCode != 0 && !(tolerateInvalidJob && error.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)))
                throw new SlurmException($"{command} failed (exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {(error.Length > 0 ? error : stdout.Result.Trim())}");
            return stdout.Result;
        }
    }

    static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(File.Exists);
}
