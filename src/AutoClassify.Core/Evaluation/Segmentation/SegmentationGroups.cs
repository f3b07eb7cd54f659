namespace AutoClassify.Evaluation.Segmentation;

/// <summary>
/// Reads a groups file for segmentation folds: one <c>image,group</c> line per image (a header line is allowed;
/// the image as its relative path or its file name, the group any text). Every image must have a group.
/// </summary>
public static class SegmentationGroups
{
    /// <summary>The group index (in order of first appearance) of each image; throws naming every problem of the file.</summary>
    public static int[] Read(string path, IReadOnlyList<string> imagePaths)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(imagePaths);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Groups file '{path}' does not exist.", path);
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        var lines = File.ReadAllLines(path);
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var comma = line.LastIndexOf(',');
            if (comma <= 0 || comma == line.Length - 1)
            {
                problems.Add($"line {n + 1}: expected 'image,group', got '{line}'");
                continue;
            }
            var image = line[..comma].Trim().Trim('"');
            var group = line[(comma + 1)..].Trim().Trim('"');
            if (n == 0 && image.Equals("image", StringComparison.OrdinalIgnoreCase))
                continue;
            if (!byName.TryAdd(image, group) && byName[image] != group)
                problems.Add($"line {n + 1}: '{image}' is given two groups");
        }
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new int[imagePaths.Count];
        for (var i = 0; i < imagePaths.Count; i++)
        {
            var p = imagePaths[i];
            if (!byName.TryGetValue(p, out var group) && !byName.TryGetValue(Path.GetFileName(p), out group))
            {
                problems.Add($"image '{p}' has no group");
                continue;
            }
            if (!groups.TryGetValue(group, out var index))
                groups[group] = index = groups.Count;
            result[i] = index;
        }
        if (problems.Count > 0)
            throw new ArgumentException($"Groups file '{path}' cannot be used:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems.Take(50))
                + (problems.Count > 50 ? $"{Environment.NewLine}  … and {problems.Count - 50} more" : ""));
        return result;
    }
}
