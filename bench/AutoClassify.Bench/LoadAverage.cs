namespace AutoClassify.Bench;

/// <summary>The machine's load, printed beside every timing: on a shared machine absolute times are noise.</summary>
internal static class LoadAverage
{
    /// <summary>The 1, 5 and 15-minute load averages from /proc/loadavg, or "unknown" where it cannot be read.</summary>
    public static string Now()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
