using System.Globalization;
using System.Runtime.InteropServices;
using AutoClassify.IO;

namespace AutoClassify.Cli;

/// <summary>
/// SIGINT and SIGTERM cancel the command's token at once, so work stops between images, folds or batches. A native
/// call (an OpenCV decode, a libtorch forward pass) cannot be interrupted; when the work has not stopped within
/// <see cref="Grace"/>, the process ends: outputs still being written are removed first, one plain line says so,
/// and the exit code is 130 (SIGINT) or 143 (SIGTERM), as after the cooperative stop.
/// </summary>
internal sealed partial class Termination : IDisposable
{
    /// <summary>How long cooperative cancellation may take before the process ends.</summary>
    internal static TimeSpan Grace { get; } = TimeSpan.FromSeconds(2);

    readonly CancellationTokenSource source = new();
    readonly ManualResetEventSlim finished = new();
    readonly TextWriter error;
    readonly PosixSignalRegistration[] registrations;
    int signal;

    Termination(TextWriter error)
    {
        this.error = error;
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Listens for SIGINT and SIGTERM until disposed; <paramref name="error"/> gets the line of a forced end.</summary>
    internal static Termination Listen(TextWriter error) => new(error);

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    internal CancellationToken Token => source.Token;

    /// <summary>The exit code of the signal received (130 or 143), or null when none came.</summary>
    internal int? ExitCode => Volatile.Read(ref signal) switch
    {
        0 => null,
        var s => 128 + s,
    };

    void OnSignal(PosixSignalContext context)
    {
        // The runtime's default would end the process at once, without removing partial outputs.
        context.Cancel = true;
        var number = context.Signal == PosixSignal.SIGINT ? 2 : 15;
        if (Interlocked.CompareExchange(ref signal, number, 0) != 0)
            return;
        source.Cancel();
        var name = context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
        new Thread(() => ForceAfterGrace(name, 128 + number)) { IsBackground = true, Name = "termination" }.Start();
    }

    void ForceAfterGrace(string name, int code)
    {
        if (finished.Wait(Grace))
            return;
        var removed = AtomicFile.DeletePending();
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cancelled ({name}): the step under way did not stop within {Grace.TotalSeconds:0.#} s, so the run ended there; {removed} unfinished output file(s) removed, finished ones kept"));
        error.Flush();
        // Not Environment.Exit: exit() runs the native libraries' static destructors, which wait for the very
        // OpenCV and OpenMP workers that are still busy, so the process would hang until the step is done.
        ExitNow(code);
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void ExitNow(int code);

    public void Dispose()
    {
        finished.Set();
        foreach (var registration in registrations)
            registration.Dispose();
        source.Dispose();
    }
}
