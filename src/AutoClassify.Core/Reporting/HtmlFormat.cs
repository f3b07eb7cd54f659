using System.Globalization;
using System.Net;
using AutoClassify.Evaluation;

namespace AutoClassify.Reporting;

/// <summary>Escaping and culture-independent number formatting for the HTML report.</summary>
internal static class HtmlFormat
{
    internal static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Shown where a value is undefined (NaN), e.g. the SD of a single fold.</summary>
    internal const string NotAvailable = "n/a";

    /// <summary>HTML-escapes text for element content and quoted attribute values.</summary>
    internal static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    internal static string Num(double value, int decimals = 3) =>
        double.IsNaN(value) ? NotAvailable
        : double.IsPositiveInfinity(value) ? "∞"
        : double.IsNegativeInfinity(value) ? "−∞"
        : value.ToString("F" + decimals.ToString(Inv), Inv);

    internal static string Int(long value) => value.ToString(Inv);

    internal static string Percent(double share, int decimals = 1) =>
        double.IsNaN(share) ? NotAvailable : (share * 100).ToString("F" + decimals.ToString(Inv), Inv) + "%";

    /// <summary>"mean ± SD" as HTML, SD de-emphasised.</summary>
    internal static string MeanSdHtml(MeanSd value, int decimals = 3) =>
        $"{Num(value.Mean, decimals)}<span class=\"sd\"> ± {Num(value.Sd, decimals)}</span>";

    /// <summary>An SVG coordinate: at most two decimals, invariant.</summary>
    internal static string Coord(double value) => value.ToString("0.##", Inv);

    internal static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
            return NotAvailable;
        if (t.TotalSeconds < 60)
            return t.TotalSeconds.ToString("F1", Inv) + " s";
        if (t.TotalHours < 1)
            return string.Create(Inv, $"{(int)t.TotalMinutes} min {t.Seconds:00} s");
        return string.Create(Inv, $"{(int)t.TotalHours} h {t.Minutes:00} min");
    }

    internal static string Timestamp(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", Inv) + " UTC";

    /// <summary>Background for a value in [0, 1] on a white-to-navy sequential scale, and a readable text colour.</summary>
    internal static (string Background, string Foreground) Heat(double value)
    {
        if (double.IsNaN(value))
            return ("#ffffff", "#1a1a1a");
        var v = Math.Clamp(value, 0, 1);
        var position = v * (HeatStops.Length - 1);
        var i = Math.Min((int)position, HeatStops.Length - 2);
        var f = position - i;
        var (r0, g0, b0) = HeatStops[i];
        var (r1, g1, b1) = HeatStops[i + 1];
        var background = string.Create(Inv, $"#{Lerp(r0, r1, f):x2}{Lerp(g0, g1, f):x2}{Lerp(b0, b1, f):x2}");
        return (background, v > 0.5 ? "#ffffff" : "#1a1a1a");
    }

    // The ColorBrewer "Blues" sequence: perceptually ordered and readable in greyscale print.
    static readonly (int R, int G, int B)[] HeatStops =
    [
        (0xf7, 0xfb, 0xff), (0xde, 0xeb, 0xf7), (0xc6, 0xdb, 0xef), (0x9e, 0xca, 0xe1), (0x6b, 0xae, 0xd6),
        (0x42, 0x92, 0xc6), (0x21, 0x71, 0xb5), (0x08, 0x51, 0x9c), (0x08, 0x30, 0x6b),
    ];

    static int Lerp(int a, int b, double f) => (int)Math.Round(a + (b - a) * f);
}
