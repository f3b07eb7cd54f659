namespace AutoClassify.Dataset;

/// <summary>
/// Orders names as people count: runs of digits compare by value, so <c>2.png</c> comes before <c>10.png</c>; the rest
/// compares ordinally, and names equal up to leading zeros fall back to ordinal order so the order is total.
/// </summary>
public sealed class NaturalOrder : IComparer<string>
{
    public static NaturalOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                var (a, nextI) = Digits(x, i);
                var (b, nextJ) = Digits(y, j);
                var byValue = CompareDigits(a, b);
                if (byValue != 0)
                    return byValue;
                (i, j) = (nextI, nextJ);
                continue;
            }
            if (x[i] != y[j])
                return x[i].CompareTo(y[j]);
            i++;
            j++;
        }
        var byLength = (x.Length - i).CompareTo(y.Length - j);
        return byLength != 0 ? byLength : string.CompareOrdinal(x, y);
    }

    static (ReadOnlyMemory<char> Digits, int Next) Digits(string s, int start)
    {
        var end = start;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
            end++;
        var first = start;
        while (first < end - 1 && s[first] == '0')
            first++;
        return (s.AsMemory(first, end - first), end);
    }

    // Digit runs without leading zeros: the longer is larger, equal lengths compare digit by digit (no overflow).
    static int CompareDigits(ReadOnlyMemory<char> a, ReadOnlyMemory<char> b) =>
        a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.Span.SequenceCompareTo(b.Span);
}
