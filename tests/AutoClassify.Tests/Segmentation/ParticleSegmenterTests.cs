using AutoClassify.Imaging;
using AutoClassify.Segmentation;

namespace AutoClassify.Tests.Segmentation;

public class ParticleSegmenterTests
{
    [Fact]
    public void Should_FindEverySeparateDisk_WithItsDiameter()
    {
        // Given 24 separate disks of radius 6..12 px on a noisy 256x256 field
        double[] radii = [.. Enumerable.Range(0, 24).Select(i => 6.0 + (i % 7))];
        var disks = ParticleFields.Scatter(256, 256, radii, seed: 11);
        var image = ParticleFields.Render(256, 256, disks, seed: 12);

        // When segmented
        var result = new ParticleSegmenter().Segment(image);

        // Then the count is exact, nothing touches the border, and the median diameter matches
        Assert.Equal(24, result.Particles.Count);
        Assert.Equal(0, result.Summary.BorderCount);
        var expectedMedian = Median(disks.Select(d => 2 * d.Radius));
        Assert.InRange(result.Summary.DiameterQ50, expectedMedian - 1.5, expectedMedian + 1.5);
        Assert.Equal(ParticlePolarity.Bright, result.Polarity);
        Assert.Equal("px", result.Summary.Unit);
    }

    [Fact]
    public void Should_SplitTouchingPairs_WithWatershed()
    {
        // Given 20 pairs of overlapping disks (centres 1.6 r apart), 40 disks in all
        var disks = ParticleFields.Pairs(256, 256, pairs: 20, radius: 8, overlap: 0.8, seed: 21);
        var image = ParticleFields.Render(256, 256, disks, seed: 22);

        // When segmented
        var result = new ParticleSegmenter().Segment(image);

        // Then almost every pair is split into its two disks
        Assert.InRange(result.Particles.Count, 38, 42);
    }

    [Fact]
    public void Should_NotSplitPairs_WhenMarkersAreTooCoarse()
    {
        // Given the same pairs, and an h so large that no neck qualifies as a saddle
        var disks = ParticleFields.Pairs(256, 256, pairs: 20, radius: 8, overlap: 0.8, seed: 21);
        var image = ParticleFields.Render(256, 256, disks, seed: 22);

        // When segmented with h = 20 px
        var result = new ParticleSegmenter(new ParticleSegmentationOptions { PeakHeight = 20 }).Segment(image);

        // Then every pair stays one particle: the split above came from the markers, not from the threshold
        Assert.Equal(20, result.Particles.Count);
    }

    [Fact]
    public void Should_CountBorderCutDisks_ButLeaveThemOutOfTheSizes()
    {
        // Given 6 disks of radius 10 inside and 4 big disks (radius 20) cut by each edge
        var disks = Enumerable.Range(0, 6).Select(i => new Disk(55 + (45 * (i % 3)), 75 + (50 * (i / 3)), 10)).ToList();
        const int inside = 6;
        disks.AddRange([new Disk(-5, 100, 20), new Disk(205, 100, 20), new Disk(100, -5, 20), new Disk(100, 205, 20)]);
        var image = ParticleFields.Render(200, 200, disks, seed: 32);

        // When segmented
        var result = new ParticleSegmenter().Segment(image);

        // Then the cut disks are counted separately and the size statistics see only the whole ones
        Assert.Equal(inside + 4, result.Summary.Count);
        Assert.Equal(4, result.Summary.BorderCount);
        Assert.Equal(inside, result.MeasuredDiameters().Length);
        Assert.InRange(result.Summary.DiameterQ90, 18.5, 21.5);
    }

    [Fact]
    public void Should_ReportNanometres_WhenTheScaleIsKnown()
    {
        // Given one disk of radius 10 px and a scale of 5 nm per pixel
        var image = ParticleFields.Render(64, 64, [new Disk(32, 32, 10)], seed: 41);

        // When segmented with the scale
        var result = new ParticleSegmenter(new ParticleSegmentationOptions { NmPerPixel = 5 }).Segment(image);

        // Then the diameter is about 100 nm
        Assert.Equal("nm", result.Summary.Unit);
        Assert.InRange(result.Summary.DiameterQ50, 95, 105);
    }

    [Fact]
    public void Should_MeasureRectangleFeret_OnThePixelSquares()
    {
        // Given a 30 x 12 px bright rectangle
        var image = new GrayImage(64, 48);
        for (var y = 18; y < 30; y++)
            for (var x = 17; x < 47; x++)
                image[x, y] = 0.9f;

        // When segmented without smoothing
        var particle = Assert.Single(new ParticleSegmenter(new ParticleSegmentationOptions { BlurSigma = 0, OpenRadius = 0, Normalization = ContrastNormalization.None }).Segment(image).Particles);

        // Then Feret max is its diagonal, Feret min its short side, and it is fully solid
        Assert.Equal(360, particle.Area);
        Assert.Equal(Math.Sqrt((30 * 30) + (12 * 12)), particle.FeretMax, 6);
        Assert.Equal(12, particle.FeretMin, 6);
        Assert.Equal(1.0, particle.Solidity, 6);
        Assert.Equal((17 + 46) / 2.0, particle.CentroidX, 6);
        Assert.Equal((30, 12), (particle.Width, particle.Height));
    }

    [Fact]
    public void Should_GiveSolidityNearOne_ForADisk_AndClearlyLess_ForACShape()
    {
        // Given a disk of radius 20 and a C (annulus 12..20 with a 90° gap)
        var disk = ParticleFields.Render(64, 64, [new Disk(32, 32, 20)], seed: 51, noise: 0);
        var c = new GrayImage(64, 64);
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                double dx = x - 32, dy = y - 32, r = Math.Sqrt((dx * dx) + (dy * dy));
                var gap = dx > 0 && Math.Abs(dy) < dx;
                c[x, y] = r is >= 12 and <= 20 && !gap ? 0.9f : 0.1f;
            }
        }
        var segmenter = new ParticleSegmenter(new ParticleSegmentationOptions { Normalization = ContrastNormalization.None, BlurSigma = 0, PeakHeight = 50 });

        // When both are segmented
        var round = Assert.Single(segmenter.Segment(disk).Particles);
        var hook = Assert.Single(segmenter.Segment(c).Particles);

        // Then the disk is nearly convex, circular, and the C is not
        Assert.InRange(round.Solidity, 0.95, 1.0);
        Assert.InRange(round.Circularity, 0.9, 1.0);
        Assert.InRange(round.FeretMin / round.FeretMax, 0.95, 1.0);
        Assert.InRange(hook.Solidity, 0.2, 0.7);
        Assert.True(hook.Circularity < 0.5, $"C circularity {hook.Circularity}");
    }

    [Fact]
    public void Should_FindDarkParticles_WithAutoPolarity()
    {
        // Given dark disks on a bright background
        var disks = ParticleFields.Scatter(128, 128, [8, 9, 10, 11, 12], seed: 61);
        var image = ParticleFields.Render(128, 128, disks, seed: 62, background: 0.8f, particle: 0.3f);

        // When segmented with auto polarity
        var result = new ParticleSegmenter().Segment(image);

        // Then the dark phase is taken as the particles
        Assert.Equal(ParticlePolarity.Dark, result.Polarity);
        Assert.Equal(5, result.Particles.Count);
    }

    [Fact]
    public void Should_RejectBadOptions_NamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ParticleSegmenter(new ParticleSegmentationOptions { PeakHeight = double.NaN }));
        Assert.Equal(nameof(ParticleSegmentationOptions.PeakHeight), ex.ParamName);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ParticleSegmenter(new ParticleSegmentationOptions { MinArea = 0 }));
        Assert.Equal(nameof(ParticleSegmentationOptions.MinArea), ex.ParamName);
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
