namespace AutoClassify.Dataset;

/// <summary>One usable image of the dataset.</summary>
/// <param name="RelativePath">Path below the dataset root, with '/' separators; the item's stable id.</param>
/// <param name="FullPath">Absolute path of the image file.</param>
/// <param name="Label">Index into <see cref="LabeledDataset.ClassNames"/>.</param>
/// <param name="MaskPath">Absolute path of the sibling <c>&lt;name&gt;.mask.png</c>, or null.</param>
/// <param name="Width">Width of the decoded image before any crop.</param>
/// <param name="Height">Height of the decoded image before any crop.</param>
public sealed record DatasetItem(string RelativePath, string FullPath, int Label, string? MaskPath, int Width, int Height);

/// <summary>A validated class-per-subfolder tree.</summary>
public sealed class LabeledDataset
{
    public required string Root { get; init; }

    /// <summary>Class names in ordinal order; a class's index is its label.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    public required IReadOnlyList<DatasetItem> Items { get; init; }

    public required IReadOnlyList<SkippedFile> Skipped { get; init; }

    public required IReadOnlyList<DatasetProblem> Warnings { get; init; }

    public int[] Labels => Items.Select(i => i.Label).ToArray();

    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (var item in Items)
            counts[item.Label]++;
        return counts;
    }
}
