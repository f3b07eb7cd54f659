using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoClassify.Reporting;

/// <summary>
/// How every report (HTML pages, model cards, figure legends) shows a measured number: three significant digits,
/// invariant culture. Machine-readable outputs (results.json, the CSVs) keep full precision and never use this.
/// </summary>
internal static partial class ReportNumber
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Significant digits shown by default.</summary>
    internal const int Digits = 3;

    /// <summary>The smallest p-value shown as a number; smaller ones read "&lt; 0.001".</summary>
    internal const double PFloor = 0.001;

    /// <summary>Shown where a value is undefined (NaN), e.g. the SD of a single fold.</summary>
    internal const string NotAvailable = "n/a";

    /// <summary>
    /// <paramref name="value"/> to <paramref name="digits"/> significant digits (0.903, 0.0123, 1.23, 12.3, 123).
    /// Digits left of the point are never rounded away (12346, not 12300); magnitudes below 10⁻⁴ use an exponent.
    /// </summary>
    internal static string Sig(double value, int digits = Digits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        if (double.IsNaN(value))
            return NotAvailable;
        if (double.IsInfinity(value))
            return value > 0 ? "∞" : "−∞";
        if (value == 0)
            return "0";
        var magnitude = Math.Abs(value);
        if (magnitude < 1e-4)
            return value.ToString("0." + new string('0', digits - 1) + "e+0", Inv);
        var decimals = Math.Max(0, digits - 1 - (int)Math.Floor(Math.Log10(magnitude)));
        var rounded = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
        // Rounding can carry into a new digit (0.9996 → 1.000); one decimal fewer keeps the count of digits.
        if (decimals > 0 && Math.Abs(rounded) >= Math.Pow(10, digits - decimals))
            decimals--;
        var text = value.ToString("F" + decimals.ToString(Inv), Inv);
        return text.StartsWith('-') && text.Trim('-', '0', '.').Length == 0 ? text[1..] : text;
    }

    /// <summary>
    /// A recorded fact (a string such as "0.6092", "a=2.807,b=8.889" or "rbf") as a report shows it: every decimal
    /// number in it with more than three significant digits is cut to three; a setting written with fewer ("0.001"),
    /// integers, version numbers ("4.6.0") and words stay as recorded.
    /// </summary>
    internal static string Fact(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return DecimalInText().Replace(value, m =>
        {
            var text = m.Value;
            var point = text.IndexOf('.', StringComparison.Ordinal);
            var digits = text.TrimStart('-').Replace(".", "", StringComparison.Ordinal).TrimStart('0').Length;
            var integerDigits = text[..point].TrimStart('-').TrimStart('0').Length;
            return digits > Math.Max(Digits, integerDigits) ? Sig(double.Parse(text, NumberStyles.Float, Inv)) : text;
        });
    }

    [GeneratedRegex(@"(?<![\w.])-?\d+\.\d+(?![\w.])")]
    private static partial Regex DecimalInText();

    /// <summary>A p-value to three significant digits, or "&lt; 0.001" below <see cref="PFloor"/> (plain text, not HTML).</summary>
    internal static string P(double p) =>
        double.IsNaN(p) ? NotAvailable : p < PFloor ? "< " + PFloor.ToString("0.###", Inv) : Sig(p);

    /// <summary>A signed difference, "+0.0123" or "−0.0123", with a true minus sign.</summary>
    internal static string Signed(double value) =>
        double.IsNaN(value) ? NotAvailable : value == 0 ? "0" : (value > 0 ? "+" : "−") + Sig(Math.Abs(value));

    /// <summary>A share as a percentage to three significant digits ("95.3%", "4.17%", "100%").</summary>
    internal static string Percent(double share) =>
        double.IsNaN(share) ? NotAvailable : Sig(share * 100) + "%";

    /// <summary>A duration: "12.3 ms", "4.56 s" below a minute, then whole minutes and seconds, or hours and minutes.</summary>
    internal static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
            return NotAvailable;
        if (t == TimeSpan.Zero)
            return "0 s";
        if (t.TotalSeconds < 1)
            return Sig(t.TotalMilliseconds) + " ms";
        if (t.TotalSeconds < 59.95)
            return Sig(t.TotalSeconds) + " s";
        var whole = TimeSpan.FromSeconds(Math.Round(t.TotalSeconds));
        if (whole.TotalHours < 1)
            return string.Create(Inv, $"{(int)whole.TotalMinutes} min {whole.Seconds:00} s");
        return string.Create(Inv, $"{(int)whole.TotalHours} h {whole.Minutes:00} min");
    }
}
