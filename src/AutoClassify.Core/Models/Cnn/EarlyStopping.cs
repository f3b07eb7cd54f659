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

    /// <summary>True when the best epoch so far predicted the validation set better than chance (see <see cref="Update(int, double, bool)"/>).</summary>
    public bool BestBeatsChance { get; private set; }

    /// <summary>
    /// True once <see cref="Patience"/> epochs in a row brought no improvement, and some epoch has beaten chance:
    /// a network still at chance keeps training (up to the epoch cap) instead of being stopped on its plateau.
    /// </summary>
    public bool ShouldStop => sinceBest >= Patience && (BestBeatsChance || BestEpoch < 0);

    /// <summary>Records an epoch's validation loss; returns true when it is the best so far (keep these weights).</summary>
    public bool Update(int epoch, double validationLoss) => Update(epoch, validationLoss, beatsChance: true);

    /// <summary>
    /// Records an epoch's validation loss and whether its predictions beat chance (<see cref="ChanceBar"/>); returns
    /// true when it is the best so far. An epoch that beats chance always outranks one that does not, whatever the
    /// losses: a near-uniform network has a low cross-entropy on a set it cannot classify, and a network that has
    /// begun to separate the classes but is still over-confident on unseen images can score worse, so the loss
    /// alone would keep the chance-level weights of the first epoch.
    /// </summary>
    public bool Update(int epoch, double validationLoss, bool beatsChance)
    {
        if (double.IsNaN(validationLoss) || (BestBeatsChance && !beatsChance))
        {
            sinceBest++;
            return false;
        }
        if (validationLoss < BestLoss || (beatsChance && !BestBeatsChance))
        {
            BestLoss = validationLoss;
            BestEpoch = epoch;
            BestBeatsChance = beatsChance;
            sinceBest = 0;
            return true;
        }
        sinceBest++;
        return false;
    }

    /// <summary>
    /// The balanced accuracy (mean recall over the classes present) an epoch must exceed to count as better than
    /// chance: the 1 / K of a constant or random guess, plus two standard errors of that guess over
    /// <paramref name="independentItems"/> validation items (images, not their correlated tiles), but never more
    /// than halfway from chance to perfect, so a tiny validation set does not keep every epoch below the bar.
    /// </summary>
    public static double ChanceBar(int classesPresent, int independentItems)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classesPresent, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(independentItems, 1);
        var chance = 1.0 / classesPresent;
        return Math.Min(chance + 2 * Math.Sqrt(chance * (1 - chance) / independentItems), (1 + chance) / 2);
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
