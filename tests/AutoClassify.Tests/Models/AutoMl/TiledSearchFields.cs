using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Segmentation;

namespace AutoClassify.Tests.Models.AutoMl;

/// <summary>
/// Generated 128-px fields for the tiled search, of two kinds. In <see cref="Patchy"/> data the class shows only locally:
/// "patchy" fields crowd their particles into one half, "even" fields spread as many over the whole field, so the
/// whole-field statistics agree and only tiles see the difference. In <see cref="Rims"/> data the class is where the
/// particles sit in the whole field (cut by its edges, or whole on its centre lines), which whole-field features
/// measure and every tile shows alike.
/// </summary>
internal static class TiledSearchFields
{
    public const int Size = 128;

    public static readonly string[] PatchyClasses = ["even", "patchy"];

    public static readonly string[] RimClasses = ["rim", "cross"];

    const int Particles = 32;
    const double Radius = 3;

    /// <summary>One field of class <paramref name="classIndex"/> of <see cref="PatchyClasses"/>, reproducible from <paramref name="seed"/>.</summary>
    public static GrayImage PatchyField(int classIndex, int seed)
    {
        if (classIndex == 0)
            return ParticleFields.Render(Size, Size, ParticleFields.Scatter(Size, Size, Enumerable.Repeat(Radius, Particles).ToList(), seed, gap: 2), seed);
        // 28 particles in one half (which one is drawn), 4 in the other: the same count as an even field.
        var half = Size / 2;
        var side = new Random(seed).Next(4);
        var disks = new List<Disk>();
        foreach (var (count, dense) in new[] { (28, true), (Particles - 28, false) })
        {
            var (leftRight, offset) = (side < 2, dense == (side % 2 == 0) ? 0 : half);
            foreach (var d in ParticleFields.Scatter(leftRight ? half : Size, leftRight ? Size : half, Enumerable.Repeat(Radius, count).ToList(), seed + (dense ? 1 : 2), gap: 2))
                disks.Add(leftRight ? d with { X = d.X + offset } : d with { Y = d.Y + offset });
        }
        return ParticleFields.Render(Size, Size, disks, seed);
    }

    /// <summary>
    /// One field of <see cref="RimClasses"/>: "rim" fields hold 8 disks of radius 10 px cut in half by the field's edges
    /// (two per edge, one in each half), "cross" fields 4 whole disks on the lines that split the field into its 64-px
    /// tiles (one per half-line). Every 64-px tile of either class holds two half disks at two of its edges, the same
    /// picture turned by 180°, so only the whole field tells the classes apart.
    /// </summary>
    public static GrayImage RimField(int classIndex, int seed)
    {
        var random = new Random(seed);
        const double radius = 10;
        const double edge = -0.5;
        const double far = Size - 0.5;
        const double middle = (Size / 2) - 0.5;
        double Along(int half) => (half * Size / 2) + radius + 4 + (random.NextDouble() * ((Size / 2) - (2 * radius) - 8));
        var disks = new List<Disk>();
        for (var half = 0; half < 2; half++)
        {
            if (classIndex == 0)
            {
                disks.Add(new Disk(Along(half), edge, radius));
                disks.Add(new Disk(Along(half), far, radius));
                disks.Add(new Disk(edge, Along(half), radius));
                disks.Add(new Disk(far, Along(half), radius));
            }
            else
            {
                disks.Add(new Disk(middle, Along(half), radius));
                disks.Add(new Disk(Along(half), middle, radius));
            }
        }
        return ParticleFields.Render(Size, Size, disks, seed);
    }

    /// <summary><paramref name="perClass"/> patchy and even fields with their whole-field features and images.</summary>
    public static TrainingData Patchy(int perClass, int seed = 0) => Build(PatchyClasses, perClass, seed, PatchyField);

    /// <summary><paramref name="perClass"/> rim and cross fields with their whole-field features and images.</summary>
    public static TrainingData Rims(int perClass, int seed = 0) => Build(RimClasses, perClass, seed, RimField);

    /// <summary>Writes <paramref name="perClass"/> patchy and even fields as <c>root/class/field_NN.png</c>.</summary>
    public static string WritePatchy(string root, int perClass, int seed = 0)
    {
        for (var c = 0; c < PatchyClasses.Length; c++)
        {
            var dir = Path.Combine(root, PatchyClasses[c]);
            Directory.CreateDirectory(dir);
            for (var i = 0; i < perClass; i++)
                PngWriter.Write(Path.Combine(dir, $"field_{i:00}.png"), PatchyField(c, FieldSeed(c, i, seed)));
        }
        return root;
    }

    static int FieldSeed(int classIndex, int item, int seed) => (1000 * (classIndex + 1)) + item + seed;

    static TrainingData Build(string[] classes, int perClass, int seed, Func<int, int, GrayImage> field)
    {
        var prepared = new List<PreparedImage>();
        var labels = new List<int>();
        for (var c = 0; c < classes.Length; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                prepared.Add(new PreparedImage(field(c, FieldSeed(c, i, seed)), null));
                labels.Add(c);
            }
        }
        return TrainingData.FromPrepared(classes, [.. labels], prepared, [ModelInput.FieldFeatures, ModelInput.Images], threads: 2);
    }
}
