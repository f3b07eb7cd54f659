using System.Globalization;
using System.Net;
using AutoClassify.Evaluation;
using AutoClassify.Tiling;

namespace AutoClassify.Reporting;

/// <summary>Escaping and culture-independent number formatting for the HTML report.</summary>
internal static class HtmlFormat
{
    internal static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Shown where a value is undefined (NaN), e.g. the SD of a single fold.</summary>
    internal const string NotAvailable = ReportNumber.NotAvailable;

    /// <summary>HTML-escapes text for element content and quoted attribute values.</summary>
    internal static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A measured number to three significant digits (see <see cref="ReportNumber.Sig"/>).</summary>
    internal static string Num(double value) => ReportNumber.Sig(value);

    /// <summary>A number with a fixed count of decimals, for axis ticks and cells that must line up (not for measurements).</summary>
    internal static string Num(double value, int decimals) =>
        double.IsNaN(value) ? NotAvailable
        : double.IsPositiveInfinity(value) ? "∞"
        : double.IsNegativeInfinity(value) ? "−∞"
        : value.ToString("F" + decimals.ToString(Inv), Inv);

    internal static string Int(long value) => value.ToString(Inv);

    /// <summary>A share as a percentage to three significant digits.</summary>
    internal static string Percent(double share) => ReportNumber.Percent(share);

    internal static string Percent(double share, int decimals) =>
        double.IsNaN(share) ? NotAvailable : (share * 100).ToString("F" + decimals.ToString(Inv), Inv) + "%";

    /// <summary>"mean ± SD" as HTML, SD de-emphasised.</summary>
    internal static string MeanSdHtml(MeanSd value) =>
        $"{Num(value.Mean)}<span class=\"sd\"> ± {Num(value.Sd)}</span>";

    /// <summary>"mean ± SD" with fixed decimals (for averaged counts).</summary>
    internal static string MeanSdHtml(MeanSd value, int decimals) =>
        $"{Num(value.Mean, decimals)}<span class=\"sd\"> ± {Num(value.Sd, decimals)}</span>";

    /// <summary>An SVG coordinate: at most two decimals, invariant.</summary>
    internal static string Coord(double value) => value.ToString("0.##", Inv);

    /// <summary>A duration to three significant digits below a minute (see <see cref="ReportNumber.Duration"/>).</summary>
    internal static string Duration(TimeSpan t) => ReportNumber.Duration(t);

    internal static string Timestamp(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", Inv) + " UTC";

    /// <summary>Background for a value in [0, 1] on the shared heat scale (<see cref="MapColours.Heat"/>), and a readable text colour.</summary>
    internal static (string Background, string Foreground) Heat(double value)
    {
        if (double.IsNaN(value))
            return ("#ffffff", "#1a1a1a");
        var (r, g, b) = MapColours.Heat(value);
        return (string.Create(Inv, $"#{r:x2}{g:x2}{b:x2}"), MapColours.HeatIsDark(value) ? "#ffffff" : "#1a1a1a");
    }
}
