using System.Text.RegularExpressions;
using AutoClassify.Native;

namespace AutoClassify;

/// <summary>Turns exception messages into the user's words before they reach a console line, a skip list or a CSV cell.</summary>
public static partial class Messages
{
    /// <summary>
    /// Removes what only a developer can read: .NET's "(Parameter 'x')" tail, "Actual value was N." (kept as "(got N)"),
    /// OpenCV's source location and assertion code; and joins the lines into one.
    /// </summary>
    public static string Plain(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = ParameterTail().Replace(message, "");
        text = ActualValue().Replace(text, m => $" (got {m.Groups[1].Value})");
        text = NativeShim.Readable(text);
        return string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)")]
    private static partial Regex ParameterTail();

    [GeneratedRegex(@"\s*Actual value was ([^\r\n]*?)\.?(?=\r?\n|$)")]
    private static partial Regex ActualValue();
}
