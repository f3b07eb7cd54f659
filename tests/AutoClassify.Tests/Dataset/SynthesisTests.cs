using AutoClassify.Dataset.Synthesis;
using AutoClassify.Imaging;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Dataset;

public sealed class SynthesisTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ac-synth-").FullName;
    readonly ITestOutputHelper _output;

    public SynthesisTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static LiposomeSynthesisOptions Small(int seed = 7, int threads = 2) => new()
    {
        Count = 24,
        MinPerClass = 4,
        ImageSize = 48,
        Seed = seed,
        MaxDegreeOfParallelism = threads,
    };

    [Fact]
    public void Should_write_byte_identical_files_for_the_same_options_regardless_of_threads()
    {
        // Given the same options generated twice with different thread counts, and once with another seed
        var first = LiposomeSynthesizer.Generate(Path.Combine(_dir, "a"), Small(threads: 1));
        LiposomeSynthesizer.Generate(Path.Combine(_dir, "b"), Small(threads: 2));
        LiposomeSynthesizer.Generate(Path.Combine(_dir, "c"), Small(seed: 8));

        // When the files are compared
        var files = RelativeFiles(first.OutputDirectory);

        // Then the two same-seed runs agree byte for byte and the other seed does not
        Assert.Equal(files, RelativeFiles(Path.Combine(_dir, "b")));
        Assert.Equal(2 * first.Total, files.Count);
        Assert.All(files, f => Assert.Equal(
            File.ReadAllBytes(Path.Combine(_dir, "a", f)), File.ReadAllBytes(Path.Combine(_dir, "b", f))));
        Assert.Contains(files, f => !File.ReadAllBytes(Path.Combine(_dir, "a", f)).AsSpan()
            .SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "c", f))));
    }

    [Theory]
    [InlineData(400, 15)]
    [InlineData(1000, 15)]
    [InlineData(60, 5)]
    [InlineData(45, 15)]
    public void Should_follow_the_class_proportions_with_a_minimum_per_class(int count, int minimum)
    {
        var options = new LiposomeSynthesisOptions { Count = count, MinPerClass = minimum };

        var counts = LiposomeSynthesizer.PlanCounts(options);

        Assert.Equal(count, counts.Sum());
        double[] shares = [options.UnilamellarFraction, options.MultilamellarFraction, options.UncertainFraction];
        for (var c = 1; c < 3; c++)
        {
            Assert.True(counts[c] >= minimum, $"class {c} got {counts[c]} < {minimum}");
            // A minority class either sits at the floor or within rounding of its share.
            Assert.True(counts[c] == minimum || Math.Abs(counts[c] - count * shares[c]) <= 0.5 + 1e-9, $"class {c} got {counts[c]}");
        }
        Assert.True(counts[0] >= counts[1] && counts[0] >= minimum);
    }

    [Fact]
    public void Should_write_the_planned_counts_each_image_with_a_same_size_valid_mask()
    {
        var options = Small();
        var summary = LiposomeSynthesizer.Generate(_dir, options);

        var planned = LiposomeSynthesizer.PlanCounts(options);
        Assert.Equal(planned, summary.Classes.Select(c => c.Count));
        for (var c = 0; c < 3; c++)
        {
            var name = LiposomeSynthesizer.ClassNames[c];
            var images = Directory.GetFiles(Path.Combine(_dir, name), "*.png")
                .Where(f => !f.EndsWith(".mask.png", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(planned[c], images.Count);
            Assert.Equal(Path.Combine(_dir, name, name + "_00000.png"), images[0]);
            foreach (var image in images)
            {
                var picture = SynthesisPngReader.Read(image);
                var mask = SynthesisPngReader.Read(image[..^4] + ".mask.png");
                Assert.Equal((options.ImageSize, options.ImageSize), (picture.Width, picture.Height));
                Assert.Equal((picture.Width, picture.Height), (mask.Width, mask.Height));
                Assert.All(mask.Pixels, v => Assert.True(v is 0 or 255));
                Assert.Contains((byte)255, mask.Pixels);
            }
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Should_refuse_to_mix_with_an_earlier_run_unless_overwrite_is_set()
    {
        LiposomeSynthesizer.Generate(_dir, Small());

        var ex = Assert.Throws<IOException>(() => LiposomeSynthesizer.Generate(_dir, Small(seed: 9)));
        Assert.Contains("Overwrite", ex.Message, StringComparison.Ordinal);

        var smaller = Small(seed: 9);
        smaller.Count = 12;
        smaller.Overwrite = true;
        var summary = LiposomeSynthesizer.Generate(_dir, smaller);
        Assert.Equal(2 * summary.Total, Directory.GetFiles(_dir, "*.png", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Should_centre_the_mask_on_the_object_within_the_radius_range()
    {
        var options = new LiposomeSynthesisOptions { Seed = 3 };
        var synthesizer = new LiposomeSynthesizer(options);
        var n = options.ImageSize;
        var centre = n / 2.0;

        foreach (var kind in Enum.GetValues<LiposomeClass>())
        {
            for (var i = 0; i < 12; i++)
            {
                var crop = synthesizer.Render(kind, i);
                var (cx, cy, area) = Centroid(crop.Mask);
                var equivalentRadius = Math.Sqrt(area / Math.PI) / n;
                // Jitter plus the asymmetry of wobbly or merged outlines.
                var tolerance = options.CenterJitter * n * Math.Sqrt(2) + (kind == LiposomeClass.Uncertain ? 0.1 * n : 1.5);
                Assert.True(Math.Abs(cx - centre) <= tolerance && Math.Abs(cy - centre) <= tolerance, $"{kind} {i}: centroid ({cx:F1},{cy:F1})");
                if (kind == LiposomeClass.Uncertain)
                    Assert.InRange(equivalentRadius, 0.1, 0.45);
                else
                    Assert.InRange(equivalentRadius, options.RadiusRange.Min * 0.85, options.RadiusRange.Max * 1.1);
            }
        }
    }

    [Fact]
    public void Should_show_more_dark_rings_in_multilamellar_than_in_unilamellar_crops()
    {
        // Given many crops of both classes
        var synthesizer = new LiposomeSynthesizer(new LiposomeSynthesisOptions { Seed = 5 });
        const int perClass = 40;

        // When dark rings are counted on the angular mean of the radial profile
        double Mean(LiposomeClass kind) => Enumerable.Range(0, perClass)
            .Average(i => CountDarkRings(synthesizer.Render(kind, i)));
        var uni = Mean(LiposomeClass.Unilamellar);
        var multi = Mean(LiposomeClass.Multilamellar);
        _output.WriteLine($"mean dark rings: unilamellar {uni:F2}, multilamellar {multi:F2}");

        // Then unilamellar crops show about one ring and multilamellar ones clearly more
        Assert.InRange(uni, 0.7, 1.5);
        Assert.True(multi > uni + 0.6, $"multilamellar {multi:F2} vs unilamellar {uni:F2}");
    }

    [Theory]
    [InlineData(16)]
    [InlineData(128)]
    public void Should_render_every_class_at_small_and_large_sizes(int size)
    {
        var synthesizer = new LiposomeSynthesizer(new LiposomeSynthesisOptions { ImageSize = size });

        foreach (var kind in Enum.GetValues<LiposomeClass>())
        {
            var crop = synthesizer.Render(kind, 0);

            Assert.Equal((size, size), (crop.Image.Width, crop.Image.Height));
            Assert.Equal((size, size), (crop.Mask.Width, crop.Mask.Height));
            Assert.InRange(crop.Mask.Count(), 1, size * size - 1);
            Assert.All(crop.Image.Pixels, v => Assert.InRange(v, 0f, 1f));
        }
    }

    [Theory]
    [InlineData("ImageSize")]
    [InlineData("Count")]
    [InlineData("RadiusRange")]
    [InlineData("NoiseRange")]
    [InlineData("UncertainFraction")]
    public void Should_reject_invalid_options_naming_the_parameter(string parameter)
    {
        var options = new LiposomeSynthesisOptions();
        switch (parameter)
        {
            case "ImageSize": options.ImageSize = 8; break;
            case "Count": options.Count = 30; break;
            case "RadiusRange": options.RadiusRange = new SynthesisRange(0.3, 0.2); break;
            case "NoiseRange": options.NoiseRange = new SynthesisRange(double.NaN, 0.1); break;
            default: options.UncertainFraction = -0.1; break;
        }

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LiposomeSynthesizer(options));
        Assert.Equal(parameter, ex.ParamName);
    }

    static List<string> RelativeFiles(string root) => Directory.GetFiles(root, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();

    static (double X, double Y, int Area) Centroid(BinaryMask mask)
    {
        double sx = 0, sy = 0;
        var area = 0;
        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < mask.Width; x++)
            {
                if (!mask[x, y])
                    continue;
                sx += x + 0.5;
                sy += y + 0.5;
                area++;
            }
        }
        return (sx / area, sy / area, area);
    }

    /// <summary>
    /// Minima of the mean intensity on 1-px rings around the mask centroid, out to just past its edge, that are
    /// deeper than four standard errors of the ring mean (so noise alone rarely counts).
    /// </summary>
    static int CountDarkRings(SynthesizedCrop crop)
    {
        var (cx, cy, area) = Centroid(crop.Mask);
        var bins = (int)Math.Ceiling(Math.Sqrt(area / Math.PI)) + 3;
        var sum = new double[bins];
        var squares = new double[bins];
        var count = new int[bins];
        var image = crop.Image;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var b = (int)Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                if (b >= bins)
                    continue;
                sum[b] += image[x, y];
                squares[b] += image[x, y] * image[x, y];
                count[b]++;
            }
        }
        var mean = new double[bins];
        var error = new double[bins];
        for (var b = 0; b < bins; b++)
        {
            var n = Math.Max(1, count[b]);
            mean[b] = sum[b] / n;
            error[b] = Math.Sqrt(Math.Max(0, squares[b] / n - mean[b] * mean[b]) / n);
        }
        var rings = 0;
        for (var b = 2; b < bins - 1; b++)
        {
            if (mean[b] >= mean[b - 1] || mean[b] > mean[b + 1])
                continue;
            var left = mean[Math.Max(0, b - 3)..b].Max();
            var right = mean[(b + 1)..Math.Min(bins, b + 4)].Max();
            if (Math.Min(left, right) - mean[b] > 4 * error[b])
                rings++;
        }
        return rings;
    }
}
