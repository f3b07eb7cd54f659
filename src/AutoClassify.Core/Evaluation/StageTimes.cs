using System.Collections.Concurrent;
using System.Diagnostics;
using AutoClassify.Models;

namespace AutoClassify.Evaluation;

/// <summary>One row of a run's time table: a stage (and the model it belongs to), its wall time, and what it covered.</summary>
public sealed class StageTime
{
    /// <summary>What ran: <c>prepare images</c>, <c>features</c>, <c>svm grid search</c>, <c>training</c>, <c>prediction</c>, ...</summary>
    public string Stage { get; set; } = "";

    /// <summary>The model the stage belongs to; null for the shared stages before training.</summary>
    public string? Model { get; set; }

    /// <summary>Wall seconds, summed over the folds trained in this run (restored folds took none).</summary>
    public double Seconds { get; set; }

    /// <summary>Folds the seconds add up over; 0 for a shared stage.</summary>
    public int Folds { get; set; }
}

/// <summary>Collects <see cref="StageTime"/> rows while a run goes on; safe to call from any thread.</summary>
internal sealed class StageTimer
{
    readonly ConcurrentDictionary<(string? Model, string Stage), (double Seconds, int Folds, int Order)> rows = new();
    int order;

    /// <summary>Runs <paramref name="work"/> and books its wall time as a shared stage.</summary>
    public T Time<T>(string stage, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return work();
        }
        finally
        {
            Add(null, stage, clock.Elapsed.TotalSeconds, folds: 0);
        }
    }

    /// <summary>Adds <paramref name="seconds"/> to a row, creating it in first-seen order.</summary>
    public void Add(string? model, string stage, double seconds, int folds = 1)
    {
        var next = Interlocked.Increment(ref order);
        rows.AddOrUpdate((model, stage), (seconds, folds, next), (_, row) => (row.Seconds + seconds, row.Folds + folds, row.Order));
    }

    /// <summary>Adds every row of <paramref name="other"/> (e.g. one model's), in its order, after the rows seen so far.</summary>
    public void Add(StageTimer other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var row in other.Rows())
            Add(row.Model, row.Stage, row.Seconds, row.Folds);
    }

    /// <summary>
    /// Books one fold's training: the parts its trainer timed (<see cref="TrainingSummary.StageSeconds"/>, such as an
    /// SVM's grid search and final fit) apart, or else the whole of <paramref name="trainingSeconds"/> as <c>training</c>.
    /// </summary>
    public void AddTraining(string model, TrainingSummary summary, double trainingSeconds)
    {
        if (summary.StageSeconds.Count == 0)
        {
            Add(model, "training", trainingSeconds);
            return;
        }
        foreach (var (stage, seconds) in summary.StageSeconds)
            Add(model, stage, seconds);
    }

    /// <summary>The rows in the order their stages first ran.</summary>
    public List<StageTime> Rows() => rows
        .OrderBy(p => p.Value.Order)
        .Select(p => new StageTime { Stage = p.Key.Stage, Model = p.Key.Model, Seconds = p.Value.Seconds, Folds = p.Value.Folds })
        .ToList();
}
