using AutoClassify.Imaging;

namespace AutoClassify.Tests.Evaluation.Segmentation;

/// <summary>
/// Generated annotated micrographs: bright discs and ellipses, many in touching pairs, on a textured, noisy
/// background, with their instance map (0 = background, 1.. per object).
/// </summary>
internal static class SegmentationScenes
{
    public static (GrayImage Image, int[] Ids) Render(int width, int height, int seed, int pairs = 4)
    {
        var random = new Random(seed);
        var ids = new int[width * height];
        var next = 0;
        for (var p = 0; p < pairs; p++)
        {
            var r = 6 + (random.NextDouble() * 4);
            var cx = r + 2 + (random.NextDouble() * (width - (4 * r) - 4));
            var cy = r + 2 + (random.NextDouble() * (height - (2 * r) - 4));
            // Two touching objects: a disc and an ellipse whose edges meet.
            Fill(ids, width, height, cx, cy, r, r, ++next);
            Fill(ids, width, height, cx + (2 * r) - 0.5, cy, r * 1.1, r * 0.8, ++next);
        }
        var image = new GrayImage(width, height);
        var phase = random.NextDouble() * Math.PI;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var texture = 0.06 * Math.Sin((x / 7.0) + phase) * Math.Cos(y / 9.0);
                var value = (ids[i] != 0 ? 0.72 : 0.28) + texture + ((random.NextDouble() - 0.5) * 0.08);
                image.Pixels[i] = (float)Math.Clamp(value, 0, 1);
            }
        }
        // A one-pixel darker seam where two objects touch, as micrographs show.
        for (var y = 0; y < height; y++)
        {
            for (var x = 1; x < width; x++)
            {
                var i = (y * width) + x;
                if (ids[i] != 0 && ids[i - 1] != 0 && ids[i] != ids[i - 1])
                    image.Pixels[i] = Math.Max(0, image.Pixels[i] - 0.25f);
            }
        }
        return (image, ids);
    }

    static void Fill(int[] ids, int width, int height, double cx, double cy, double rx, double ry, int id)
    {
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double dx = (x - cx) / rx, dy = (y - cy) / ry;
                if ((dx * dx) + (dy * dy) <= 1 && ids[(y * width) + x] == 0)
                    ids[(y * width) + x] = id;
            }
        }
    }

    /// <summary>Writes an instance map as a 16-bit grey PNG holding the ids exactly.</summary>
    public static void SaveIds(int[] ids, int width, int height, string path) =>
        File.WriteAllBytes(path, ImageCodec.Encode(new GrayImage(width, height, [.. ids.Select(v => v / 65535f)]), ImageFileFormat.Png, bitDepth: 16));

    /// <summary>Writes a binary mask as 8-bit 0/255.</summary>
    public static void SaveBinary(int[] ids, int width, int height, string path) =>
        File.WriteAllBytes(path, ImageCodec.Encode(new GrayImage(width, height, [.. ids.Select(v => v != 0 ? 1f : 0f)]), ImageFileFormat.Png));

    /// <summary>A folder of <paramref name="count"/> scenes in the images/ + masks/ layout with 16-bit instance masks.</summary>
    public static void WriteInstanceSet(string root, int count, int size, int seed)
    {
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "masks"));
        for (var i = 0; i < count; i++)
        {
            var (image, ids) = Render(size, size, seed + i);
            PngWriter.Write(Path.Combine(root, "images", $"{i}.png"), image);
            SaveIds(ids, size, size, Path.Combine(root, "masks", $"{i}.png"));
        }
    }
}
