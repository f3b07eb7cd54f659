using AutoClassify.Imaging;

namespace AutoClassify.Tests.Segmentation;

/// <summary>A disk drawn into a generated field: centre and radius in pixels.</summary>
internal readonly record struct Disk(double X, double Y, double Radius);

/// <summary>Generated whole-field images of bright disks on a dark, noisy background with known geometry.</summary>
internal static class ParticleFields
{
    /// <summary>Renders disks (pixel inside when its centre is within the radius) with seeded noise.</summary>
    public static GrayImage Render(int width, int height, IEnumerable<Disk> disks, int seed, float background = 0.25f,
        float particle = 0.75f, double noise = 0.03)
    {
        var random = new Random(seed);
        var image = new GrayImage(width, height);
        var inside = new bool[width * height];
        foreach (var d in disks)
        {
            var r2 = d.Radius * d.Radius;
            for (var y = Math.Max(0, (int)(d.Y - d.Radius) - 1); y <= Math.Min(height - 1, (int)(d.Y + d.Radius) + 1); y++)
            {
                for (var x = Math.Max(0, (int)(d.X - d.Radius) - 1); x <= Math.Min(width - 1, (int)(d.X + d.Radius) + 1); x++)
                {
                    if (((x - d.X) * (x - d.X)) + ((y - d.Y) * (y - d.Y)) <= r2)
                        inside[(y * width) + x] = true;
                }
            }
        }
        for (var i = 0; i < inside.Length; i++)
        {
            var value = (inside[i] ? particle : background) + ((random.NextDouble() - 0.5) * 2 * noise);
            image.Pixels[i] = (float)Math.Clamp(value, 0, 1);
        }
        return image;
    }

    /// <summary>Places disks of the given radii at random, at least <paramref name="gap"/> pixels apart and inside the frame.</summary>
    public static List<Disk> Scatter(int width, int height, IReadOnlyList<double> radii, int seed, double gap = 4)
    {
        var random = new Random(seed);
        var disks = new List<Disk>();
        foreach (var r in radii)
        {
            for (var attempt = 0; ; attempt++)
            {
                if (attempt > 10_000)
                    throw new InvalidOperationException("Field too crowded for the requested disks.");
                var candidate = new Disk(r + 2 + (random.NextDouble() * (width - (2 * r) - 4)), r + 2 + (random.NextDouble() * (height - (2 * r) - 4)), r);
                if (disks.All(d => Distance(d, candidate) >= d.Radius + r + gap))
                {
                    disks.Add(candidate);
                    break;
                }
            }
        }
        return disks;
    }

    /// <summary>
    /// Pairs of equal disks whose centres are <paramref name="overlap"/> × 2r apart (1 = just touching, 0.8 = overlapping),
    /// at random orientations, pairs kept well apart.
    /// </summary>
    public static List<Disk> Pairs(int width, int height, int pairs, double radius, double overlap, int seed)
    {
        var random = new Random(seed);
        var centres = Scatter(width, height, Enumerable.Repeat(radius * 2.1, pairs).ToList(), seed, gap: 6);
        var disks = new List<Disk>();
        foreach (var c in centres)
        {
            var angle = random.NextDouble() * Math.PI;
            var half = overlap * radius;
            disks.Add(new Disk(c.X + (half * Math.Cos(angle)), c.Y + (half * Math.Sin(angle)), radius));
            disks.Add(new Disk(c.X - (half * Math.Cos(angle)), c.Y - (half * Math.Sin(angle)), radius));
        }
        return disks;
    }

    static double Distance(Disk a, Disk b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}
