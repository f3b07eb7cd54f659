using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using AutoClassify.Imaging;
using AutoClassify.Native;

namespace AutoClassify.Preprocessing;

/// <summary>A scale-bar label read from a data banner: its text, the length it names, and the bar it labels.</summary>
/// <param name="Text">The label as read, e.g. "50 µm".</param>
/// <param name="Nanometres">The length the label names, in nm.</param>
/// <param name="BarPixels">The bar's length in image pixels, as the banner detector measured it.</param>
/// <param name="Confidence">Tesseract's confidence in the label's words, 0..100 (the lowest of them).</param>
public sealed record ScaleBarLabel(string Text, double Nanometres, int BarPixels, double Confidence)
{
    /// <summary>Nanometres per image pixel: the label's length over the bar's.</summary>
    public double NmPerPixel => Nanometres / BarPixels;

    /// <summary>True when a second read at another enlargement found the same length.</summary>
    public bool Confirmed { get; init; }

    /// <summary>
    /// True when Tesseract's confidence is below <see cref="ScaleBarOcr.MinConfidence"/> and a second read did not confirm
    /// the length: the scale is used, with a warning.
    /// </summary>
    public bool Unsure => Confidence < ScaleBarOcr.MinConfidence && !Confirmed;
}

/// <summary>
/// Reads the label of the scale bar that <see cref="BannerDetector"/> measured (e.g. "100 µm" over 189 px) with
/// Tesseract (Debian's libtesseract5 and its English data) and derives nm per pixel. The banner strip beside the
/// bar (1.5 bar lengths either side) is cut out, the bar itself painted over, enlarged to a text height Tesseract
/// reads well, binarised (Otsu) as dark text on white, and read as sparse words restricted to digits, the decimal
/// point and the letters of nm, µm/um and mm. Of the lengths found within one bar length of the bar's centre, the
/// nearest is its label; a second read at 1.5 times the enlargement confirms it (Tesseract's word confidence is
/// often 0 under a whitelist, so agreement is the better test).
/// </summary>
public static partial class ScaleBarOcr
{
    /// <summary>Word confidence (0..100) below which a label is reported as unsure.</summary>
    public const double MinConfidence = 70;

    const string Whitelist = "0123456789.,nmuµM";
    const int TargetTextHeight = 40;
    static readonly ConcurrentBag<TesseractHandle> Engines = [];
    static volatile string? unavailable;

    /// <summary>Why OCR cannot run on this machine (the library or its English data is missing), or null when it can.</summary>
    public static string? Unavailable
    {
        get
        {
            if (unavailable is null && Engines.IsEmpty)
            {
                try
                {
                    Engines.Add(CreateEngine());
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
                {
                    unavailable = e.Message;
                }
            }
            return unavailable;
        }
    }

    /// <summary>
    /// Reads the label of the scale bar in <paramref name="banner"/> (found in <paramref name="image"/>); null when the
    /// banner has no bar, no length is read next to it, or OCR is <see cref="Unavailable"/>.
    /// </summary>
    public static ScaleBarLabel? Read(GrayImage image, BannerDetection banner)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(banner);
        if (banner.ScaleBar is not { } bar || bar.Width < 4 || Unavailable is not null)
            return null;
        // Two reads at different enlargements: Tesseract's own word confidence is often 0 under a whitelist, so a
        // label is sure when its confidence is high or when both reads agree on the length.
        var first = Nearest(image, banner, bar, 1.0);
        if (first is null)
            return null;
        var second = Nearest(image, banner, bar, 1.5);
        return first with { Confirmed = second is not null && Math.Abs(second.Nanometres - first.Nanometres) <= 1e-9 * first.Nanometres };
    }

    // The length read nearest the bar's centre, within one bar length of it (farther text is other banner fields).
    static ScaleBarLabel? Nearest(GrayImage image, BannerDetection banner, HorizontalLine bar, double enlarge)
    {
        var (words, left, top, scale) = Words(image, banner, bar, enlarge);
        var barCentre = ((bar.Left + (bar.Width / 2.0) - left) * scale, (bar.Top + (bar.Height / 2.0) - top) * scale);
        ScaleBarLabel? best = null;
        var bestDistance = bar.Width * scale;
        foreach (var (text, confidence, box) in Lengths(words))
        {
            if (!TryParse(text, out var nm))
                continue;
            var dx = Math.Max(0, Math.Max(box.Left - barCentre.Item1, barCentre.Item1 - box.Right));
            var dy = Math.Max(0, Math.Max(box.Top - barCentre.Item2, barCentre.Item2 - box.Bottom));
            var distance = Math.Sqrt((dx * dx) + (dy * dy));
            if (distance <= bestDistance)
                (best, bestDistance) = (new ScaleBarLabel(text, nm, bar.Width, confidence), distance);
        }
        return best;
    }

    /// <summary>The words Tesseract reads beside the bar, with the strip's origin in the image and its enlargement.</summary>
    internal static (List<(string Text, double Confidence, (double Left, double Top, double Right, double Bottom) Box)> Words, int Left, int Top, double Scale)
        Words(GrayImage image, BannerDetection banner, HorizontalLine bar, double enlarge = 1)
    {
        var left = Math.Max(0, bar.Left - (bar.Width * 3 / 2));
        var right = Math.Min(image.Width, bar.Left + bar.Width + (bar.Width * 3 / 2));
        var top = banner.FirstRow;
        var strip = image.Crop(top, image.Height - (top + banner.Rows), left, image.Width - right);
        PaintOver(strip, bar, left, top, (float)banner.Background);
        // Banner text is about a third of the banner's height; Tesseract reads best at 30-50 px capitals.
        var scale = Math.Clamp(120.0 / banner.Rows, 2, 6) * enlarge;
        var large = ImageOps.Resize(strip, (int)Math.Round(strip.Width * scale), (int)Math.Round(strip.Height * scale), ResizeInterpolation.Cubic);
        // Tesseract reads dark text on a light ground: ink is whatever is far from the banner's background.
        var ink = ImageOps.ThresholdOtsu(large, invert: banner.Background > 0.5).Mask;
        return (Recognise(ink), left, top, scale);
    }

    /// <summary>Parses a length label: a number (decimal point or comma) and nm, µm (or um), mm, m or Å; the length in nm.</summary>
    public static bool TryParse(string text, out double nanometres)
    {
        nanometres = 0;
        if (string.IsNullOrWhiteSpace(text) || LengthPattern().Match(text.Trim()) is not { Success: true } m)
            return false;
        if (!double.TryParse(m.Groups["value"].Value.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0))
            return false;
        var factor = m.Groups["unit"].Value switch
        {
            "nm" => 1.0,
            "µm" or "μm" or "um" => 1e3,
            "mm" => 1e6,
            "Å" => 0.1,
            _ => double.NaN,
        };
        nanometres = value * factor;
        return double.IsFinite(nanometres);
    }

    [GeneratedRegex(@"^(?<value>\d+(?:[.,]\d+)?)\s*(?<unit>nm|µm|μm|um|mm|Å)$", RegexOptions.CultureInvariant)]
    private static partial Regex LengthPattern();

    // Tesseract splits "50 µm" into two words; a number followed closely on its line by a unit is one length.
    static IEnumerable<(string Text, double Confidence, (double Left, double Top, double Right, double Bottom) Box)> Lengths(
        List<(string Text, double Confidence, (double Left, double Top, double Right, double Bottom) Box)> words)
    {
        for (var i = 0; i < words.Count; i++)
        {
            var (text, confidence, box) = words[i];
            yield return (Normalise(text), confidence, box);
            if (i + 1 < words.Count)
            {
                var (next, nextConfidence, nextBox) = words[i + 1];
                var height = box.Bottom - box.Top;
                if (nextBox.Left >= box.Right && nextBox.Left - box.Right < 2 * height && Math.Abs(nextBox.Top - box.Top) < height)
                {
                    yield return (Normalise(text + " " + next), Math.Min(confidence, nextConfidence),
                        (box.Left, Math.Min(box.Top, nextBox.Top), nextBox.Right, Math.Max(box.Bottom, nextBox.Bottom)));
                }
            }
        }
    }

    // Tesseract's English data has no µ glyph class it trusts; it reads µ as u (whitelisted) and sometimes as capital M.
    static string Normalise(string text) => text.Trim().Replace("uM", "um", StringComparison.Ordinal).Replace("Mm", "mm", StringComparison.Ordinal);

    static void PaintOver(GrayImage strip, HorizontalLine bar, int left, int top, float background)
    {
        // The bar and its end ticks would be read as strokes of the label; a band of 3 bar thicknesses covers them.
        var pad = Math.Max(2, bar.Height);
        for (var y = Math.Max(0, bar.Top - top - pad); y < Math.Min(strip.Height, bar.Top - top + bar.Height + pad); y++)
        {
            for (var x = Math.Max(0, bar.Left - left - 2); x < Math.Min(strip.Width, bar.Left - left + bar.Width + 2); x++)
                strip[x, y] = background;
        }
    }

    static unsafe List<(string Text, double Confidence, (double Left, double Top, double Right, double Bottom) Box)> Recognise(BinaryMask ink)
    {
        // A white margin: Tesseract misreads glyphs that touch the image's edge. Boxes are shifted back below.
        const int margin = 16;
        var width = ink.Width + (2 * margin);
        var height = ink.Height + (2 * margin);
        var pixels = new byte[width * height];
        Array.Fill(pixels, (byte)255);
        for (var y = 0; y < ink.Height; y++)
        {
            for (var x = 0; x < ink.Width; x++)
            {
                if (ink.Data[(y * ink.Width) + x] != 0)
                    pixels[((y + margin) * width) + x + margin] = 0;
            }
        }
        if (!Engines.TryTake(out var engine))
            engine = CreateEngine();
        var words = new List<(string, double, (double, double, double, double))>();
        try
        {
            fixed (byte* data = pixels)
            {
                NativeMethods.TessSetImage(engine, data, width, height, 1, width);
                NativeMethods.TessSetSourceResolution(engine, 300);
                if (NativeMethods.TessRecognize(engine, IntPtr.Zero) != 0)
                    return words;
            }
            var iterator = NativeMethods.TessGetIterator(engine);
            if (iterator == IntPtr.Zero)
                return words;
            try
            {
                do
                {
                    var textPointer = NativeMethods.TessResultIteratorText(iterator, NativeMethods.TessLevelWord);
                    if (textPointer == IntPtr.Zero)
                        continue;
                    var text = Marshal.PtrToStringUTF8(textPointer) ?? "";
                    NativeMethods.TessDeleteText(textPointer);
                    var confidence = NativeMethods.TessResultIteratorConfidence(iterator, NativeMethods.TessLevelWord);
                    if (NativeMethods.TessPageIteratorBoundingBox(NativeMethods.TessResultIteratorPage(iterator), NativeMethods.TessLevelWord,
                            out var l, out var t, out var r, out var b) != 0 && text.Trim().Length > 0)
                        words.Add((text, confidence, (l - margin, t - margin, r - margin, b - margin)));
                }
                while (NativeMethods.TessResultIteratorNext(iterator, NativeMethods.TessLevelWord) != 0);
            }
            finally
            {
                NativeMethods.TessResultIteratorDelete(iterator);
            }
            return words;
        }
        finally
        {
            NativeMethods.TessClear(engine);
            Engines.Add(engine);
        }
    }

    static TesseractHandle CreateEngine()
    {
        var engine = NativeMethods.TessCreate();
        // Tesseract prints its diagnostics to stderr unless told where else; no library text reaches the console.
        NativeMethods.TessSetVariable(engine, "debug_file", "/dev/null");
        if (NativeMethods.TessInit(engine, null, "eng") != 0)
        {
            engine.Dispose();
            throw new InvalidOperationException("Tesseract's English data (eng.traineddata) is missing; install it with: apt-get install tesseract-ocr-eng (or run scripts/install-deps.sh).");
        }
        NativeMethods.TessSetVariable(engine, "tessedit_char_whitelist", Whitelist);
        NativeMethods.TessSetPageSegMode(engine, NativeMethods.TessPageSegSparseText);
        return engine;
    }
}
