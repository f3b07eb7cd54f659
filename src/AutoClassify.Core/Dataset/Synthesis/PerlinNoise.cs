namespace AutoClassify.Dataset.Synthesis;

/// <summary>
/// Seeded 2-D gradient (Perlin) noise with a fractal sum of octaves. Values of <see cref="Sample"/> lie
/// roughly in [-1, 1]; the same seed always yields the same field.
/// </summary>
public sealed class PerlinNoise
{
    const int Size = 256;
    const int Mask = Size - 1;

    readonly int[] _perm = new int[Size * 2];
    readonly double[] _gradX = new double[Size];
    readonly double[] _gradY = new double[Size];

    /// <summary>Builds the permutation table and unit gradients from <paramref name="seed"/>.</summary>
    public PerlinNoise(int seed)
    {
        var rng = new Random(seed);
        var p = new int[Size];
        for (var i = 0; i < Size; i++)
            p[i] = i;
        for (var i = Size - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        for (var i = 0; i < Size * 2; i++)
            _perm[i] = p[i & Mask];
        for (var i = 0; i < Size; i++)
        {
            var angle = rng.NextDouble() * 2 * Math.PI;
            _gradX[i] = Math.Cos(angle);
            _gradY[i] = Math.Sin(angle);
        }
    }

    /// <summary>Single-octave noise at (<paramref name="x"/>, <paramref name="y"/>); zero on integer lattice points.</summary>
    public double Sample(double x, double y)
    {
        double fx = Math.Floor(x), fy = Math.Floor(y);
        int ix = (int)(long)fx & Mask, iy = (int)(long)fy & Mask;
        double dx = x - fx, dy = y - fy;

        var n00 = Corner(ix, iy, dx, dy);
        var n10 = Corner(ix + 1, iy, dx - 1, dy);
        var n01 = Corner(ix, iy + 1, dx, dy - 1);
        var n11 = Corner(ix + 1, iy + 1, dx - 1, dy - 1);

        double u = Fade(dx), v = Fade(dy);
        var top = n00 + u * (n10 - n00);
        var bottom = n01 + u * (n11 - n01);
        // A 2-D gradient-noise extreme is sqrt(1/2); scale so the range is about [-1, 1].
        return (top + v * (bottom - top)) * Math.Sqrt(2);
    }

    /// <summary>
    /// Fractal sum of <paramref name="octaves"/> octaves, each <paramref name="lacunarity"/> times finer and
    /// <paramref name="gain"/> times weaker, normalised so the result stays roughly in [-1, 1].
    /// </summary>
    public double Fractal(double x, double y, int octaves, double lacunarity = 2.0, double gain = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(octaves);
        double sum = 0, amplitude = 1, norm = 0, frequency = 1;
        for (var o = 0; o < octaves; o++)
        {
            // Offset each octave so lattice zeros of different octaves do not line up.
            sum += amplitude * Sample(x * frequency + o * 17.31, y * frequency - o * 11.17);
            norm += amplitude;
            amplitude *= gain;
            frequency *= lacunarity;
        }
        return sum / norm;
    }

    /// <summary>
    /// A smooth periodic function of an angle: fractal noise sampled on a circle of radius
    /// <paramref name="roughness"/> (larger means more wiggles per turn), so 0 and 2π agree.
    /// </summary>
    public double Periodic(double angle, double roughness, int octaves, double offset = 0)
        => Fractal(offset + roughness * Math.Cos(angle), offset + roughness * Math.Sin(angle), octaves);

    double Corner(int ix, int iy, double dx, double dy)
    {
        var h = _perm[_perm[ix & Mask] + (iy & Mask)];
        return _gradX[h] * dx + _gradY[h] * dy;
    }

    static double Fade(double t) => t * t * t * (t * (t * 6 - 15) + 10);
}
