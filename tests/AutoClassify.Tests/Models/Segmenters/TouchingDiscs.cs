using AutoClassify.Imaging;
using AutoClassify.Models.Segmenters;

namespace AutoClassify.Tests.Models.Segmenters;

/// <summary>
/// Micrograph-like test fields: pairs of touching discs, domed like particles under SEM (brightest at the centre), with
/// a fine texture of their own, on a textured background with smooth shading and noise. The instance mask gives every
/// disc its own id; where two discs overlap the pixel belongs to the nearer centre.
/// </summary>
internal static class TouchingDiscs
{
    public static SegmentationSample Sample(int width, int height, int pairs, int seed, int group = -1)
    {
        var (image, mask) = Generate(width, height, pairs, seed);
        return new SegmentationSample($"discs-{seed}.png", image, mask, group < 0 ? seed : group);
    }

    public static SegmentationData Data(int count, int width, int height, int pairs, int seed) => new()
    {
        Samples = Enumerable.Range(0, count).Select(i => Sample(width, height, pairs, seed + i)).ToArray(),
        Kind = MaskKind.Instances,
        ClassNames = ["background", "particle"],
    };

    /// <summary>
    /// Writes <paramref name="count"/> annotated fields into <paramref name="folder"/> as a labelling tool would:
    /// <c>field{i}.png</c> beside <c>field{i}.mask.png</c>, a 16-bit instance mask; returns the folder.
    /// </summary>
    public static string WriteFolder(string folder, int count, int size, int pairs, int seed)
    {
        Directory.CreateDirectory(folder);
        for (var i = 0; i < count; i++)
        {
            var (image, mask) = Generate(size, size, pairs, seed + i);
            var name = "field" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            PngWriter.Write(Path.Combine(folder, name + ".png"), image);
            WriteInstances(Path.Combine(folder, name + ".mask.png"), mask, size, size);
        }
        return folder;
    }

    /// <summary>Writes an instance mask as a 16-bit PNG (value = instance id), the way label tools export them.</summary>
    public static void WriteInstances(string path, int[] ids, int width, int height) =>
        File.WriteAllBytes(path, ImageCodec.Encode(new GrayImage(width, height, [.. ids.Select(id => id / (float)ushort.MaxValue)]), ImageFileFormat.Png, bitDepth: 16));

    public static (GrayImage Image, int[] Mask) Generate(int width, int height, int pairs, int seed)
    {
        var random = new Random(seed);
        var discs = new List<(double X, double Y, double R)>();
        for (var attempt = 0; attempt < 400 && discs.Count < 2 * pairs; attempt++)
        {
            var r1 = 7 + (random.NextDouble() * 4);
            var r2 = 7 + (random.NextDouble() * 4);
            var angle = random.NextDouble() * 2 * Math.PI;
            var distance = r1 + r2 - 1.5;
            var x1 = r1 + 1 + (random.NextDouble() * (width - (2 * r1) - 2));
            var y1 = r1 + 1 + (random.NextDouble() * (height - (2 * r1) - 2));
            var x2 = x1 + (distance * Math.Cos(angle));
            var y2 = y1 + (distance * Math.Sin(angle));
            if (x2 < r2 + 1 || y2 < r2 + 1 || x2 > width - r2 - 1 || y2 > height - r2 - 1)
                continue;
            // Pairs keep a clear gap from each other, so only the two discs of a pair touch.
            if (discs.Any(d => Distance(d, x1, y1) < d.R + r1 + 4 || Distance(d, x2, y2) < d.R + r2 + 4))
                continue;
            discs.Add((x1, y1, r1));
            discs.Add((x2, y2, r2));
        }

        var phase = random.NextDouble() * 10;
        var pixels = new float[width * height];
        var mask = new int[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var texture = 0.04 * Math.Sin((0.9 * x) + phase) * Math.Cos((0.7 * y) - phase);
                var shade = 0.05 * Math.Sin((x + (2 * y)) / 40.0 + phase);
                var value = 0.3 + texture + shade + (0.03 * Gaussian(random));
                var best = -1;
                var bestDistance = double.MaxValue;
                for (var k = 0; k < discs.Count; k++)
                {
                    var d = Distance(discs[k], x, y) / discs[k].R;
                    if (d <= 1 && d < bestDistance)
                        (best, bestDistance) = (k, d);
                }
                if (best >= 0)
                {
                    mask[(y * width) + x] = best + 1;
                    value = 0.45 + (0.3 * Math.Sqrt(1 - (bestDistance * bestDistance))) + (0.03 * Math.Sin((1.7 * x) - (1.3 * y))) + shade + (0.03 * Gaussian(random));
                }
                pixels[(y * width) + x] = (float)Math.Clamp(value, 0, 1);
            }
        }
        return (new GrayImage(width, height, pixels), mask);
    }

    /// <summary>
    /// Instance F1 at IoU ≥ 0.5: above that threshold a predicted object can match at most one true object, so
    /// counting the pairs whose IoU exceeds it is an exact one-to-one matching.
    /// </summary>
    public static (double F1, int Matched, int Predicted, int Truth) InstanceF1(int[] truth, int[] predicted)
    {
        var overlaps = new Dictionary<(int, int), int>();
        var truthAreas = new Dictionary<int, int>();
        var predictedAreas = new Dictionary<int, int>();
        for (var i = 0; i < truth.Length; i++)
        {
            if (truth[i] > 0)
                truthAreas[truth[i]] = truthAreas.GetValueOrDefault(truth[i]) + 1;
            if (predicted[i] > 0)
                predictedAreas[predicted[i]] = predictedAreas.GetValueOrDefault(predicted[i]) + 1;
            if (truth[i] > 0 && predicted[i] > 0)
                overlaps[(truth[i], predicted[i])] = overlaps.GetValueOrDefault((truth[i], predicted[i])) + 1;
        }
        var matched = overlaps.Count(o =>
        {
            var union = truthAreas[o.Key.Item1] + predictedAreas[o.Key.Item2] - o.Value;
            return (double)o.Value / union > 0.5;
        });
        var f1 = truthAreas.Count + predictedAreas.Count == 0 ? 1 : 2.0 * matched / (truthAreas.Count + predictedAreas.Count);
        return (f1, matched, predictedAreas.Count, truthAreas.Count);
    }

    static double Distance((double X, double Y, double R) disc, double x, double y) =>
        Math.Sqrt(((x - disc.X) * (x - disc.X)) + ((y - disc.Y) * (y - disc.Y)));

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>
    /// A certain 3-channel map (background, interior, boundary; channel-major) of two discs of radius 9 centred at
    /// (12, 12) and (28, 12), touching along x = 20, with a boundary band 3 px wide between them.
    /// </summary>
    public static float[] TwoDiscProbabilities(int width, int height)
    {
        var n = width * height;
        var probabilities = new float[3 * n];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var inLeft = ((x - 12) * (x - 12)) + ((y - 12) * (y - 12)) <= 81;
                var inRight = ((x - 28) * (x - 28)) + ((y - 12) * (y - 12)) <= 81;
                var channel = !inLeft && !inRight ? 0 : Math.Abs(x - 20) <= 1 ? 2 : 1;
                probabilities[(channel * n) + (y * width) + x] = 1;
            }
        }
        return probabilities;
    }
}
