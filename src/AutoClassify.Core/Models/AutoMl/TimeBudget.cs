using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoClassify.Models.AutoMl;

/// <summary>Reads and writes time budgets as the command line spells them: <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>1h30m</c>.</summary>
public static partial class TimeBudget
{
    /// <summary>The longest budget accepted; anything longer is almost certainly a typo.</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(7);

    /// <summary>
    /// Parses hours, minutes and seconds, each an integer with its unit, in that order, each at most once
    /// (<c>1h30m</c>, <c>45m</c>, <c>2m30s</c>). Throws a <see cref="FormatException"/> that quotes the text.
    /// </summary>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = Pattern().Match(text.Trim());
        if (!match.Success || text.Trim().Length == 0)
        {
            throw new FormatException(
                $"--time-budget '{text}' is not a duration: write whole numbers with units h, m or s, such as 90s, 30m, 1h or 1h30m.");
        }
        double Part(string group) => match.Groups[group].Success ? double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        var budget = TimeSpan.FromSeconds(Part("h") * 3600 + Part("m") * 60 + Part("s"));
        if (budget <= TimeSpan.Zero)
            throw new FormatException($"--time-budget '{text}' is zero; give a positive duration such as 90s or 30m.");
        if (budget > Maximum)
            throw new FormatException($"--time-budget '{text}' is longer than {Format(Maximum)}; give a shorter duration.");
        return budget;
    }

    /// <summary>The budget as <see cref="Parse"/> reads it, e.g. <c>1h30m</c> or <c>24s</c> (fractions of a second are dropped).</summary>
    public static string Format(TimeSpan budget)
    {
        var seconds = (long)Math.Floor(budget.TotalSeconds);
        if (seconds <= 0)
            return "0s";
        var (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
        var inv = CultureInfo.InvariantCulture;
        return (h > 0 ? h.ToString(inv) + "h" : "") + (m > 0 ? m.ToString(inv) + "m" : "") + (s > 0 ? s.ToString(inv) + "s" : "");
    }

    // Digits are capped so a long number fails to parse here rather than overflowing later.
    [GeneratedRegex(@"^(?:(?<h>\d{1,6})h)?(?:(?<m>\d{1,7})m)?(?:(?<s>\d{1,9})s)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
