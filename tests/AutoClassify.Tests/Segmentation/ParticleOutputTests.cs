using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Segmentation;
using AutoClassify.Tests.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Segmentation;

public class ParticleOutputTests
{
    [Fact]
    public void Should_RoundTripLabels_ThroughThe16BitPng()
    {
        // Given a segmented field of 12 disks
        var disks = ParticleFields.Scatter(96, 96, Enumerable.Repeat(6.0, 12).ToList(), seed: 81);
        var result = new ParticleSegmenter().Segment(ParticleFields.Render(96, 96, disks, seed: 82));
        using var temp = new TempDirectory("seg-out");

        // When the labels are saved and read back
        var path = temp.File("labels.png");
        ParticleOutput.SaveLabels(result, path);
        var back = ImageCodec.Decode(File.ReadAllBytes(path), path, out var depth);

        // Then every pixel keeps its label exactly
        Assert.Equal(16, depth);
        for (var i = 0; i < back.Pixels.Length; i++)
            Assert.Equal(result.Labels[i], (int)MathF.Round(back.Pixels[i] * ushort.MaxValue));
    }

    [Fact]
    public void Should_WriteInvariantCsv_WithOneRowPerParticle_UnderAnyCulture()
    {
        // Given a segmented field with a known scale, under a comma-decimal culture
        using var culture = new CultureScope("de-DE");
        var disks = ParticleFields.Scatter(96, 96, Enumerable.Repeat(7.0, 5).ToList(), seed: 83);
        var result = new ParticleSegmenter(new ParticleSegmentationOptions { NmPerPixel = 2.5 }).Segment(ParticleFields.Render(96, 96, disks, seed: 84));

        // When particles and summaries are written
        using var particles = new StringWriter(CultureInfo.InvariantCulture);
        ParticleOutput.WriteParticles(particles, [SegmentedImage.From("a, b/field.png", result)]);
        using var summary = new StringWriter(CultureInfo.InvariantCulture);
        ParticleOutput.WriteSummaries(summary, [SegmentedImage.From("a, b/field.png", result)]);

        // Then there is a header and one row per particle, decimals use points, and the odd path is quoted
        var lines = particles.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(",", ParticleOutput.ParticleColumns), lines[0].TrimEnd('\r'));
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("\"a, b/field.png\",1,false,nm,", lines[1], StringComparison.Ordinal);
        var diameter = double.Parse(lines[1].Split(',')[6], CultureInfo.InvariantCulture);
        Assert.InRange(diameter, 2.5 * 12, 2.5 * 16);
        var summaryLines = summary.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, summaryLines.Length);
        Assert.Contains(",nm,5,0,5,", summaryLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RenderAColourOverlay_WithTheImageSize()
    {
        // Given a segmented field
        var image = ParticleFields.Render(80, 60, [new Disk(30, 30, 10), new Disk(78, 30, 8)], seed: 85);
        var result = new ParticleSegmenter().Segment(image);

        using var temp = new TempDirectory("seg-overlay");

        // When rendered as an overlay
        var path = temp.File("overlay.png");
        ParticleOutput.SaveOverlay(image, result, path);

        // Then it is an RGB PNG of the same size: the whole disk is tinted, the border-cut one only outlined
        var decoded = PngImage.Read(path);
        Assert.Equal((80, 60), (decoded.Width, decoded.Height));
        var (r, g, b) = decoded[30, 30];
        Assert.False(r == g && g == b, "a measured particle is tinted");
        var (r2, g2, b2) = decoded[76, 30];
        Assert.True(r2 == g2 && g2 == b2, "a border-cut particle's inside stays grey");
        var (r3, g3, b3) = decoded[5, 5];
        Assert.True(r3 == g3 && g3 == b3, "background stays grey");
    }
}
