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
}

/// <summary>Counts steps of a stage and estimates the time left from the average step so far.</summary>
public sealed class EtaTracker
{
    readonly TimeProvider clock;
    readonly long started;
    int done;

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

    public TimeSpan Elapsed => clock.GetElapsedTime(started);

    /// <summary>Remaining time at the average pace so far; null before the first step.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            var n = Done;
            if (n == 0)
                return null;
            var perStep = Elapsed.Ticks / (double)n;
            return TimeSpan.FromTicks((long)(perStep * Math.Max(0, TotalSteps - n)));
        }
    }
}
