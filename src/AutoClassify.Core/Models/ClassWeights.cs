namespace AutoClassify.Models;

/// <summary>Class weights for a weighted loss.</summary>
public static class ClassWeights
{
    /// <summary>
    /// Weights inverse to class frequency among <paramref name="indices"/>, <c>n / (K · n_k)</c> with K the classes
    /// present, so a balanced set gets weight 1 everywhere. A class absent from the indices gets weight 0.
    /// </summary>
    public static double[] InverseFrequency(IReadOnlyList<int> labels, IReadOnlyList<int> indices, int classCount)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        var counts = new int[classCount];
        foreach (var i in indices)
            counts[labels[i]]++;
        var present = counts.Count(c => c > 0);
        var weights = new double[classCount];
        for (var k = 0; k < classCount; k++)
            weights[k] = counts[k] == 0 ? 0 : (double)indices.Count / (present * counts[k]);
        return weights;
    }
}
