using AutoClassify.Preprocessing;
using AutoClassify.Tests.Segmentation;

namespace AutoClassify.Tests.Features;

/// <summary>
/// Whole-field test images whose classes differ only in particle size and density (bright disks on noise, no
/// single object per image), in memory or written as class folders.
/// </summary>
internal static class FieldImages
{
    /// <summary>Class name, disks per field, disk radius in pixels.</summary>
    public static readonly (string Name, int Disks, double Radius)[] Classes =
    [
        ("fine", 24, 3),
        ("coarse", 5, 8),
        ("sparse", 5, 3),
    ];

    /// <summary>One field of class <paramref name="classIndex"/>, reproducible from <paramref name="seed"/>.</summary>
    public static GrayImage Field(int classIndex, int seed, int size = 96)
    {
        var (_, disks, radius) = Classes[classIndex];
        var layout = ParticleFields.Scatter(size, size, Enumerable.Repeat(radius, disks).ToList(), seed, gap: 2);
        return ParticleFields.Render(size, size, layout, seed);
    }

    /// <summary>
    /// A field whose left half is <paramref name="left"/>'s texture and right half <paramref name="right"/>'s (each
    /// drawn on its own half-width canvas), for maps that must show two domains.
    /// </summary>
    public static GrayImage Split(int left, int right, int seed, int width, int height)
    {
        var image = new GrayImage(width, height);
        var half = width / 2;
        foreach (var (classIndex, x0, w, s) in new[] { (left, 0, half, seed), (right, half, width - half, seed + 1) })
        {
            var (_, disks, radius) = Classes[classIndex];
            var count = (int)Math.Round(disks * (w * (double)height) / (96.0 * 96.0));
            var part = ParticleFields.Render(w, height, ParticleFields.Scatter(w, height, Enumerable.Repeat(radius, count).ToList(), s, gap: 2), s);
            for (var y = 0; y < height; y++)
                Array.Copy(part.Pixels, y * w, image.Pixels, (y * width) + x0, w);
        }
        return image;
    }

    /// <summary>Writes <c>root/&lt;class&gt;/field_NN.png</c> for every class; returns <paramref name="root"/>.</summary>
    public static string WriteDataset(string root, int perClass, int size = 96, int classes = 3)
    {
        for (var c = 0; c < classes; c++)
        {
            var dir = Path.Combine(root, Classes[c].Name);
            Directory.CreateDirectory(dir);
            for (var i = 0; i < perClass; i++)
                PngWriter.Write(Path.Combine(dir, $"field_{i:D2}.png"), Field(c, (1000 * (c + 1)) + i, size));
        }
        return root;
    }
}
