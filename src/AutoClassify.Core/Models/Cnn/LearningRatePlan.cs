namespace AutoClassify.Models.Cnn;

/// <summary>How the learning rate moves over a CNN fit, after the linear warm-up.</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at its peak (the thesis's regime).</summary>
    Constant,

    /// <summary>Half a cosine from the peak down to a hundredth of it at the last epoch (<see cref="CnnOptions.MaxEpochs"/>).</summary>
    Cosine,
}

/// <summary>
/// The learning rate of every optimiser step: a linear warm-up from peak / warm-up steps to the peak, then
/// <see cref="LearningRateSchedule"/>. The warm-up keeps Adam's first, noisiest steps small, which is where a
/// freshly initialised network can be pushed onto the constant-prediction plateau it never leaves.
/// </summary>
public sealed class LearningRatePlan
{
    /// <summary>Share of the peak the cosine ends at.</summary>
    public const double FloorShare = 0.01;

    /// <summary>A plan over <paramref name="totalSteps"/> optimiser steps.</summary>
    public LearningRatePlan(double peak, LearningRateSchedule schedule, int warmupSteps, int totalSteps)
    {
        if (!double.IsFinite(peak) || peak <= 0)
            throw new ArgumentOutOfRangeException(nameof(peak), peak, "The peak learning rate must be positive.");
        if (!Enum.IsDefined(schedule))
            throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown learning-rate schedule.");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        Peak = peak;
        Schedule = schedule;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    public double Peak { get; }

    public LearningRateSchedule Schedule { get; }

    public int WarmupSteps { get; }

    public int TotalSteps { get; }

    /// <summary>The learning rate of zero-based step <paramref name="step"/>.</summary>
    public double At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return Peak * (step + 1) / WarmupSteps;
        if (Schedule == LearningRateSchedule.Constant)
            return Peak;
        var span = Math.Max(1, TotalSteps - WarmupSteps - 1);
        var t = Math.Min(1.0, (step - WarmupSteps) / (double)span);
        return Peak * (FloorShare + (1 - FloorShare) * 0.5 * (1 + Math.Cos(Math.PI * t)));
    }
}
