namespace AutoClassify.Dataset;

/// <summary>
/// Splits that keep groups whole: items of one group (e.g. the tiles of one image) always land on the same side.
/// Groups are dealt as units with the ungrouped splitters over their labels, so a group is expected to hold one
/// class (tiles inherit their image's); a group's label is its first item's.
/// </summary>
public static class GroupedFolds
{
    /// <summary>
    /// The fold (0..k-1) of every item: each group's fold comes from <see cref="StratifiedKFold.Assign"/> over the
    /// groups' labels (groups in order of first appearance), and its items share it.
    /// </summary>
    /// <param name="labels">Class of every item.</param>
    /// <param name="groups">Group of every item, indexed like <paramref name="labels"/>.</param>
    /// <param name="folds">Number of folds; every class needs at least this many groups.</param>
    /// <param name="seed">Seed of the assignment.</param>
    public static int[] Assign(IReadOnlyList<int> labels, IReadOnlyList<int> groups, int folds, int seed)
    {
        var (_, groupLabels, position) = Index(labels, groups);
        var groupFolds = StratifiedKFold.Assign(groupLabels, folds, seed);
        var result = new int[labels.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = groupFolds[position[groups[i]]];
        return result;
    }

    /// <summary>One label per distinct group, in order of first appearance: the classes to count when deciding how many folds the groups allow.</summary>
    public static int[] GroupLabels(IReadOnlyList<int> labels, IReadOnlyList<int> groups) => Index(labels, groups).GroupLabels;

    /// <summary>
    /// <see cref="ValidationSplit.Carve(IReadOnlyList{int}, IReadOnlyList{int}, double, int)"/> over whole groups: about <paramref name="fraction"/> of each class's
    /// groups among <paramref name="trainIndices"/> go to validation with all their items.
    /// </summary>
    /// <param name="labels">Class of every item of the data.</param>
    /// <param name="groups">Group of every item of the data.</param>
    /// <param name="trainIndices">The items to split.</param>
    /// <param name="fraction">Share of each class's groups held out, in [0, 1).</param>
    /// <param name="seed">Seed of the split.</param>
    public static (int[] Fit, int[] Validation) Carve(IReadOnlyList<int> labels, IReadOnlyList<int> groups, IReadOnlyList<int> trainIndices,
        double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(trainIndices);
        if (groups.Count != labels.Count)
            throw new ArgumentException($"{groups.Count} groups for {labels.Count} labels.", nameof(groups));
        var trainGroups = trainIndices.Select(i => groups[i]).ToArray();
        var (order, groupLabels, _) = Index(trainIndices.Select(i => labels[i]).ToArray(), trainGroups);
        var (_, heldOut) = ValidationSplit.Carve(groupLabels, Enumerable.Range(0, order.Length).ToArray(), fraction, seed);
        var validationGroups = heldOut.Select(g => order[g]).ToHashSet();
        var fit = new List<int>();
        var validation = new List<int>();
        foreach (var i in trainIndices)
            (validationGroups.Contains(groups[i]) ? validation : fit).Add(i);
        fit.Sort();
        validation.Sort();
        return ([.. fit], [.. validation]);
    }

    /// <summary>Distinct groups in order of first appearance, each one's label, and each group id's position in that order.</summary>
    static (int[] Order, int[] GroupLabels, Dictionary<int, int> Position) Index(IReadOnlyList<int> labels, IReadOnlyList<int> groups)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count != labels.Count)
            throw new ArgumentException($"{groups.Count} groups for {labels.Count} labels.", nameof(groups));
        var position = new Dictionary<int, int>();
        var order = new List<int>();
        var groupLabels = new List<int>();
        for (var i = 0; i < labels.Count; i++)
        {
            if (position.TryAdd(groups[i], order.Count))
            {
                order.Add(groups[i]);
                groupLabels.Add(labels[i]);
            }
        }
        return ([.. order], [.. groupLabels], position);
    }
}
