using AutoClassify.Imaging;
using AutoClassify.Tests.Segmentation;
using AutoClassify.Tests.Tiling;

namespace AutoClassify.Tests.Features;

/// <summary>
/// The generated whole fields of <see cref="TiledFields"/> (classes that differ only in particle size and density) one
/// at a time in memory, and fields whose halves show two classes, for maps that must show two domains.
/// </summary>
internal static class FieldImages
{
    /// <summary>One field of <see cref="TiledFields.Classes"/>[<paramref name="classIndex"/>], reproducible from <paramref name="seed"/>.</summary>
    public static GrayImage Field(int classIndex, int seed, int size = TiledFields.FieldSize)
    {
        var (_, particles, radius) = TiledFields.Classes[classIndex];
        var count = (int)Math.Round(particles * (double)size * size / (TiledFields.FieldSize * TiledFields.FieldSize));
        return ParticleFields.Render(size, size, ParticleFields.Scatter(size, size, Enumerable.Repeat(radius, count).ToList(), seed, gap: 2), seed);
    }

    /// <summary>
    /// A field whose left half has <paramref name="left"/>'s particles and right half <paramref name="right"/>'s, each
    /// at its class's density.
    /// </summary>
    public static GrayImage Split(int left, int right, int seed, int width, int height)
    {
        var image = new GrayImage(width, height);
        var half = width / 2;
        foreach (var (classIndex, x0, w, s) in new[] { (left, 0, half, seed), (right, half, width - half, seed + 1) })
        {
            var (_, particles, radius) = TiledFields.Classes[classIndex];
            var count = (int)Math.Round(particles * (w * (double)height) / (TiledFields.FieldSize * TiledFields.FieldSize));
            var part = ParticleFields.Render(w, height, ParticleFields.Scatter(w, height, Enumerable.Repeat(radius, count).ToList(), s, gap: 2), s);
            for (var y = 0; y < height; y++)
                Array.Copy(part.Pixels, y * w, image.Pixels, (y * width) + x0, w);
        }
        return image;
    }

    /// <summary>Writes <see cref="TiledFields.Write"/>'s class folders under <paramref name="root"/> and returns it.</summary>
    public static string WriteDataset(string root, int perClass)
    {
        TiledFields.Write(root, perClass);
        return root;
    }
}
