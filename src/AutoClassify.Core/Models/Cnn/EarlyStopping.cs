using AutoClassify.Evaluation;

namespace AutoClassify.Models.Cnn;

/// <summary>
/// Stops training when the validation loss has not improved for <see cref="Patience"/> epochs and remembers the
/// best epoch. The loss, not the accuracy, is the criterion: on small validation sets accuracy moves in coarse steps
/// and ties often, while the (label-smoothed) cross-entropy still ranks epochs.
/// </summary>
public sealed class EarlyStopping
{
    int sinceBest;

    public EarlyStopping(int patience)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1);
        Patience = patience;
    }

    public int Patience { get; }

    /// <summary>Zero-based epoch of the lowest validation loss so far; −1 before the first epoch.</summary>
    public int BestEpoch { get; private set; } = -1;

    public double BestLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>True once <see cref="Patience"/> epochs in a row brought no improvement.</summary>
    public bool ShouldStop => sinceBest >= Patience;

    /// <summary>Records an epoch's validation loss; returns true when it is the best so far (keep these weights).</summary>
    public bool Update(int epoch, double validationLoss)
    {
        if (double.IsNaN(validationLoss))
        {
            sinceBest++;
            return false;
        }
        if (validationLoss < BestLoss)
        {
            BestLoss = validationLoss;
            BestEpoch = epoch;
            sinceBest = 0;
            return true;
        }
        sinceBest++;
        return false;
    }
}

/// <summary>Carves a stratified validation set out of a training fold.</summary>
public static class ValidationSplit
{
    /// <summary>The training fact holding <see cref="ClassCounts"/>, which the report warns about when a class is nearly absent.</summary>
    public const string ClassCountsFact = "validation_class_counts";

    /// <summary>Images of each class in a validation split, comma-separated in class order; tiles of one image count once.</summary>
    public static string ClassCounts(TrainingData data, IReadOnlyList<int> validation)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(validation);
        var counts = new int[data.ClassCount];
        foreach (var g in validation.GroupBy(i => data.Groups is { } groups ? groups[i] : i))
            counts[data.Labels[g.First()]]++;
        return string.Join(",", counts.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The CNN arms' validation split of a training fold: <see cref="Carve(IReadOnlyList{int}, IReadOnlyList{int}, double, int)"/>,
    /// or <see cref="GroupedFolds.Carve"/> when the data has groups, so the tiles of one image stay on one side.
    /// </summary>
    public static (int[] Fit, int[] Validation) Carve(TrainingData data, IReadOnlyList<int> trainIndices, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.Groups is null
            ? Carve(data.Labels, trainIndices, fraction, seed)
            : GroupedFolds.Carve(data.Labels, data.Groups, trainIndices, fraction, seed);
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
