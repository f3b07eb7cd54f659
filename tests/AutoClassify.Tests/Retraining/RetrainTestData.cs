using AutoClassify.Imaging;
using AutoClassify.Packaging;

namespace AutoClassify.Tests.Retraining;

/// <summary>
/// Two-class image sets for retrain tests: a dark disk, large or small, at a random place on a noisy background of
/// random brightness. Every image differs visibly from every other (position and size), so only planted copies are
/// near duplicates, and the handcrafted features separate the classes easily.
/// </summary>
internal static class RetrainTestData
{
    public const int Size = 40;

    public static readonly string[] Classes = ["large", "small"];

    /// <summary>One image: a large (radius 0.24–0.32 of the side) or small (0.09–0.14) disk.</summary>
    public static GrayImage Image(bool large, int seed)
    {
        var random = new Random(seed);
        var radius = Size * (large ? 0.24 + 0.08 * random.NextDouble() : 0.09 + 0.05 * random.NextDouble());
        var cx = Size / 2.0 + (random.NextDouble() - 0.5) * Size * 0.3;
        var cy = Size / 2.0 + (random.NextDouble() - 0.5) * Size * 0.3;
        var background = 0.6 + 0.15 * random.NextDouble();
        var disk = 0.2 + 0.1 * random.NextDouble();
        // A random illumination gradient makes the low frequencies, which the perceptual hash reads, differ per image.
        var angle = random.NextDouble() * 2 * Math.PI;
        var gradient = 0.12 + 0.12 * random.NextDouble();
        var (gx, gy) = (Math.Cos(angle) * gradient / Size, Math.Sin(angle) * gradient / Size);
        // Faint blobs in the background, like other matter in a micrograph, give each image its own layout.
        var blobs = Enumerable.Range(0, 4).Select(_ => (X: random.NextDouble() * Size, Y: random.NextDouble() * Size,
            R: Size * (0.1 + 0.15 * random.NextDouble()), A: (random.NextDouble() - 0.5) * 0.24)).ToArray();
        var image = new GrayImage(Size, Size);
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius;
                var shade = (x - Size / 2.0) * gx + (y - Size / 2.0) * gy;
                foreach (var b in blobs)
                    shade += (x - b.X) * (x - b.X) + (y - b.Y) * (y - b.Y) <= b.R * b.R ? b.A : 0;
                image[x, y] = Math.Clamp((float)((inside ? disk : background) + shade + (random.NextDouble() - 0.5) * 0.08), 0f, 1f);
            }
        }
        return image;
    }

    /// <summary>Writes <paramref name="count"/> images of one kind under <c>root/folder/</c> (the folder is the label, which may lie).</summary>
    public static void Write(string root, string folder, bool large, int count, int seed, string prefix = "img")
    {
        var dir = Path.Combine(root, folder);
        Directory.CreateDirectory(dir);
        for (var i = 0; i < count; i++)
            PngWriter.Write(Path.Combine(dir, $"{prefix}_{i:D3}.png"), Image(large, seed + i));
    }

    /// <summary>A correctly labeled two-class set.</summary>
    public static string WriteDataset(string root, int perClass, int seed)
    {
        Write(root, "large", large: true, perClass, seed);
        Write(root, "small", large: false, perClass, seed + 10_000);
        return root;
    }

    /// <summary>Training options of a small, quick SVM package.</summary>
    public static PackageTrainingOptions SvmOptions(string dataset, double referenceShare = ReferenceSet.DefaultShare) => new()
    {
        DatasetPath = dataset,
        Model = "svm",
        Seed = 3,
        Threads = 2,
        ValidationShare = 0,
        ReferenceShare = referenceShare,
        ModelSettings = new AutoClassify.Models.ModelSettings { Grid = "coarse" },
        CommandLine = "test",
    };

    /// <summary>Trains the first version of <paramref name="name"/> in <paramref name="registry"/>, storing its reference set as <c>train</c> does.</summary>
    public static int TrainFirstVersion(ModelRegistry registry, string name, PackageTrainingOptions options)
    {
        using var trained = PackageTrainer.Train(options);
        trained.CarvedReference?.WriteTo(registry, name);
        var version = registry.Add(name, stream => trained.WriteTo(stream));
        registry.PromoteIfNoChampion(name, version);
        return version;
    }

    /// <summary>A copy of an image with mild noise added, saved in another format (a re-encoded, slightly degraded copy).</summary>
    public static void WriteNoisyCopy(string source, string target, int seed, double amplitude = 0.02)
    {
        var image = ImageCodec.Decode(source);
        var random = new Random(seed);
        for (var i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = Math.Clamp(image.Pixels[i] + (float)((random.NextDouble() - 0.5) * 2 * amplitude), 0f, 1f);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        ImageCodec.Save(image, target);
    }

    /// <summary>Copies a folder tree (a registry) file by file.</summary>
    public static string CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }
}
