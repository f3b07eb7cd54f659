namespace AutoClassify.Tiling;

/// <summary>The command-line names of <see cref="TileAggregation"/>: <c>mean</c> and <c>vote</c>.</summary>
public static class TileAggregations
{
    /// <summary>The name a user types and the report prints.</summary>
    public static string ToName(this TileAggregation mode) => mode switch
    {
        TileAggregation.Mean => "mean",
        TileAggregation.MajorityVote => "vote",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown tile aggregation."),
    };

    /// <summary>Parses <c>mean</c> or <c>vote</c> (also <c>majority</c>, <c>majority-vote</c>), case-insensitively.</summary>
    public static TileAggregation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "mean" => TileAggregation.Mean,
            "vote" or "majority" or "majority-vote" => TileAggregation.MajorityVote,
            _ => throw new FormatException($"--tile-aggregate expects 'mean' or 'vote', got '{text}'."),
        };
    }
}
