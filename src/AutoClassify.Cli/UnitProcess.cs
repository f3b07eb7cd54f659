using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AutoClassify.Evaluation;

namespace AutoClassify.Cli;

/// <summary>
/// Trains one unit of a local benchmark in a second autoclassify process: the same command with
/// <c>--slurm-unit</c>, as a cluster task would run it, saving into the same checkpoint. Its output goes to a log in
/// the checkpoint folder, deleted once the unit is saved and kept, and named in the error, when it is not.
/// </summary>
internal sealed class UnitProcess : IUnitWorker
{
    readonly string executable;
    readonly IReadOnlyList<string> arguments;
    readonly string logDirectory;

    /// <param name="executable">The autoclassify program (or <c>dotnet</c>, with the CLI's assembly first in <paramref name="arguments"/>).</param>
    /// <param name="arguments">The benchmark command's arguments, from <c>benchmark</c> on.</param>
    /// <param name="logDirectory">Where each unit's output is written while it runs (the checkpoint folder).</param>
    public UnitProcess(string executable, IReadOnlyList<string> arguments, string logDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentException.ThrowIfNullOrWhiteSpace(logDirectory);
        this.executable = executable;
        this.arguments = arguments;
        this.logDirectory = logDirectory;
    }

    /// <summary>
    /// The worker for the benchmark this process runs, or null when this process is not the autoclassify program
    /// itself (a test host calling the CLI in-process cannot start another copy of itself).
    /// </summary>
    public static UnitProcess? ForThisProcess(ParseResult parse, string checkpointDirectory)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (Assembly.GetEntryAssembly() is not { } entry || entry != typeof(UnitProcess).Assembly || Environment.ProcessPath is not { } path)
            return null;
        var benchmark = parse.Tokens.Select(t => t.Value).ToList();
        if (benchmark.Count == 0 || benchmark[0] != "benchmark")
            benchmark.Insert(0, "benchmark");
        // Run as 'dotnet autoclassify.dll', the host is dotnet and the program is its first argument.
        return Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? new UnitProcess(path, [entry.Location, .. benchmark], checkpointDirectory)
            : new UnitProcess(path, benchmark, checkpointDirectory);
    }

    /// <inheritdoc />
    public void Train(BenchmarkUnit unit, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(logDirectory);
        var log = Path.Combine(logDirectory, string.Create(CultureInfo.InvariantCulture, $"{unit.Model}-fold{unit.Fold + 1}.second-process.log"));
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--slurm-unit");
        start.ArgumentList.Add(unit.ToString());
        int exitCode;
        using (var writer = new StreamWriter(log))
        {
            using var process = new Process { StartInfo = start };
            void Write(object sender, DataReceivedEventArgs e)
            {
                if (e.Data is null)
                    return;
                lock (writer)
                    writer.WriteLine(e.Data);
            }
            process.OutputDataReceived += Write;
            process.ErrorDataReceived += Write;
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using (cancellationToken.Register(() => Kill(process)))
                process.WaitForExit();
            exitCode = process.ExitCode;
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (exitCode != 0)
        {
            var tail = File.ReadLines(log).TakeLast(5);
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The second process for {unit} exited with code {exitCode}; its output is in {log}. It ended: {string.Join(" | ", tail)}"));
        }
        File.Delete(log);
    }

    static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
    }
}
