namespace AutoClassify.Dataset;

/// <summary>
/// Derives independent, reproducible seeds from the run's seed, so every random choice in a report
/// (folds, samplers, augmentation, inner CV) can be replayed from the one number the report prints.
/// </summary>
public static class Seeds
{
    /// <summary>Mixes the run seed with a purpose and indices (SplitMix64 finaliser).</summary>
    public static int Derive(int seed, string purpose, params int[] indices)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ulong h = Mix((ulong)(uint)seed ^ 0x9E3779B97F4A7C15UL);
        foreach (var c in purpose)
            h = Mix(h ^ c);
        foreach (var i in indices)
            h = Mix(h ^ (ulong)(uint)i);
        return (int)(h & 0x7FFFFFFF);
    }

    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
