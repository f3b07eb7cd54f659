using AutoClassify.Dataset;

namespace AutoClassify.Models.Cnn;

/// <summary>How each training epoch draws its items from the training fold.</summary>
public enum SamplerKind
{
    /// <summary>Every item once per epoch.</summary>
    None,

    /// <summary>Minority classes are repeated until every class matches the largest (the thesis's default).</summary>
    Oversample,

    /// <summary>A random fraction of the largest class is left out of each epoch.</summary>
    Undersample,
}

/// <summary>
/// Draws the shuffled item order of each epoch from the training indices only, reproducibly from a seed
/// and the epoch number. It never sees validation or test indices, so they can never be resampled.
/// </summary>
public sealed class EpochSampler
{
    readonly int[][] byClass;
    readonly Dictionary<int, int> classOf = [];
    readonly int seed;

    /// <param name="indices">Dataset indices the sampler may draw from (the fitting part of the training fold).</param>
    /// <param name="labels">Class of every dataset item (indexed like the dataset, not like <paramref name="indices"/>).</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="kind">The resampling rule.</param>
    /// <param name="undersampleFraction">Fraction of the largest class dropped per epoch by <see cref="SamplerKind.Undersample"/>.</param>
    /// <param name="seed">Seed of the whole fit; each epoch derives its own from it.</param>
    /// <param name="epochSize">Items per epoch, keeping the rule's class shares; null for the rule's natural size.</param>
    public EpochSampler(IReadOnlyList<int> indices, IReadOnlyList<int> labels, int classCount, SamplerKind kind, double undersampleFraction, int seed,
        int? epochSize = null)
    {
        if (epochSize is < 1)
            throw new ArgumentOutOfRangeException(nameof(epochSize), epochSize, "An epoch needs at least one item.");
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (double.IsNaN(undersampleFraction) || undersampleFraction < 0 || undersampleFraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(undersampleFraction), undersampleFraction, "The undersampling fraction must lie in [0, 1).");
        if (indices.Count == 0)
            throw new ArgumentException("The sampler needs at least one training index.", nameof(indices));

        var groups = new List<int>[classCount];
        for (var k = 0; k < classCount; k++)
            groups[k] = [];
        foreach (var index in indices)
        {
            var label = labels[index];
            if (label < 0 || label >= classCount)
                throw new ArgumentException($"Item {index} has label {label}, outside 0..{classCount - 1}.", nameof(labels));
            groups[label].Add(index);
            classOf[index] = label;
        }
        byClass = [.. groups.Select(g => g.ToArray())];
        Kind = kind;
        UndersampleFraction = undersampleFraction;
        EpochSize = epochSize;
        this.seed = seed;
    }

    /// <summary>
    /// The sampler of a CNN fit: <paramref name="options"/>' rule, at the epoch size
    /// <see cref="CnnOptions.EffectiveEpochSize"/> gives for these fitting items.
    /// </summary>
    public static EpochSampler Create(IReadOnlyList<int> fit, IReadOnlyList<int> labels, int classCount, CnnOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        var natural = new EpochSampler(fit, labels, classCount, options.Sampler, options.UndersampleFraction, seed);
        var size = options.EffectiveEpochSize(natural.NaturalSize, fit.Count);
        return size == natural.NaturalSize ? natural : new EpochSampler(fit, labels, classCount, options.Sampler, options.UndersampleFraction, seed, size);
    }

    public SamplerKind Kind { get; }

    public double UndersampleFraction { get; }

    /// <summary>Items an epoch holds under the rule alone, before any fixed <see cref="EpochSize"/>.</summary>
    public int NaturalSize => Kind switch
    {
        SamplerKind.Oversample => byClass.Count(c => c.Length > 0) * byClass.Max(c => c.Length),
        SamplerKind.Undersample => byClass.Sum(c => c.Length) - byClass[MajorityClass].Length
            + Math.Max(1, byClass[MajorityClass].Length - (int)Math.Round(UndersampleFraction * byClass[MajorityClass].Length, MidpointRounding.AwayFromZero)),
        _ => byClass.Sum(c => c.Length),
    };

    /// <summary>Items per epoch when fixed; null when the rule decides.</summary>
    public int? EpochSize { get; }

    /// <summary>Items per class in the pool the sampler draws from.</summary>
    public IReadOnlyList<int> ClassCounts => [.. byClass.Select(c => c.Length)];

    /// <summary>The class that undersampling thins: the largest, the lowest class index on ties.</summary>
    public int MajorityClass
    {
        get
        {
            var best = 0;
            for (var k = 1; k < byClass.Length; k++)
            {
                if (byClass[k].Length > byClass[best].Length)
                    best = k;
            }
            return best;
        }
    }

    /// <summary>Dataset indices of one epoch, in a fresh shuffled order.</summary>
    public int[] Epoch(int epoch)
    {
        var random = new Random(Seeds.Derive(seed, "cnn-sampler", epoch));
        var order = new List<int>();
        switch (Kind)
        {
            case SamplerKind.None:
                foreach (var members in byClass)
                    order.AddRange(members);
                break;
            case SamplerKind.Oversample:
                var target = byClass.Max(c => c.Length);
                foreach (var members in byClass)
                    order.AddRange(Oversample(members, target, random));
                break;
            case SamplerKind.Undersample:
                var majority = MajorityClass;
                for (var k = 0; k < byClass.Length; k++)
                {
                    if (k != majority)
                    {
                        order.AddRange(byClass[k]);
                        continue;
                    }
                    var kept = (int[])byClass[k].Clone();
                    random.Shuffle(kept);
                    var keep = byClass[k].Length - (int)Math.Round(UndersampleFraction * byClass[k].Length, MidpointRounding.AwayFromZero);
                    order.AddRange(kept.Take(Math.Max(1, keep)));
                }
                break;
            default:
                throw new InvalidOperationException($"Unknown sampler {Kind}.");
        }
        var result = EpochSize is { } size && size != order.Count ? Resize(order, size, random) : order.ToArray();
        random.Shuffle(result);
        return result;
    }

    // Scales every class's share of the natural epoch to the fixed size (largest remainders get the leftover
    // places), then draws each class's quota evenly from that class's members.
    int[] Resize(List<int> natural, int size, Random random)
    {
        var classCount = byClass.Length;
        var shares = new int[classCount];
        foreach (var item in natural)
            shares[classOf[item]]++;
        var exact = shares.Select(s => (double)s * size / natural.Count).ToArray();
        var quota = exact.Select(e => (int)Math.Floor(e)).ToArray();
        foreach (var k in Enumerable.Range(0, classCount).OrderByDescending(k => exact[k] - quota[k]).ThenBy(k => k).Take(size - quota.Sum()))
            quota[k]++;
        var result = new List<int>(size);
        for (var k = 0; k < classCount; k++)
            result.AddRange(Oversample(byClass[k], quota[k], random));
        return [.. result];
    }

    // Whole copies first and a random remainder without replacement: every item appears as evenly as the counts allow.
    static List<int> Oversample(int[] members, int target, Random random)
    {
        var result = new List<int>(target);
        if (members.Length == 0)
            return result;
        while (result.Count + members.Length <= target)
            result.AddRange(members);
        var rest = (int[])members.Clone();
        random.Shuffle(rest);
        result.AddRange(rest.Take(target - result.Count));
        return result;
    }
}
