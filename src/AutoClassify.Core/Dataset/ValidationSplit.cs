namespace AutoClassify.Dataset;

/// <summary>Carves a stratified validation set out of a training fold.</summary>
public static class ValidationSplit
{
    /// <summary>The training fact holding <see cref="ClassCounts"/>, which the report warns about when a class is nearly absent.</summary>
    public const string ClassCountsFact = "validation_class_counts";

    /// <summary>Images of each class in a validation split, comma-separated in class order; tiles of one image count once.</summary>
    /// <param name="labels">Class of every item of the data.</param>
    /// <param name="groups">Group of every item (the tiles of one image), or null when every item is its own.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="validation">The validation items.</param>
    public static string ClassCounts(IReadOnlyList<int> labels, IReadOnlyList<int>? groups, int classCount, IReadOnlyList<int> validation)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(validation);
        var counts = new int[classCount];
        foreach (var g in validation.GroupBy(i => groups is not null ? groups[i] : i))
            counts[labels[g.First()]]++;
        return string.Join(",", counts.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The CNN arms' validation split of a training fold: <see cref="Carve(IReadOnlyList{int}, IReadOnlyList{int}, double, int)"/>,
    /// or <see cref="GroupedFolds.Carve"/> when the data has groups, so the tiles of one image stay on one side.
    /// </summary>
    /// <param name="labels">Class of every item of the data.</param>
    /// <param name="groups">Group of every item (the tiles of one image), or null when every item is its own.</param>
    /// <param name="trainIndices">The items to split.</param>
    /// <param name="fraction">Share of each class held out, in [0, 1).</param>
    /// <param name="seed">Seed of the split.</param>
    public static (int[] Fit, int[] Validation) Carve(IReadOnlyList<int> labels, IReadOnlyList<int>? groups, IReadOnlyList<int> trainIndices, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return groups is null
            ? Carve(labels, trainIndices, fraction, seed)
            : GroupedFolds.Carve(labels, groups, trainIndices, fraction, seed);
    }

    /// <summary>
    /// Splits <paramref name="trainIndices"/> into a fitting part and a validation part holding about
    /// <paramref name="fraction"/> of each class (largest remainder, so the total is the rounded fraction of the
    /// whole). Each class is shuffled with its own seed derived from <paramref name="seed"/>, as in
    /// <see cref="StratifiedKFold"/>. A class keeps at least one fitting item, and a class with a single item
    /// gives none to validation.
    /// </summary>
    public static (int[] Fit, int[] Validation) Carve(IReadOnlyList<int> labels, IReadOnlyList<int> trainIndices, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(trainIndices);
        if (double.IsNaN(fraction) || fraction < 0 || fraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must lie in [0, 1).");
        if (fraction == 0)
            return ([.. trainIndices], []);

        var groups = trainIndices.GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => (Label: g.Key, Members: g.ToArray())).ToList();
        var target = (int)Math.Round(fraction * trainIndices.Count, MidpointRounding.AwayFromZero);
        var quotas = groups.Select(g => fraction * g.Members.Length).ToArray();
        var counts = quotas.Select(q => (int)Math.Floor(q)).ToArray();
        foreach (var k in Enumerable.Range(0, groups.Count).OrderByDescending(k => quotas[k] - counts[k]).ThenBy(k => k))
        {
            if (counts.Sum() >= target)
                break;
            counts[k]++;
        }

        var fit = new List<int>();
        var validation = new List<int>();
        for (var k = 0; k < groups.Count; k++)
        {
            var members = groups[k].Members;
            new Random(Seeds.Derive(seed, "cnn-validation", groups[k].Label)).Shuffle(members);
            var take = Math.Clamp(counts[k], 0, members.Length - 1);
            validation.AddRange(members.Take(take));
            fit.AddRange(members.Skip(take));
        }
        fit.Sort();
        validation.Sort();
        return ([.. fit], [.. validation]);
    }
}
