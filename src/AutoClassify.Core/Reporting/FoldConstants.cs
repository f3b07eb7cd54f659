namespace AutoClassify.Reporting;

/// <summary>
/// Splits per-fold facts (settings a trainer recorded, such as the architecture) into those every fold shares, which a
/// report states once, and those that vary, which keep a value per fold.
/// </summary>
internal static class FoldConstants
{
    /// <summary>
    /// The facts set to one value in every fold, in first-seen order, and the keys of the rest. With fewer than two
    /// folds nothing is constant, so a single fold's table stays as it is.
    /// </summary>
    internal static (List<KeyValuePair<string, string>> Constant, List<string> Varying) Split(IReadOnlyList<IReadOnlyDictionary<string, string>> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        var keys = new List<string>();
        foreach (var facts in folds)
        {
            foreach (var key in facts.Keys)
            {
                if (!keys.Contains(key))
                    keys.Add(key);
            }
        }
        var constant = new List<KeyValuePair<string, string>>();
        var varying = new List<string>();
        foreach (var key in keys)
        {
            if (folds.Count >= 2 && folds[0].TryGetValue(key, out var first)
                && folds.All(f => f.TryGetValue(key, out var v) && string.Equals(v, first, StringComparison.Ordinal)))
                constant.Add(new(key, first));
            else
                varying.Add(key);
        }
        return (constant, varying);
    }
}
