using System.Text.RegularExpressions;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Tests.Preprocessing;

namespace AutoClassify.Tests.Features;

public partial class HandcraftedFeaturesTests
{
    static double Feature(double[] values, string name) => values[Index(name)];

    static int Index(string name)
    {
        var index = HandcraftedFeatures.Names.ToList().IndexOf(name);
        Assert.True(index >= 0, $"feature '{name}' is missing");
        return index;
    }

    [Fact]
    public void Should_measure_a_disk_like_geometry_says()
    {
        // Given a dark disk of radius 20 in a 96 px crop, with its mask
        const double r = 20;
        var mask = TestShapes.Disk(96, r);
        var image = TestShapes.Fill(mask, 0.3f, 0.7f);

        // When its features are extracted
        var values = HandcraftedFeatures.Extract(image, mask, out var method);

        // Then area, circularity, diameter and Feret diameter match the disk
        Assert.Equal(SegmentationMethod.GivenMask, method);
        Assert.Equal(Math.PI * r * r, Feature(values, "area"), Math.PI * r * r * 0.03);
        Assert.Equal(1.0, Feature(values, "circularity"), 0.1);
        Assert.Equal(2 * r, Feature(values, "diameter"), 2.0);
        Assert.Equal(2 * r, Feature(values, "feret_max"), 2.0);
        Assert.Equal(2 * Math.PI * (r - 0.5), Feature(values, "perimeter"), 2 * Math.PI * r * 0.05);
    }

    [Fact]
    public void Should_give_an_ellipse_its_central_moments()
    {
        // Given an ellipse with semi-axes a = 40 along x and b = 20 along y
        const double a = 40, b = 20;
        var mask = TestShapes.Ellipse(96, a, b);
        var image = TestShapes.Fill(mask, 0.8f, 0.2f);

        // When its features are extracted
        var values = HandcraftedFeatures.Extract(image, mask);

        // Then mu20 = pi a^3 b / 4, mu02 = pi a b^3 / 4 within 3 %, and the odd moments vanish
        var mu20 = Math.PI * a * a * a * b / 4;
        var mu02 = Math.PI * a * b * b * b / 4;
        Assert.Equal(mu20, Feature(values, "mu20"), mu20 * 0.03);
        Assert.Equal(mu02, Feature(values, "mu02"), mu02 * 0.03);
        Assert.Equal(0, Feature(values, "mu30"), mu20 * 1e-6);
        Assert.Equal(0, Feature(values, "mu03"), mu20 * 1e-6);
        // Scale-normalised: for an ellipse nu20 = a / (4 pi b), independent of size
        Assert.Equal(a / (4 * Math.PI * b), Feature(values, "nu20"), 0.005);
        Assert.Equal(2 * a, Feature(values, "feret_max"), 1.0);
        Assert.InRange(Feature(values, "circularity"), 0.6, 0.9);
    }

    [Fact]
    public void Should_segment_a_dark_ring_bounded_disk_on_noise_without_a_mask()
    {
        // Given a vesicle-like crop: a dark membrane ring of radius 18, slightly off centre, on noise
        const double radius = 18, cx = 34, cy = 30;
        var image = TestShapes.RingOnNoise(64, radius, 3, cx, cy, noise: 0.08, seed: 5);
        var truth = TestShapes.Disk(64, radius, cx, cy);

        // When it is segmented and measured without a mask
        var segmentation = ObjectSegmentation.Segment(image);
        var values = HandcraftedFeatures.Extract(image, null, out var method);

        // Then the filled disk is found (IoU above 0.85) and measured like one
        Assert.Equal(SegmentationMethod.Otsu, segmentation.Method);
        Assert.Equal(SegmentationMethod.Otsu, method);
        int both = 0, either = 0;
        for (var i = 0; i < truth.Data.Length; i++)
        {
            both += truth.Data[i] & segmentation.Mask.Data[i];
            either += truth.Data[i] | segmentation.Mask.Data[i];
        }
        Assert.True(both > 0.85 * either, $"IoU {(double)both / either:F2}");
        Assert.Equal(Math.PI * radius * radius, Feature(values, "area"), Math.PI * radius * radius * 0.15);
        Assert.InRange(Feature(values, "circularity"), 0.85, 1.1);
        Assert.Equal(segmentation.Mask.Count(), Feature(values, "area"));
    }

    [Fact]
    public void Should_segment_a_bright_object_on_a_dark_background()
    {
        // Given a bright disk on a dark, noisy background, plus a bright speck in a corner
        var random = new Random(21);
        var truth = TestShapes.Disk(64, 12, 30, 33);
        var image = TestShapes.Fill(truth, 0.8f, 0.2f);
        for (var i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = Math.Clamp(image.Pixels[i] + (0.05f * (float)TestShapes.Gaussian(random)), 0, 1);
        for (var y = 2; y < 6; y++)
        {
            for (var x = 2; x < 6; x++)
                image[x, y] = 0.9f;
        }

        // When it is segmented
        var segmentation = ObjectSegmentation.Segment(image);

        // Then the central disk, not the speck, is the object
        Assert.Equal(SegmentationMethod.Otsu, segmentation.Method);
        Assert.False(segmentation.Mask[3, 3]);
        Assert.True(segmentation.Mask[30, 33]);
        Assert.Equal(truth.Count(), segmentation.Mask.Count(), truth.Count() * 0.1);
    }

    [Fact]
    public void Should_fall_back_to_a_centred_disk_on_a_flat_crop_and_stay_finite()
    {
        // Given a perfectly flat crop, in which nothing can be segmented
        var image = new GrayImage(48, 40);
        Array.Fill(image.Pixels, 0.4f);

        // When features are extracted
        var values = HandcraftedFeatures.Extract(image, null, out var method);

        // Then the fallback disk is used and reported, and every value is finite
        Assert.Equal(SegmentationMethod.FallbackDisk, method);
        Assert.All(values, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(Math.PI * 10 * 10, Feature(values, "area"), 15.0);
        Assert.Equal(0.4, Feature(values, "radial_00"), 1e-6);
        Assert.Equal(0, Feature(values, "snr"), 1e-9);
    }

    [Theory]
    [InlineData(1, 1, "single")]
    [InlineData(2, 3, "full")]
    [InlineData(20, 20, "single")]
    [InlineData(20, 20, "full")]
    [InlineData(20, 20, "line")]
    [InlineData(20, 20, "empty")]
    [InlineData(5, 30, "none")]
    public void Should_never_produce_NaN_or_infinity_on_degenerate_input(int width, int height, string maskKind)
    {
        // Given a tiny or degenerate crop and mask
        var image = TestShapes.Gradient(Math.Max(width, 2), height);
        if (width == 1)
            image = new GrayImage(1, height, [0.5f]);
        var mask = maskKind == "none" ? null : new BinaryMask(image.Width, image.Height);
        if (maskKind == "single")
            mask![image.Width / 2, image.Height / 2] = true;
        else if (maskKind == "full")
            Array.Fill(mask!.Data, (byte)1);
        else if (maskKind == "line")
        {
            for (var x = 3; x < 15; x++)
                mask![x, 7] = true;
        }

        // When features are extracted
        var values = HandcraftedFeatures.Extract(image, mask);

        // Then every value is finite and the histogram still sums to 1
        Assert.Equal(HandcraftedFeatures.Count, values.Length);
        Assert.All(values, v => Assert.True(double.IsFinite(v)));
        var histogram = HandcraftedFeatures.Names.Select((n, i) => (n, i)).Where(p => p.n.StartsWith("hist_", StringComparison.Ordinal)).Sum(p => values[p.i]);
        Assert.Equal(1.0, histogram, 1e-9);
    }

    [Fact]
    public void Should_show_the_membrane_as_a_dip_in_the_edge_and_radial_profiles()
    {
        // Given a clean ring-bounded disk (membrane 0.25, lumen 0.55, background 0.6) and its filled mask
        var image = TestShapes.RingOnNoise(96, 24, 3, 48, 48, noise: 0, seed: 1);
        var mask = TestShapes.Disk(96, 24, 48, 48);

        // When features are extracted
        var values = HandcraftedFeatures.Extract(image, mask);

        // Then the darkest edge band is just inside the boundary and outside bands show the background
        var edge = Enumerable.Range(0, HandcraftedFeatures.EdgeBands).Select(i => Feature(values, $"edge_{i:D2}")).ToArray();
        var darkest = Array.IndexOf(edge, edge.Min());
        Assert.InRange(darkest, 3, 5);
        Assert.Equal(0.25, edge.Min(), 0.02);
        Assert.Equal(0.6, edge[^1], 0.01);
        Assert.Equal(0.55, edge[0], 0.01);

        // The radial profile dips where the membrane sits: ring index ~ 16 * r / (1.5 * 24) for r in (21, 24]
        var radial = Enumerable.Range(0, HandcraftedFeatures.RadialRings).Select(i => Feature(values, $"radial_{i:D2}")).ToArray();
        var dip = Array.IndexOf(radial, radial.Min());
        Assert.InRange(dip, 9, 11);
        Assert.Equal(0.55, radial[0], 0.01);

        // And the histogram holds membrane and lumen in the proportion of their areas
        var membraneShare = (24.0 * 24 - 21.0 * 21) / (24.0 * 24);
        Assert.Equal(membraneShare, Feature(values, "hist_08"), 0.05);
    }

    [Fact]
    public void Should_rate_a_cleaner_membrane_with_a_higher_snr()
    {
        // Given the same ring at two noise levels
        var mask = TestShapes.Disk(64, 18, 32, 32);
        var clean = TestShapes.RingOnNoise(64, 18, 3, 32, 32, noise: 0.02, seed: 9);
        var noisy = TestShapes.RingOnNoise(64, 18, 3, 32, 32, noise: 0.15, seed: 9);

        // When their SNR features are compared
        var cleanSnr = Feature(HandcraftedFeatures.Extract(clean, mask), "snr");
        var noisySnr = Feature(HandcraftedFeatures.Extract(noisy, mask), "snr");

        // Then the clean membrane stands out clearly more
        Assert.True(cleanSnr > 2 * noisySnr, $"clean {cleanSnr:F2} vs noisy {noisySnr:F2}");
        Assert.True(noisySnr > 0);
    }

    [Fact]
    public void Should_have_unique_stable_snake_case_names()
    {
        var names = HandcraftedFeatures.Names;

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches(SnakeCase(), n));
        // The thesis's features, in this order, are part of the CSV contract.
        Assert.Equal(["area", "perimeter", "circularity", "feret_max", "diameter", "mu20", "mu02", "mu30", "mu03"], names.Take(9));
        Assert.Equal("hist_00", names[Index("hist_00")]);
        Assert.Equal(Index("hist_00") + 31, Index("hist_31"));
        Assert.Equal(Index("radial_00") + HandcraftedFeatures.RadialRings - 1, Index($"radial_{HandcraftedFeatures.RadialRings - 1:D2}"));
        Assert.Equal(Index("edge_00") + HandcraftedFeatures.EdgeBands - 1, Index($"edge_{HandcraftedFeatures.EdgeBands - 1:D2}"));
        Assert.Equal("snr", names[^1]);
    }

    [Fact]
    public void Should_extract_a_batch_in_parallel_exactly_as_one_by_one()
    {
        // Given crops of different sizes, some with masks and some without
        var images = new List<GrayImage>();
        var masks = new List<BinaryMask?>();
        for (var i = 0; i < 12; i++)
        {
            var size = 40 + (8 * (i % 3));
            images.Add(TestShapes.RingOnNoise(size, 10 + (i % 4), 2, size / 2.0, size / 2.0, 0.05, seed: i));
            masks.Add(i % 2 == 0 ? TestShapes.Disk(size, 10 + (i % 4)) : null);
        }

        // When the batch is extracted on two threads
        var batch = HandcraftedFeatures.ExtractAllDetailed(images, masks, threads: 2);

        // Then each row equals a sequential extraction, and the segmentation is reported per crop
        Assert.Equal(HandcraftedFeatures.Names, batch.Features.Names);
        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(HandcraftedFeatures.Extract(images[i], masks[i]), batch.Features.Rows[i]);
            Assert.Equal(i % 2 == 0 ? SegmentationMethod.GivenMask : SegmentationMethod.Otsu, batch.Segmentation[i]);
        }
        Assert.Equal(0, batch.FallbackCount);
    }

    [Fact]
    public void Should_reject_masks_that_do_not_match_the_images()
    {
        var images = new[] { TestShapes.Gradient(10, 10) };

        Assert.Throws<ArgumentException>(() => HandcraftedFeatures.ExtractAll(images, [], threads: 1));
        Assert.Throws<ArgumentException>(() => HandcraftedFeatures.Extract(images[0], new BinaryMask(10, 11)));
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();
}
