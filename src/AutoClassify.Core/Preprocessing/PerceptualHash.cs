using System.Numerics;
using AutoClassify.Imaging;

namespace AutoClassify.Preprocessing;

/// <summary>
/// A 64-bit perceptual hash (pHash) of an image: the image is shrunk to 32 × 32 (area averaging), transformed
/// with a 2-D DCT-II, and each of the 8 × 8 lowest frequencies becomes one bit, set when the coefficient exceeds
/// their median. Re-encoding, mild noise, small brightness changes and resizing move few bits; different
/// images differ in about half of them. Compare two hashes with <see cref="Distance"/>.
/// <para>
/// On small or plain images (a blob on a shaded background) unrelated images can share a hash, so a match is
/// confirmed with the <see cref="Correlation"/> of the standardised 32 × 32 thumbnails (<see cref="Fingerprint"/>):
/// near-identical copies correlate above 0.99, look-alikes that merely share a layout far less.
/// </para>
/// </summary>
public static class PerceptualHash
{
    /// <summary>Side of the shrunken image.</summary>
    public const int Size = 32;

    /// <summary>Side of the block of low frequencies that makes up the hash.</summary>
    public const int LowFrequencies = 8;

    static readonly double[,] Cosines = BuildCosines();

    /// <summary>The hash of <paramref name="image"/> (typically a prepared image, after crop and banner removal).</summary>
    public static ulong Compute(GrayImage image) => Fingerprint(image).Hash;

    /// <summary>The hash of <paramref name="image"/> and its 32 × 32 thumbnail standardised to zero mean and unit SD.</summary>
    public static ImageFingerprint Fingerprint(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var small = image.Width == Size && image.Height == Size ? image : ImageOps.Resize(image, Size, Size);
        var pixels = small.Pixels;
        return new ImageFingerprint(Hash(pixels), Standardise(pixels));
    }

    static ulong Hash(float[] pixels)
    {

        // Separable DCT, restricted to the rows and columns the hash keeps.
        var rows = new double[LowFrequencies, Size];
        for (var u = 0; u < LowFrequencies; u++)
        {
            for (var x = 0; x < Size; x++)
            {
                double sum = 0;
                for (var y = 0; y < Size; y++)
                    sum += Cosines[u, y] * pixels[y * Size + x];
                rows[u, x] = sum;
            }
        }
        var coefficients = new double[LowFrequencies * LowFrequencies];
        for (var u = 0; u < LowFrequencies; u++)
        {
            for (var v = 0; v < LowFrequencies; v++)
            {
                double sum = 0;
                for (var x = 0; x < Size; x++)
                    sum += Cosines[v, x] * rows[u, x];
                coefficients[u * LowFrequencies + v] = sum;
            }
        }

        var sorted = (double[])coefficients.Clone();
        Array.Sort(sorted);
        var median = (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        ulong hash = 0;
        for (var i = 0; i < coefficients.Length; i++)
        {
            if (coefficients[i] > median)
                hash |= 1UL << i;
        }
        return hash;
    }

    /// <summary>Pearson correlation of two standardised thumbnails (−1..1); 1 for the same picture at any brightness and contrast.</summary>
    public static double Correlation(float[] a, float[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length != b.Length || a.Length == 0)
            throw new ArgumentException($"Thumbnails of {a.Length} and {b.Length} pixels cannot be compared.", nameof(b));
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
            sum += (double)a[i] * b[i];
        return sum / a.Length;
    }

    static float[] Standardise(float[] pixels)
    {
        double mean = 0;
        foreach (var p in pixels)
            mean += p;
        mean /= pixels.Length;
        double variance = 0;
        foreach (var p in pixels)
            variance += (p - mean) * (p - mean);
        var sd = Math.Sqrt(variance / pixels.Length);
        var result = new float[pixels.Length];
        // A flat thumbnail has no pattern to compare; all zeros makes it correlate with nothing.
        if (sd < 1e-6)
            return result;
        for (var i = 0; i < pixels.Length; i++)
            result[i] = (float)((pixels[i] - mean) / sd);
        return result;
    }

    /// <summary>Number of differing bits (Hamming distance), 0 to 64.</summary>
    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    /// <summary>The hash as 16 hex digits, for reports.</summary>
    public static string Format(ulong hash) => hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    static double[,] BuildCosines()
    {
        var table = new double[LowFrequencies, Size];
        for (var u = 0; u < LowFrequencies; u++)
        {
            for (var x = 0; x < Size; x++)
                table[u, x] = Math.Cos((2 * x + 1) * u * Math.PI / (2 * Size));
        }
        return table;
    }
}

/// <summary>A <see cref="PerceptualHash"/> and the standardised 32 × 32 thumbnail it was computed from.</summary>
public sealed record ImageFingerprint(ulong Hash, float[] Thumbnail);
