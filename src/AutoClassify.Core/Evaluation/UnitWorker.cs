namespace AutoClassify.Evaluation;

/// <summary>
/// Trains one benchmark unit outside the running process and saves it in the run's checkpoint, as a cluster task
/// does. The command line gives one that starts the same command as a second process: libtorch's seed is
/// process-wide, so two network fits can only run at once, each reproducible, in two processes.
/// </summary>
public interface IUnitWorker
{
    /// <summary>Trains <paramref name="unit"/> into the checkpoint; returns once it is saved there, throws when it failed.</summary>
    void Train(BenchmarkUnit unit, CancellationToken cancellationToken);
}

/// <summary>
/// Which network units of an overlapped run the running process trains and which a second process
/// (<see cref="IUnitWorker"/>) took: this process claims them from the front as it reaches them, the second process
/// from the back, so both run until the units run out and neither waits long for the other.
/// </summary>
internal sealed class UnitClaims
{
    readonly Lock gate = new();
    readonly List<BenchmarkUnit> open;
    readonly Dictionary<BenchmarkUnit, TaskCompletionSource<bool>> elsewhere = [];

    /// <param name="units">The units still to train, in the order this process reaches them.</param>
    public UnitClaims(IEnumerable<BenchmarkUnit> units)
    {
        ArgumentNullException.ThrowIfNull(units);
        open = [.. units];
    }

    /// <summary>Units the second process saved, in the order it finished them.</summary>
    public List<BenchmarkUnit> TrainedElsewhere { get; } = [];

    /// <summary>True when this process is to train <paramref name="unit"/>; false when the second process took it.</summary>
    public bool TryClaimHere(BenchmarkUnit unit)
    {
        lock (gate)
            return open.Remove(unit) || !elsewhere.ContainsKey(unit);
    }

    /// <summary>Takes the last unclaimed unit for the second process; false when none is left.</summary>
    public bool TryClaimLast(out BenchmarkUnit unit)
    {
        lock (gate)
        {
            if (open.Count == 0)
            {
                unit = default;
                return false;
            }
            unit = open[^1];
            open.RemoveAt(open.Count - 1);
            elsewhere[unit] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            return true;
        }
    }

    /// <summary>Records how the second process ended <paramref name="unit"/>: saved in the checkpoint, or not.</summary>
    public void Finished(BenchmarkUnit unit, bool saved)
    {
        TaskCompletionSource<bool> done;
        lock (gate)
        {
            done = elsewhere[unit];
            if (saved)
                TrainedElsewhere.Add(unit);
        }
        done.TrySetResult(saved);
    }

    /// <summary>Waits for the second process to end <paramref name="unit"/>; true when it saved the unit in the checkpoint.</summary>
    public bool WaitFor(BenchmarkUnit unit, CancellationToken cancellationToken)
    {
        Task<bool> done;
        lock (gate)
            done = elsewhere[unit].Task;
        done.Wait(cancellationToken);
        return done.Result;
    }
}
