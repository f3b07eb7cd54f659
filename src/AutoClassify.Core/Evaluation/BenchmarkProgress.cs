namespace AutoClassify.Evaluation;

/// <summary>Receives the progress of a long run: stages with a known number of steps.</summary>
public interface IBenchmarkObserver
{
    /// <summary>A stage begins; <paramref name="totalSteps"/> steps will be reported for it.</summary>
    void StageStarted(string stage, int totalSteps);

    /// <summary>One step of the current stage finished. May be called from worker threads.</summary>
    void StepCompleted(string stage);

    /// <summary>A line worth showing the user (warnings, chosen settings).</summary>
    void Message(string text);

    /// <summary>
    /// <paramref name="count"/> steps of the current stage were done by an earlier run and restored (see
    /// <see cref="FoldCheckpoint"/>): they count as done, but took no time now, so an ETA must not average over them.
    /// </summary>
    void StepsResumed(string stage, int count)
    {
        for (var i = 0; i < count; i++)
            StepCompleted(stage);
    }
}

/// <summary>Counts steps of a stage and estimates the time left from the average step so far.</summary>
public sealed class EtaTracker
{
    readonly TimeProvider clock;
    readonly long started;
    int done;
    int resumed;

    public EtaTracker(int totalSteps, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        TotalSteps = totalSteps;
        this.clock = clock ?? TimeProvider.System;
        started = this.clock.GetTimestamp();
    }

    public int TotalSteps { get; }

    public int Done => Volatile.Read(ref done);

    /// <summary>Records one finished step and returns the number done so far.</summary>
    public int Step() => Interlocked.Increment(ref done);

    /// <summary>Records steps an earlier run finished: done, but left out of the pace.</summary>
    public int Resume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Interlocked.Add(ref resumed, count);
        return Interlocked.Add(ref done, count);
    }

    /// <summary>Steps restored from an earlier run.</summary>
    public int Resumed => Volatile.Read(ref resumed);

    public TimeSpan Elapsed => clock.GetElapsedTime(started);

    /// <summary>Remaining time at the average pace of the steps run so far; null before the first such step.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            var n = Done;
            var timed = n - Resumed;
            if (timed <= 0)
                return null;
            var perStep = Elapsed.Ticks / (double)timed;
            return TimeSpan.FromTicks((long)(perStep * Math.Max(0, TotalSteps - n)));
        }
    }
}
