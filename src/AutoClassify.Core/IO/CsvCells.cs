using System.Globalization;
using CsvHelper;

namespace AutoClassify.IO;

/// <summary>
/// Keeps the CSV files we write safe to open in a spreadsheet (OWASP's advice on CSV injection): a text cell that
/// starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return gets a leading apostrophe, so it
/// shows as text instead of running as a formula. A cell that starts with an apostrophe gets one more, so
/// <see cref="Unprotect"/> gives back every original value exactly.
/// </summary>
public static class CsvCells
{
    const string Triggers = "=+-@\t\r";
    const char Escape = '\'';

    /// <summary>
    /// Writer options for every CSV of the project: invariant culture, and the library's own formula escaping as a second
    /// guard for any text cell not passed through <see cref="Protect"/> (numbers are never touched, so -5 stays a number).
    /// </summary>
    public static CsvWriterOptions WriterOptions { get; } = CsvWriterOptions.Default with
    {
        FormatProvider = CultureInfo.InvariantCulture,
        Injection = CsvInjection.Escape,
    };

    /// <summary>The text as it is written into a cell (class names, paths and messages come from the user's files).</summary>
    public static string Protect(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length > 0 && (Triggers.Contains(text[0], StringComparison.Ordinal) || text[0] == Escape) ? Escape + text : text;
    }

    /// <summary>The original text of a cell written through <see cref="Protect"/>.</summary>
    public static string Unprotect(string cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        return cell.Length > 1 && cell[0] == Escape && (Triggers.Contains(cell[1], StringComparison.Ordinal) || cell[1] == Escape) ? cell[1..] : cell;
    }
}
