using AutoClassify.Imaging;
using AutoClassify.Models;

namespace AutoClassify.Tests.Models.Cnn;

/// <summary>A tiny generated set for CNN tests: noisy disks, rings and squares, with their masks.</summary>
internal static class ShapeImages
{
    public static readonly string[] ClassNames = ["disk", "ring", "square"];

    /// <param name="perClass">Images per class.</param>
    /// <param name="size">Side of each image.</param>
    /// <param name="seed">Seed of positions, sizes and noise.</param>
    /// <param name="counts">Optional per-class counts overriding <paramref name="perClass"/> (imbalanced sets).</param>
    public static TrainingData Create(int perClass, int size, int seed, int[]? counts = null)
    {
        var random = new Random(seed);
        counts ??= [perClass, perClass, perClass];
        var images = new List<GrayImage>();
        var masks = new List<BinaryMask?>();
        var labels = new List<int>();
        for (var label = 0; label < 3; label++)
        {
            for (var n = 0; n < counts[label]; n++)
            {
                var (image, mask) = Draw(label, size, random);
                images.Add(image);
                masks.Add(mask);
                labels.Add(label);
            }
        }
        return new TrainingData { ClassNames = ClassNames, Labels = [.. labels], Images = images, Masks = masks };
    }

    static (GrayImage, BinaryMask) Draw(int label, int size, Random random)
    {
        var image = new GrayImage(size, size);
        var mask = new BinaryMask(size, size);
        var cx = size / 2.0 + (random.NextDouble() - 0.5) * size * 0.15;
        var cy = size / 2.0 + (random.NextDouble() - 0.5) * size * 0.15;
        var radius = size * (0.25 + random.NextDouble() * 0.08);
        var background = 0.3 + random.NextDouble() * 0.1;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                var r = Math.Sqrt(dx * dx + dy * dy);
                var inside = label switch
                {
                    0 => r <= radius,
                    1 => r <= radius && r >= radius - Math.Max(1.5, size / 10.0),
                    _ => Math.Abs(dx) <= radius && Math.Abs(dy) <= radius,
                };
                var noise = Gaussian(random) * 0.06;
                image[x, y] = (float)Math.Clamp((inside ? 0.8 : background) + noise, 0, 1);
                mask[x, y] = label == 1 ? r <= radius : inside;
            }
        }
        return (image, mask);
    }

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
