using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Native;

namespace AutoClassify.Preprocessing;

/// <summary>The image edge a data banner sits on.</summary>
public enum BannerEdge
{
    Top,
    Bottom,
}

/// <summary>What to do with a detected data banner.</summary>
public enum BannerMode
{
    /// <summary>Cut the banner rows off (the image gets shorter).</summary>
    Crop,

    /// <summary>Replace the banner rows by a mirror image of the rows next to them (the size is kept).</summary>
    Reflect,

    /// <summary>Leave the banner in place; its text (dates, sample names) can leak the labels.</summary>
    Keep,
}

/// <summary>A horizontal line found in a banner, in image pixel coordinates.</summary>
public readonly record struct HorizontalLine(int Left, int Top, int Width, int Height);

/// <summary>
/// A burned-in data banner: <see cref="Rows"/> rows at <see cref="Edge"/>, their background level, the
/// evidence that it holds text, and the scale bar's length in pixels when one was seen.
/// </summary>
public sealed record BannerDetection(BannerEdge Edge, int Rows, double Confidence, string Reason)
{
    /// <summary>Height of the image the banner was found in.</summary>
    public int ImageHeight { get; init; }

    /// <summary>The banner's background level in [0, 1] (near 0 for a black bar, near 1 for a white one).</summary>
    public double Background { get; init; }

    /// <summary>Marks (text strokes, symbols, lines) that contrast with the background.</summary>
    public int MarkCount { get; init; }

    /// <summary>
    /// The longest horizontal line shorter than the banner's width, taken as the scale bar; null when none.
    /// Its label (e.g. "100 µm") would need OCR, so only its length in pixels is known.
    /// </summary>
    public HorizontalLine? ScaleBar { get; init; }

    /// <summary>The scale bar's length in pixels, or null.</summary>
    public int? ScaleBarPixels => ScaleBar?.Width;

    /// <summary>First image row of the banner.</summary>
    public int FirstRow => Edge == BannerEdge.Top ? 0 : ImageHeight - Rows;
}

/// <summary>Thresholds of <see cref="BannerDetector"/>; the defaults suit SEM/TEM info bars.</summary>
public sealed class BannerDetectorOptions
{
    /// <summary>Largest banner, as a share of the image height.</summary>
    public double MaxHeightFraction { get; init; } = 0.25;

    /// <summary>Smallest banner in rows.</summary>
    public int MinRows { get; init; } = 4;

    /// <summary>A pixel within this distance of the background level is background.</summary>
    public double BackgroundTolerance { get; init; } = 0.08;

    /// <summary>A pixel further than this from the background level is a mark (text, line).</summary>
    public double MarkContrast { get; init; } = 0.3;

    /// <summary>A banner row holds at least this share of background pixels.</summary>
    public double MinRowBackground { get; init; } = 0.35;

    /// <summary>The rows just beyond the banner hold at most this share of background-level pixels.</summary>
    public double MaxOutsideBackground { get; init; } = 0.6;

    /// <summary>A banner holds at least this many marks.</summary>
    public int MinMarks { get; init; } = 3;

    /// <summary>Detections below this confidence are dropped.</summary>
    public double MinConfidence { get; init; } = 0.5;

    /// <summary>Throws naming the first bad parameter.</summary>
    public void Validate()
    {
        Fraction(MaxHeightFraction, nameof(MaxHeightFraction), open: true);
        Fraction(BackgroundTolerance, nameof(BackgroundTolerance), open: true);
        Fraction(MarkContrast, nameof(MarkContrast), open: true);
        Fraction(MinRowBackground, nameof(MinRowBackground), open: false);
        Fraction(MaxOutsideBackground, nameof(MaxOutsideBackground), open: false);
        Fraction(MinConfidence, nameof(MinConfidence), open: false);
        if (MinRows < 1)
            throw new ArgumentOutOfRangeException(nameof(MinRows), MinRows, "MinRows must be at least 1.");
        if (MinMarks < 0)
            throw new ArgumentOutOfRangeException(nameof(MinMarks), MinMarks, "MinMarks must be zero or more.");
        if (MarkContrast <= BackgroundTolerance)
            throw new ArgumentException($"MarkContrast ({MarkContrast}) must exceed BackgroundTolerance ({BackgroundTolerance}).", nameof(MarkContrast));

        static void Fraction(double value, string name, bool open)
        {
            // The negated comparison also rejects NaN.
            if (!(value >= 0 && value <= 1) || (open && (value == 0 || value == 1)))
                throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in {(open ? "(0, 1)" : "[0, 1]")}.");
        }
    }
}

/// <summary>
/// Finds burned-in data banners (instrument, magnification, scale bar, date) at the top or bottom of a
/// micrograph and removes them. A banner is a band at an edge whose rows are mostly one background level,
/// which holds contrasting marks (text, scale bar), and which ends sharply where the micrograph's texture begins.
/// </summary>
public static class BannerDetector
{
    const int SeedRows = 3;
    const int OutsideRows = 8;
    const int LineCapacity = 16;
    const double LineRowMarks = 0.85;
    const double CleanRowBackground = 0.9;
    const double LineRowMaxSd = 0.04;

    static readonly BannerDetectorOptions DefaultOptions = new();

    /// <summary>The banner at the top or bottom edge (the more confident one), or null when there is none.</summary>
    public static BannerDetection? Detect(GrayImage image, BannerDetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= DefaultOptions;
        options.Validate();
        return DetectIn(image, image.Height, options);
    }

    /// <summary>The rows at each edge that <see cref="Detect"/> reads in an image <paramref name="height"/> rows tall (the tallest banner and the rows beyond it).</summary>
    public static int EdgeRows(int height, BannerDetectorOptions? options = null) => (int)(height * (options ?? DefaultOptions).MaxHeightFraction) + OutsideRows;

    /// <summary>
    /// As <see cref="Detect"/> for an image <paramref name="fullHeight"/> rows tall of which only the edges are at hand:
    /// <paramref name="edges"/> holds its first and its last <see cref="EdgeRows"/> rows, stacked. The detection (its rows,
    /// scale bar, <see cref="BannerDetection.FirstRow"/>) is that of <paramref name="edges"/>, and equals the whole image's.
    /// </summary>
    public static BannerDetection? DetectInEdges(GrayImage edges, int fullHeight, BannerDetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(edges);
        options ??= DefaultOptions;
        options.Validate();
        if (edges.Height != 2 * EdgeRows(fullHeight, options))
            throw new ArgumentException($"Edges of an image {fullHeight} rows tall are {2 * EdgeRows(fullHeight, options)} rows, not {edges.Height}.", nameof(edges));
        return DetectIn(edges, fullHeight, options);
    }

    static BannerDetection? DetectIn(GrayImage image, int fullHeight, BannerDetectorOptions options)
    {
        var bottom = DetectAt(image, BannerEdge.Bottom, options, fullHeight);
        var top = DetectAt(image, BannerEdge.Top, options, fullHeight);
        if (bottom is null || top is null)
            return bottom ?? top;
        return top.Confidence > bottom.Confidence ? top : bottom;
    }

    /// <summary>Applies <paramref name="mode"/> to the image; returns the input itself for <see cref="BannerMode.Keep"/>.</summary>
    public static GrayImage Remove(GrayImage image, BannerDetection banner, BannerMode mode)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckFits(image.Height, banner);
        return mode switch
        {
            BannerMode.Keep => image,
            BannerMode.Crop => banner.Edge == BannerEdge.Top ? image.Crop(banner.Rows, 0, 0, 0) : image.Crop(0, banner.Rows, 0, 0),
            BannerMode.Reflect => new GrayImage(image.Width, image.Height, ReflectRows(image.Pixels, image.Width, image.Height, banner)),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown banner mode."),
        };
    }

    /// <summary>Applies <paramref name="mode"/> to a mask so it stays aligned with the image.</summary>
    public static BinaryMask Remove(BinaryMask mask, BannerDetection banner, BannerMode mode)
    {
        ArgumentNullException.ThrowIfNull(mask);
        CheckFits(mask.Height, banner);
        return mode switch
        {
            BannerMode.Keep => mask,
            BannerMode.Crop => banner.Edge == BannerEdge.Top ? mask.Crop(banner.Rows, 0, 0, 0) : mask.Crop(0, banner.Rows, 0, 0),
            BannerMode.Reflect => new BinaryMask(mask.Width, mask.Height, ReflectRows(mask.Data, mask.Width, mask.Height, banner)),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown banner mode."),
        };
    }

    /// <summary>Applies <paramref name="mode"/> to a label map (row-major, <paramref name="width"/> wide) so it stays aligned with the image.</summary>
    public static int[] Remove(int[] labels, int width, BannerDetection banner, BannerMode mode)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (labels.Length % width != 0)
            throw new ArgumentException($"{labels.Length} labels do not fill rows of {width}.", nameof(labels));
        var height = labels.Length / width;
        CheckFits(height, banner);
        return mode switch
        {
            BannerMode.Keep => labels,
            BannerMode.Crop => banner.Edge == BannerEdge.Top ? labels[(banner.Rows * width)..] : labels[..((height - banner.Rows) * width)],
            BannerMode.Reflect => ReflectRows(labels, width, height, banner),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown banner mode."),
        };
    }

    /// <summary>Parses <c>crop</c>, <c>reflect</c> or <c>keep</c> (any case).</summary>
    public static BannerMode ParseMode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToUpperInvariant() switch
        {
            "CROP" => BannerMode.Crop,
            "REFLECT" => BannerMode.Reflect,
            "KEEP" => BannerMode.Keep,
            _ => throw new FormatException($"--banner expects crop, reflect or keep, got '{text}'."),
        };
    }

    /// <summary>The lowercase name used on the command line and in reports.</summary>
    public static string ModeName(BannerMode mode) => mode switch
    {
        BannerMode.Crop => "crop",
        BannerMode.Reflect => "reflect",
        BannerMode.Keep => "keep",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown banner mode."),
    };

    // fullHeight sizes the search; the rows read lie within EdgeRows of each edge of image, which may hold only those.
    static BannerDetection? DetectAt(GrayImage image, BannerEdge edge, BannerDetectorOptions o, int fullHeight)
    {
        int width = image.Width, height = image.Height;
        var maxRows = (int)(fullHeight * o.MaxHeightFraction);
        if (maxRows < o.MinRows || fullHeight < maxRows + OutsideRows)
            return null;
        var pixels = image.Pixels;
        int RowStart(int i) => (edge == BannerEdge.Bottom ? height - 1 - i : i) * width;

        if (FindBackground(pixels, width, SeedRows, RowStart, o.BackgroundTolerance) is not { } background)
            return null;

        // Walk inward while rows are mostly background (text rows included) or a solid contrasting line. The
        // banner ends after the last clean row (its margin or border line): a dark specimen can pass as
        // text rows, but never as a clean row.
        var rows = 0;
        var walked = 0;
        while (walked < maxRows)
        {
            var (share, marks) = RowShares(pixels.AsSpan(RowStart(walked), width), background, o);
            if (share < o.MinRowBackground && marks < LineRowMarks)
                break;
            walked++;
            if (share >= CleanRowBackground || marks >= LineRowMarks)
                rows = walked;
        }
        // A clean band reaching the search limit is a uniform region of the specimen (or an empty image), not a bar.
        if (rows < o.MinRows || rows >= maxRows)
            return null;
        double backgroundSum = 0;
        for (var i = 0; i < rows; i++)
            backgroundSum += RowShares(pixels.AsSpan(RowStart(i), width), background, o).Background;

        double outside = 0;
        for (var i = rows; i < rows + OutsideRows; i++)
            outside += RowShares(pixels.AsSpan(RowStart(i), width), background, o).Background;
        outside /= OutsideRows;
        if (outside > o.MaxOutsideBackground)
            return null;

        var firstRow = edge == BannerEdge.Bottom ? height - rows : 0;
        var (markCount, lines) = AnalyseBand(pixels.AsSpan(firstRow * width, rows * width), width, rows, background, o);
        if (markCount < o.MinMarks)
            return null;

        var purity = backgroundSum / rows;
        var drop = Math.Clamp((purity - outside) / 0.5, 0, 1);
        var text = Math.Min(1.0, markCount / 10.0);
        var saturation = Math.Clamp((Math.Abs(background - 0.5) - 0.1) / 0.3, 0, 1);
        var confidence = (purity + drop + text + saturation) / 4;
        if (confidence < o.MinConfidence)
            return null;

        HorizontalLine? scaleBar = null;
        foreach (var line in lines)
        {
            if (line.Width < width * 0.9)
            {
                scaleBar = line with { Top = line.Top + firstRow };
                break;
            }
        }
        var bar = scaleBar is { } found ? string.Create(CultureInfo.InvariantCulture, $", scale bar {found.Width} px") : "";
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"{(edge == BannerEdge.Top ? "top" : "bottom")} {rows} rows on a {(background < 0.5 ? "dark" : "bright")} background ({background:F2}; {purity * 100:F0}% of its pixels at that level, {outside * 100:F0}% in the {OutsideRows} rows beyond), {markCount} marks, {lines.Count} horizontal line(s){bar}");
        return new BannerDetection(edge, rows, confidence, reason)
        {
            ImageHeight = height,
            Background = background,
            MarkCount = markCount,
            ScaleBar = scaleBar,
        };
    }

    // The densest window of +-tolerance in the outermost rows' histogram, if it holds most of their pixels.
    static double? FindBackground(float[] pixels, int width, int seedRows, Func<int, int> rowStart, double tolerance)
    {
        Span<int> histogram = stackalloc int[256];
        for (var i = 0; i < seedRows; i++)
        {
            foreach (var v in pixels.AsSpan(rowStart(i), width))
                histogram[Math.Clamp((int)MathF.Round(v * 255f), 0, 255)]++;
        }
        var radius = (int)(tolerance * 255);
        int bestCount = -1, bestCenter = 0;
        for (var c = 0; c < 256; c++)
        {
            var count = 0;
            for (var k = Math.Max(0, c - radius); k <= Math.Min(255, c + radius); k++)
                count += histogram[k];
            if (count > bestCount)
                (bestCount, bestCenter) = (count, c);
        }
        if (bestCount < 0.6 * seedRows * width)
            return null;
        // The median level inside the window is steadier than its centre.
        var half = bestCount / 2;
        for (int k = Math.Max(0, bestCenter - radius), seen = 0; k <= Math.Min(255, bestCenter + radius); k++)
        {
            seen += histogram[k];
            if (seen > half)
                return k / 255.0;
        }
        return bestCenter / 255.0;
    }

    // Shares of background-level pixels and of marks in a row; Marks counts only in a near-uniform row, so a
    // row of specimen far from the background level is not mistaken for a solid border line.
    static (double Background, double Marks) RowShares(ReadOnlySpan<float> row, double background, BannerDetectorOptions o)
    {
        int near = 0, far = 0;
        double sum = 0, squares = 0;
        foreach (var v in row)
        {
            var d = Math.Abs(v - background);
            if (d <= o.BackgroundTolerance)
                near++;
            else if (d > o.MarkContrast)
                far++;
            sum += v;
            squares += (double)v * v;
        }
        var mean = sum / row.Length;
        var uniform = squares / row.Length - mean * mean <= LineRowMaxSd * LineRowMaxSd;
        return ((double)near / row.Length, uniform ? (double)far / row.Length : 0);
    }

    static unsafe (int Marks, List<HorizontalLine> Lines) AnalyseBand(ReadOnlySpan<float> band, int width, int rows, double background, BannerDetectorOptions o)
    {
        var minLength = Math.Max(10, width / 16);
        var maxThickness = Math.Max(3, rows / 4);
        Span<int> boxes = stackalloc int[LineCapacity * NativeMethods.LineBoxValueCount];
        int count, marks;
        fixed (float* source = band)
        fixed (int* output = boxes)
            count = NativeMethods.BannerAnalyseBand(source, width, rows, background, o.MarkContrast, minLength, maxThickness, output, LineCapacity, out marks);
        NativeShim.CheckForErrors();
        var lines = new List<HorizontalLine>();
        for (var i = 0; i < Math.Min(count, LineCapacity); i++)
        {
            var b = boxes.Slice(i * NativeMethods.LineBoxValueCount, NativeMethods.LineBoxValueCount);
            lines.Add(new HorizontalLine(b[0], b[1], b[2], b[3]));
        }
        return (marks, lines);
    }

    static T[] ReflectRows<T>(T[] source, int width, int height, BannerDetection banner)
    {
        var result = (T[])source.Clone();
        var kept = height - banner.Rows;
        for (var i = 0; i < banner.Rows; i++)
        {
            // Mirror about the banner's boundary, folding again if the banner is taller than what remains.
            var k = i % (2 * kept);
            var offset = k < kept ? k : 2 * kept - 1 - k;
            int from, to;
            if (banner.Edge == BannerEdge.Bottom)
                (from, to) = (kept - 1 - offset, kept + i);
            else
                (from, to) = (banner.Rows + offset, banner.Rows - 1 - i);
            Array.Copy(result, from * width, result, to * width, width);
        }
        return result;
    }

    static void CheckFits(int height, BannerDetection banner)
    {
        ArgumentNullException.ThrowIfNull(banner);
        if (banner.Rows <= 0 || banner.Rows >= height)
            throw new ArgumentException($"A banner of {banner.Rows} rows does not fit an image {height} rows tall.", nameof(banner));
    }
}
