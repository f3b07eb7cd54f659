using AutoClassify.Dataset;

namespace AutoClassify.Evaluation.Segmentation;

/// <summary>Folds over whole images for segmentation benchmarks; groups (slices of one stack, one specimen) never straddle folds.</summary>
public static class SegmentationFolds
{
    /// <summary>
    /// The fold (0..k−1) of each of <paramref name="count"/> images. Without groups, k contiguous blocks in image
    /// order (neighbouring slices of a stack are near copies, so they must stay together). With groups, whole groups
    /// are dealt, largest first in a seeded order, to the fold with the fewest images.
    /// </summary>
    public static int[] Assign(int count, int folds, IReadOnlyList<int>? groups, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        if (groups is null)
        {
            if (count < folds)
                throw new ArgumentException($"{count} images cannot fill {folds} folds; use fewer folds.");
            var result = new int[count];
            for (var i = 0; i < count; i++)
                result[i] = (int)((long)i * folds / count);
            return result;
        }
        if (groups.Count != count)
            throw new ArgumentException($"{groups.Count} group entries for {count} images.", nameof(groups));
        var members = groups.Select((g, i) => (g, i)).GroupBy(p => p.g).Select(g => g.Select(p => p.i).ToArray()).ToList();
        if (members.Count < folds)
            throw new ArgumentException($"{members.Count} groups cannot fill {folds} folds; use fewer folds or finer groups.");
        var random = new Random(Seeds.Derive(seed, "segment-folds"));
        var order = members.ToArray();
        random.Shuffle(order);
        var sizes = new int[folds];
        var assignment = new int[count];
        foreach (var group in order.OrderByDescending(m => m.Length))
        {
            var fold = Array.IndexOf(sizes, sizes.Min());
            sizes[fold] += group.Length;
            foreach (var i in group)
                assignment[i] = fold;
        }
        return assignment;
    }
}
