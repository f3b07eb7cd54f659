namespace AutoClassify.Models.Cnn;

/// <summary>
/// Cuts one epoch's shuffled item order into consecutive runs of whole batches, one per validation check
/// (<see cref="CnnOptions.ValidationsPerEpoch"/>). The runs concatenate to the order itself and no batch straddles
/// two runs, so the optimiser takes exactly the steps of one whole epoch whatever the number of checks.
/// </summary>
public static class EpochParts
{
    /// <summary>
    /// Start offsets of the runs into an epoch of <paramref name="items"/> items, followed by <paramref name="items"/>
    /// itself: run <c>p</c> is <c>[bounds[p], bounds[p + 1])</c>. The batches are shared out as evenly as they divide;
    /// an epoch of fewer batches than <paramref name="parts"/> gets one run per batch, so no check repeats the last.
    /// </summary>
    public static int[] Bounds(int items, int batchSize, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        var batches = (items + batchSize - 1) / batchSize;
        var runs = Math.Min(parts, batches);
        var bounds = new int[runs + 1];
        for (var p = 1; p < runs; p++)
            bounds[p] = (int)((long)p * batches / runs) * batchSize;
        bounds[runs] = items;
        return bounds;
    }
}
