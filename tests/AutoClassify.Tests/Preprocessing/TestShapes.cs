using AutoClassify.Imaging;

namespace AutoClassify.Tests.Preprocessing;

/// <summary>Synthetic crops drawn analytically, so expected measurements follow from geometry.</summary>
internal static class TestShapes
{
    public static BinaryMask Disk(int size, double radius, double cx = double.NaN, double cy = double.NaN) =>
        Ellipse(size, radius, radius, cx, cy);

    /// <summary>Pixels with (dx/a)² + (dy/b)² ≤ 1 around the centre (default: the image centre).</summary>
    public static BinaryMask Ellipse(int size, double a, double b, double cx = double.NaN, double cy = double.NaN)
    {
        if (double.IsNaN(cx))
            cx = size / 2;
        if (double.IsNaN(cy))
            cy = size / 2;
        var mask = new BinaryMask(size, size);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                double dx = (x - cx) / a, dy = (y - cy) / b;
                mask[x, y] = (dx * dx) + (dy * dy) <= 1;
            }
        }
        return mask;
    }

    public static GrayImage Fill(BinaryMask mask, float inside, float outside)
    {
        var image = new GrayImage(mask.Width, mask.Height);
        for (var i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = mask.Data[i] != 0 ? inside : outside;
        return image;
    }

    /// <summary>A smooth horizontal ramp with a little structure, covering most of [0, 1].</summary>
    public static GrayImage Gradient(int width, int height)
    {
        var image = new GrayImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
                image[x, y] = (float)((0.05 + (0.9 * x / (width - 1))) * (0.9 + (0.1 * Math.Sin(y * 0.3))));
        }
        return image;
    }

    /// <summary>
    /// A vesicle-like crop: a dark membrane ring (outer radius <paramref name="radius"/>, given thickness)
    /// around a lumen of background grey, on Gaussian noise, all from <paramref name="seed"/>.
    /// </summary>
    public static GrayImage RingOnNoise(int size, double radius, double thickness, double cx, double cy, double noise, int seed)
    {
        var random = new Random(seed);
        var image = new GrayImage(size, size);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var r = Math.Sqrt(((x - cx) * (x - cx)) + ((y - cy) * (y - cy)));
                var value = r <= radius && r > radius - thickness ? 0.25 : r <= radius ? 0.55 : 0.6;
                image[x, y] = (float)Math.Clamp(value + (noise * Gaussian(random)), 0, 1);
            }
        }
        return image;
    }

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
