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
