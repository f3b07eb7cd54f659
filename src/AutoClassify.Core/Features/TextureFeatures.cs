using System.Globalization;
using AutoClassify.Imaging;

namespace AutoClassify.Features;

/// <summary>
/// Whole-image texture descriptors in plain C#:
/// <list type="bullet">
/// <item><c>glcm_{contrast,homogeneity,energy,correlation}_d{1,2,4}</c>: grey-level co-occurrence statistics of the
/// image quantised to <see cref="GlcmLevels"/> levels, symmetric and normalised, averaged over the 0°, 45°, 90° and
/// 135° offsets at each distance. Energy is √(Σp²) (1 for a constant image); correlation is 1 when the levels do
/// not vary.</item>
/// <item><c>lbp_00..lbp_09</c>: histogram (sums to 1) of rotation-invariant uniform local binary patterns over the
/// 8 neighbours of the 3×3 square: bin k (0..8) counts uniform patterns with k neighbours at or above the centre,
/// bin 9 the non-uniform ones. Edge pixels are skipped.</item>
/// </list>
/// </summary>
public static class TextureFeatures
{
    public const int GlcmLevels = 32;
    public const int LbpBins = 10;

    static readonly int[] Distances = [1, 2, 4];
    static readonly string[] GlcmStatistics = ["contrast", "homogeneity", "energy", "correlation"];
    static readonly byte[] UniformBin = BuildUniformBins();

    /// <summary>Feature names, in the order of every vector; stable across versions.</summary>
    public static IReadOnlyList<string> Names { get; } = BuildNames();

    static string[] BuildNames()
    {
        var names = new List<string>();
        foreach (var d in Distances)
            names.AddRange(GlcmStatistics.Select(s => string.Create(CultureInfo.InvariantCulture, $"glcm_{s}_d{d}")));
        for (var i = 0; i < LbpBins; i++)
            names.Add(string.Create(CultureInfo.InvariantCulture, $"lbp_{i:D2}"));
        return [.. names];
    }

    /// <summary>The texture vector of one image (<see cref="Names"/> order).</summary>
    public static double[] Extract(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var features = new double[Names.Count];
        ExtractInto(image, features);
        return features;
    }

    internal static void ExtractInto(GrayImage image, Span<double> features)
    {
        var levels = Quantise(image);
        var counts = new long[GlcmLevels * GlcmLevels];
        for (var k = 0; k < Distances.Length; k++)
        {
            var sums = features.Slice(k * GlcmStatistics.Length, GlcmStatistics.Length);
            sums.Clear();
            var d = Distances[k];
            foreach (var (dx, dy) in new[] { (d, 0), (d, -d), (0, d), (-d, -d) })
            {
                Cooccurrence(levels, image.Width, image.Height, dx, dy, counts);
                var (contrast, homogeneity, energy, correlation) = Glcm(counts);
                sums[0] += contrast / 4;
                sums[1] += homogeneity / 4;
                sums[2] += energy / 4;
                sums[3] += correlation / 4;
            }
        }
        Lbp(image, features[(Distances.Length * GlcmStatistics.Length)..]);
    }

    /// <summary>
    /// GLCM statistics of one offset (<paramref name="dx"/>, <paramref name="dy"/>) over <see cref="GlcmLevels"/> levels:
    /// contrast, homogeneity, energy (√ASM) and correlation.
    /// </summary>
    public static (double Contrast, double Homogeneity, double Energy, double Correlation) Glcm(GrayImage image, int dx, int dy)
    {
        ArgumentNullException.ThrowIfNull(image);
        var counts = new long[GlcmLevels * GlcmLevels];
        Cooccurrence(Quantise(image), image.Width, image.Height, dx, dy, counts);
        return Glcm(counts);
    }

    /// <summary>The uniform LBP histogram (<see cref="LbpBins"/> bins summing to 1; all zero when the image is under 3x3).</summary>
    public static double[] LbpHistogram(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var histogram = new double[LbpBins];
        Lbp(image, histogram);
        return histogram;
    }

    static byte[] Quantise(GrayImage image)
    {
        var levels = new byte[image.Pixels.Length];
        for (var i = 0; i < levels.Length; i++)
        {
            var v = image.Pixels[i];
            levels[i] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp((int)(v * GlcmLevels), 0, GlcmLevels - 1);
        }
        return levels;
    }

    static void Cooccurrence(byte[] levels, int width, int height, int dx, int dy, long[] counts)
    {
        Array.Clear(counts);
        int x0 = Math.Max(0, -dx), x1 = Math.Min(width, width - dx), y0 = Math.Max(0, -dy), y1 = Math.Min(height, height - dy);
        for (var y = y0; y < y1; y++)
        {
            var row = y * width;
            var other = ((y + dy) * width) + dx;
            for (var x = x0; x < x1; x++)
                counts[(levels[row + x] * GlcmLevels) + levels[other + x]]++;
        }
    }

    static (double Contrast, double Homogeneity, double Energy, double Correlation) Glcm(long[] counts)
    {
        const int n = GlcmLevels;
        // Symmetric: each pair counts in both directions.
        double total = 0;
        foreach (var c in counts)
            total += 2 * c;
        if (total == 0)
            return (0, 1, 1, 1);
        double mean = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                mean += i * (counts[(i * n) + j] + counts[(j * n) + i]) / total;
        }
        double contrast = 0, homogeneity = 0, asm = 0, variance = 0, covariance = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var p = (counts[(i * n) + j] + counts[(j * n) + i]) / total;
                if (p == 0)
                    continue;
                var diff = i - j;
                contrast += p * diff * diff;
                homogeneity += p / (1 + (diff * diff));
                asm += p * p;
                variance += p * (i - mean) * (i - mean);
                covariance += p * (i - mean) * (j - mean);
            }
        }
        var correlation = variance > 1e-12 ? covariance / variance : 1;
        return (contrast, homogeneity, Math.Sqrt(asm), correlation);
    }

    static void Lbp(GrayImage image, Span<double> histogram)
    {
        histogram.Clear();
        int width = image.Width, height = image.Height;
        if (width < 3 || height < 3)
            return;
        Span<long> counts = stackalloc long[LbpBins];
        var p = image.Pixels;
        for (var y = 1; y < height - 1; y++)
        {
            int up = (y - 1) * width, row = y * width, down = (y + 1) * width;
            for (var x = 1; x < width - 1; x++)
            {
                var c = p[row + x];
                var code = (p[up + x - 1] >= c ? 1 : 0)
                    | (p[up + x] >= c ? 2 : 0)
                    | (p[up + x + 1] >= c ? 4 : 0)
                    | (p[row + x + 1] >= c ? 8 : 0)
                    | (p[down + x + 1] >= c ? 16 : 0)
                    | (p[down + x] >= c ? 32 : 0)
                    | (p[down + x - 1] >= c ? 64 : 0)
                    | (p[row + x - 1] >= c ? 128 : 0);
                counts[UniformBin[code]]++;
            }
        }
        double total = (long)(width - 2) * (height - 2);
        for (var i = 0; i < LbpBins; i++)
            histogram[i] = counts[i] / total;
    }

    static byte[] BuildUniformBins()
    {
        var bins = new byte[256];
        for (var code = 0; code < 256; code++)
        {
            var rotated = ((code >> 1) | (code << 7)) & 0xFF;
            var transitions = System.Numerics.BitOperations.PopCount((uint)(code ^ rotated));
            bins[code] = transitions <= 2 ? (byte)System.Numerics.BitOperations.PopCount((uint)code) : (byte)(LbpBins - 1);
        }
        return bins;
    }
}
