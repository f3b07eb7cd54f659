using AutoClassify.Evaluation;

namespace AutoClassify.Tests.Support;

/// <summary>An observer that keeps every message a run prints (thread-safe) and ignores progress.</summary>
internal sealed class MessageObserver(List<string> messages) : IBenchmarkObserver
{
    public void StageStarted(string stage, int totalSteps)
    {
    }

    public void StepCompleted(string stage)
    {
    }

    public void Message(string text)
    {
        lock (messages)
            messages.Add(text);
    }
}
