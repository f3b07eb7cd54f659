using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Cluster;

/// <summary>
/// A real one-node Slurm cluster for the tests of one class, started by the project's own scripts/slurm-local.sh on free
/// ports with its own state folder, and stopped (every daemon it started) when the class is done.
/// </summary>
public sealed class LocalSlurmCluster : IDisposable
{
    readonly TempDirectory state = new("slurm");

    public LocalSlurmCluster()
    {
        Environment = new Dictionary<string, string>
        {
            ["AUTOCLASSIFY_SLURMCTLD_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AUTOCLASSIFY_SLURMD_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var (code, output) = Script("start");
        if (code != 0)
            throw new InvalidOperationException($"scripts/slurm-local.sh start failed (exit {code}); the Slurm tests need root and the Debian packages slurmd, slurmctld, slurm-client and munge:\n{output}");
        Environment["SLURM_CONF"] = ConfigPath;
        // The CLI under test runs in this process and calls sbatch and squeue, which read SLURM_CONF; no other test does.
        previousConf = System.Environment.GetEnvironmentVariable("SLURM_CONF");
        System.Environment.SetEnvironmentVariable("SLURM_CONF", ConfigPath);
    }

    readonly string? previousConf;

    /// <summary>What Slurm's client commands need to reach this cluster.</summary>
    public Dictionary<string, string> Environment { get; }

    public string ConfigPath => state.Combine("slurm.conf");

    /// <summary>Runs a Slurm client command against this cluster and returns its standard output; throws when it fails.</summary>
    public string Client(string command, params string[] args)
    {
        var (code, output, error) = Process(command, args);
        if (code != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed (exit {code}): {error}");
        return output;
    }

    /// <summary>Waits until none of <paramref name="jobs"/> is in the queue any more.</summary>
    public void WaitFor(IEnumerable<string> jobs, TimeSpan limit)
    {
        var ids = string.Join(',', jobs);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var (_, queued, _) = Process("squeue", "-h", "-r", "-j", ids, "-o", "%i");
            if (queued.Trim().Length == 0)
                return;
            Thread.Sleep(500);
        }
        throw new TimeoutException($"Jobs {ids} were still queued after {limit.TotalSeconds} s:\n{Client("squeue")}");
    }

    public void Dispose()
    {
        System.Environment.SetEnvironmentVariable("SLURM_CONF", previousConf);
        Script("stop");
        state.Dispose();
    }

    (int Code, string Output) Script(string verb)
    {
        var (code, output, error) = Process(Path.Combine(RepoPaths.Root, "scripts", "slurm-local.sh"), verb, state.Path);
        return (code, output + error);
    }

    (int Code, string Output, string Error) Process(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (key, value) in Environment)
            start.Environment[key] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', args)} did not finish within 5 minutes.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
