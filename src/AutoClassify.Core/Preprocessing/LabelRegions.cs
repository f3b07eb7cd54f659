namespace AutoClassify.Preprocessing;

/// <summary>Connected regions of label maps (row-major int arrays, 0 = background), for masks and segmentations.</summary>
public static class LabelRegions
{
    /// <summary>
    /// Numbers the connected regions of equal non-zero value 1..count in raster order of their first pixel
    /// (4- or 8-connected); background stays 0.
    /// </summary>
    public static int[] Components(ReadOnlySpan<int> values, int width, int height, bool eightConnected, out int count)
    {
        Check(values.Length, width, height);
        var parent = new List<int> { 0 };
        var provisional = new int[values.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var v = values[i];
                if (v == 0)
                    continue;
                var label = 0;
                for (var k = 0; k < (eightConnected ? 4 : 2); k++)
                {
                    var (dx, dy) = k switch { 0 => (-1, 0), 1 => (0, -1), 2 => (-1, -1), _ => (1, -1) };
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || nx >= width || ny < 0 || values[(ny * width) + nx] != v)
                        continue;
                    var other = Find(parent, provisional[(ny * width) + nx]);
                    if (label == 0)
                    {
                        label = other;
                        continue;
                    }
                    var mine = Find(parent, label);
                    if (other != mine)
                        parent[Math.Max(other, mine)] = Math.Min(other, mine);
                }
                if (label == 0)
                {
                    label = parent.Count;
                    parent.Add(label);
                }
                provisional[i] = label;
            }
        }
        var final = new int[parent.Count];
        count = 0;
        var result = new int[values.Length];
        for (var i = 0; i < result.Length; i++)
        {
            if (provisional[i] == 0)
                continue;
            var root = Find(parent, provisional[i]);
            if (final[root] == 0)
                final[root] = ++count;
            result[i] = final[root];
        }
        return result;
    }

    /// <summary>For each non-zero value of a label map, how many 8-connected regions it forms.</summary>
    public static Dictionary<int, int> ComponentsPerValue(int[] values, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(values);
        var regions = Components(values, width, height, eightConnected: true, out var count);
        var seen = new bool[count + 1];
        var result = new Dictionary<int, int>();
        for (var i = 0; i < values.Length; i++)
        {
            if (regions[i] == 0 || seen[regions[i]])
                continue;
            seen[regions[i]] = true;
            result[values[i]] = result.GetValueOrDefault(values[i]) + 1;
        }
        return result;
    }

    /// <summary>Renumbers the distinct non-zero ids of an instance map to 1..count in raster order; returns the new map.</summary>
    public static int[] Compact(ReadOnlySpan<int> ids, out int count)
    {
        var map = new Dictionary<int, int>();
        var result = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] == 0)
                continue;
            if (!map.TryGetValue(ids[i], out var n))
                map[ids[i]] = n = map.Count + 1;
            result[i] = n;
        }
        count = map.Count;
        return result;
    }

    /// <summary>Pixel count of each label 0..count of a compact label map.</summary>
    public static int[] Areas(ReadOnlySpan<int> labels, int count)
    {
        var areas = new int[count + 1];
        foreach (var l in labels)
            areas[l]++;
        return areas;
    }

    /// <summary>Which labels 1..count of a compact label map touch the image border (index 0 unused).</summary>
    public static bool[] TouchingBorder(ReadOnlySpan<int> labels, int width, int height, int count)
    {
        Check(labels.Length, width, height);
        var touches = new bool[count + 1];
        for (var x = 0; x < width; x++)
        {
            touches[labels[x]] = true;
            touches[labels[((height - 1) * width) + x]] = true;
        }
        for (var y = 0; y < height; y++)
        {
            touches[labels[y * width]] = true;
            touches[labels[(y * width) + width - 1]] = true;
        }
        touches[0] = false;
        return touches;
    }

    static int Find(List<int> parent, int label)
    {
        while (parent[label] != label)
        {
            parent[label] = parent[parent[label]];
            label = parent[label];
        }
        return label;
    }

    static void Check(int length, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (length != (long)width * height)
            throw new ArgumentException($"Expected {width}x{height} = {(long)width * height} labels, got {length}.");
    }
}
