using AutoClassify.Imaging;

namespace AutoClassify.Tests.Support;

/// <summary>Small real image files for tests.</summary>
public static class TestImages
{
    /// <summary>A grey image with a dark disk of the given radius at the centre, on a seeded noisy background.</summary>
    public static GrayImage Disk(int size, double radius, int seed = 1, float background = 0.7f, float disk = 0.3f, double noise = 0.02)
    {
        var random = new Random(seed);
        var image = new GrayImage(size, size);
        double c = (size - 1) / 2.0;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var inside = (x - c) * (x - c) + (y - c) * (y - c) <= radius * radius;
                image[x, y] = Math.Clamp((inside ? disk : background) + (float)((random.NextDouble() - 0.5) * 2 * noise), 0f, 1f);
            }
        }
        return image;
    }

    /// <summary>Writes <paramref name="count"/> PNG images into <c>root/className/</c>.</summary>
    public static void WriteClass(string root, string className, int count, int size = 32, int seed = 0)
    {
        var dir = Path.Combine(root, className);
        Directory.CreateDirectory(dir);
        for (var i = 0; i < count; i++)
            PngWriter.Write(Path.Combine(dir, $"{className}_{i:D3}.png"), Disk(size, size / 4.0 + (i % 3), seed + i));
    }
}
