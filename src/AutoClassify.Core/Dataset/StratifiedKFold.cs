namespace AutoClassify.Dataset;

/// <summary>
/// Stratified k-fold assignment, deterministic by seed. Every class is shuffled on its own and dealt
/// round-robin, continuing where the previous class stopped, so each fold holds each class's count
/// within one image and the folds' sizes differ by at most one.
/// </summary>
public static class StratifiedKFold
{
    /// <summary>Returns the fold (0..k-1) of every item.</summary>
    public static int[] Assign(IReadOnlyList<int> labels, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var byClass = labels.Select((label, index) => (label, index))
            .GroupBy(x => x.label)
            .OrderBy(g => g.Key)
            .ToList();
        foreach (var g in byClass)
        {
            if (g.Count() < folds)
                throw new ArgumentException($"Class {g.Key} has {g.Count()} items, fewer than the {folds} folds.");
        }

        var assignment = new int[labels.Count];
        var next = 0;
        foreach (var group in byClass)
        {
            var members = group.Select(x => x.index).ToArray();
            new Random(Seeds.Derive(seed, "fold", group.Key)).Shuffle(members);
            foreach (var index in members)
            {
                assignment[index] = next;
                next = (next + 1) % folds;
            }
        }
        return assignment;
    }

    /// <summary>Indices of the items in and out of <paramref name="fold"/>.</summary>
    public static (int[] Train, int[] Test) Split(IReadOnlyList<int> assignment, int fold)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var train = new List<int>();
        var test = new List<int>();
        for (var i = 0; i < assignment.Count; i++)
            (assignment[i] == fold ? test : train).Add(i);
        return (train.ToArray(), test.ToArray());
    }
}
