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

    /// <summary>
    /// The step of <paramref name="stage"/> now running is <paramref name="fraction"/> (0 to 1) done, as its trainer
    /// reports it (grid cells scored, epochs run), so an ETA can start before the first fold ends. May be called from
    /// worker threads; the default ignores it.
    /// </summary>
    void StepProgress(string stage, double fraction) { }
}

/// <summary>Forwards a trainer's <c>TrainingContext.Progress</c> to an observer as <see cref="IBenchmarkObserver.StepProgress"/>.</summary>
public sealed class StepProgressReporter(IBenchmarkObserver observer, string stage) : IProgress<double>
{
    /// <summary>Passes the fraction on at once, on the caller's thread (unlike <see cref="Progress{T}"/>, which posts it).</summary>
    public void Report(double value)
    {
        if (double.IsFinite(value))
            observer.StepProgress(stage, Math.Clamp(value, 0, 1));
    }
}

/// <summary>Counts steps of a stage and estimates the time left from the average step so far.</summary>
public sealed class EtaTracker
{
    readonly TimeProvider clock;
    readonly long started;
    int done;
    int resumed;
    long partialBits;

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
    public int Step()
    {
        Interlocked.Exchange(ref partialBits, 0);
        return Interlocked.Increment(ref done);
    }

    /// <summary>How far (0 to 1) the step in flight is; <see cref="Step"/> sets it back to 0.</summary>
    public double Partial
    {
        get => BitConverter.Int64BitsToDouble(Interlocked.Read(ref partialBits));
        set => Interlocked.Exchange(ref partialBits, BitConverter.DoubleToInt64Bits(double.IsFinite(value) ? Math.Clamp(value, 0, 1) : 0));
    }

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

    /// <summary>
    /// Remaining time at the average pace of the steps run so far, counting the <see cref="Partial"/> share of the
    /// step in flight; null before any timed progress.
    /// </summary>
    public TimeSpan? Remaining
    {
        get
        {
            var n = Done;
            var partial = n < TotalSteps ? Partial : 0;
            var timed = n - Resumed + partial;
            if (timed <= 0)
                return null;
            var perStep = Elapsed.Ticks / timed;
            return TimeSpan.FromTicks((long)(perStep * Math.Max(0, TotalSteps - n - partial)));
        }
    }
}
