using System.Collections.Concurrent;
using System.Globalization;
using AutoClassify.Evaluation;
using Spectre.Console;

namespace AutoClassify.Cli;

/// <summary>
/// Shows a run's progress: a live Spectre.Console progress display with ETA on a terminal, and plain
/// timestamped lines (with ETA) when the output is redirected, as in CI logs.
/// </summary>
internal sealed class ConsoleObserver : IBenchmarkObserver
{
    readonly ConcurrentDictionary<string, EtaTracker> trackers = new();
    readonly ConcurrentDictionary<string, ProgressTask> tasks = new();
    readonly TextWriter log;
    ProgressContext? context;

    public ConsoleObserver(TextWriter log) => this.log = log;

    /// <summary>Runs <paramref name="work"/> with live progress when the console is interactive.</summary>
    public T Run<T>(Func<T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return work();
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                context = ctx;
                return work();
            });
    }

    public void StageStarted(string stage, int totalSteps)
    {
        trackers[stage] = new EtaTracker(totalSteps);
        if (context is not null)
            tasks[stage] = context.AddTask(Markup.Escape(stage), maxValue: Math.Max(1, totalSteps));
        else
            Write($"{stage}: {totalSteps} step(s)");
    }

    public void StepCompleted(string stage)
    {
        if (!trackers.TryGetValue(stage, out var tracker))
            return;
        if (tasks.TryGetValue(stage, out var task))
        {
            tracker.Step();
            task.Value = tracker.Done - tracker.Resumed;
            return;
        }
        // Plain mode: a line at every tenth of the stage, so logs stay short; the lock keeps lines in order.
        lock (log)
        {
            var done = tracker.Step();
            var total = tracker.TotalSteps;
            var every = Math.Max(1, total / 10);
            if (done == total || done % every == 0)
            {
                var eta = tracker.Remaining is { } r ? r.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "?";
                Write($"{stage}: {done}/{total}, elapsed {tracker.Elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture)}, ETA {eta}");
            }
        }
    }

    public void StepProgress(string stage, double fraction)
    {
        if (!trackers.TryGetValue(stage, out var tracker))
            return;
        var before = tracker.Partial;
        tracker.Partial = fraction;
        if (tasks.TryGetValue(stage, out var task))
        {
            task.Value = tracker.Done - tracker.Resumed + tracker.Partial;
            return;
        }
        // Plain mode: a line each time the step in flight passes another tenth, with the ETA that includes it.
        if (Math.Floor(tracker.Partial * 10) > Math.Floor(before * 10) && tracker.Partial < 1)
        {
            var eta = tracker.Remaining is { } r ? r.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "?";
            Write(string.Create(CultureInfo.InvariantCulture,
                $"{stage}: step {tracker.Done + 1}/{tracker.TotalSteps} at {tracker.Partial:P0}, elapsed {tracker.Elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture)}, ETA {eta}"));
        }
    }

    public void StepsResumed(string stage, int count)
    {
        if (count <= 0 || !trackers.TryGetValue(stage, out var tracker))
            return;
        tracker.Resume(count);
        if (tasks.TryGetValue(stage, out var task))
        {
            // Spectre's ETA averages over increments, so restored steps leave the bar: it counts only the steps still to run.
            task.MaxValue = Math.Max(1, tracker.TotalSteps - tracker.Done);
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{stage} ({tracker.Done} resumed)"));
            return;
        }
        Write(string.Create(CultureInfo.InvariantCulture, $"{stage}: {tracker.Done}/{tracker.TotalSteps} restored from the checkpoint"));
    }

    public void Message(string text)
    {
        if (context is not null)
        {
            // Feature models and networks report side by side; one line at a time over the live display.
            lock (log)
                AnsiConsole.MarkupLine(Markup.Escape(text));
        }
        else
            Write(text);
    }

    void Write(string text)
    {
        lock (log)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.Now:HH:mm:ss}] {text}"));
    }
}
