using AutoClassify.Imaging.Formats;

namespace AutoClassify.Dataset;

/// <summary>
/// The sections of one stack file (<c>file.mrcs#k</c>) are one group: they are one acquisition, so they must never
/// straddle a fold, the way the tiles of one image never do.
/// </summary>
public static class StackGroups
{
    /// <summary>The group of every item (the order in which its file first appears), or null when no two items share a file.</summary>
    public static int[]? Of(IReadOnlyList<DatasetItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = new int[items.Count];
        for (var i = 0; i < groups.Length; i++)
        {
            var file = EmPath.FileOf(items[i].FullPath);
            if (!ids.TryGetValue(file, out var id))
                ids[file] = id = ids.Count;
            groups[i] = id;
        }
        return ids.Count == items.Count ? null : groups;
    }

    /// <summary>
    /// The groups of the items models train on: each tile's source image (<paramref name="tileSource"/>), raised to
    /// its stack file when images share one; null when neither tiles nor stacks group anything.
    /// </summary>
    public static int[]? ForTraining(IReadOnlyList<DatasetItem> images, IReadOnlyList<int>? tileSource) =>
        ForTiles(Of(images), tileSource);

    /// <summary>
    /// Image groups (<paramref name="imageGroups"/>, null when every image stands alone) carried to the tiles cut
    /// from them: each tile takes its source image's group; the image groups themselves when nothing was tiled.
    /// </summary>
    public static int[]? ForTiles(int[]? imageGroups, IReadOnlyList<int>? tileSource)
    {
        if (tileSource is null)
            return imageGroups;
        return [.. tileSource.Select(image => imageGroups is null ? image : imageGroups[image])];
    }

    /// <summary>The number of distinct files behind <paramref name="items"/>.</summary>
    public static int FileCount(IEnumerable<DatasetItem> items) =>
        items.Select(i => EmPath.FileOf(i.FullPath)).Distinct(StringComparer.Ordinal).Count();
}
