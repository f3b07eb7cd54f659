using AutoClassify.Evaluation;

namespace AutoClassify.Tests.Evaluation;

/// <summary>
/// Counts the folds a benchmark trains and resumes and keeps its messages; cancels after a number of folds or when a
/// stage starts. Safe when models cross-validate side by side.
/// </summary>
internal sealed class RecordingObserver : IBenchmarkObserver
{
    int trained;
    int resumed;

    public int CancelAfterFolds { get; init; } = -1;

    public string? CancelAtStage { get; init; }

    public CancellationTokenSource? Cancel { get; init; }

    public int FoldsTrained => Volatile.Read(ref trained);

    public int Resumed => Volatile.Read(ref resumed);

    public List<string> Messages { get; } = [];

    public void StageStarted(string stage, int totalSteps)
    {
        if (stage == CancelAtStage)
            Cancel?.Cancel();
    }

    public void StepCompleted(string stage)
    {
        if (stage.Contains("cross-validation", StringComparison.Ordinal) && Interlocked.Increment(ref trained) == CancelAfterFolds)
            Cancel?.Cancel();
    }

    public void StepsResumed(string stage, int count) => Interlocked.Add(ref resumed, count);

    public void Message(string text)
    {
        lock (Messages)
            Messages.Add(text);
    }
}
