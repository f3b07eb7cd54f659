using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Segmentation;

namespace AutoClassify.Tests.Segmentation;

public class ParticleFeaturesTests
{
    [Fact]
    public void Should_GiveEnergyOne_AndContrastZero_ForAConstantImage()
    {
        // Given a flat grey image
        var image = new GrayImage(40, 30);
        Array.Fill(image.Pixels, 0.4f);

        // When its co-occurrence statistics are taken
        var glcm = TextureFeatures.Glcm(image, 1, 0);

        // Then it is perfectly uniform
        Assert.Equal(1.0, glcm.Energy, 12);
        Assert.Equal(0.0, glcm.Contrast, 12);
        Assert.Equal(1.0, glcm.Homogeneity, 12);
    }

    [Fact]
    public void Should_GiveHighContrast_AndNegativeCorrelation_ForACheckerboard()
    {
        // Given a one-pixel black/white checkerboard
        var image = new GrayImage(32, 32);
        for (var y = 0; y < 32; y++)
            for (var x = 0; x < 32; x++)
                image[x, y] = (x + y) % 2 == 0 ? 0f : 1f;

        // When compared at horizontal and diagonal offsets
        var horizontal = TextureFeatures.Glcm(image, 1, 0);
        var diagonal = TextureFeatures.Glcm(image, 1, 1);

        // Then neighbours always differ by the full range, while diagonal neighbours are equal
        Assert.Equal(31.0 * 31.0, horizontal.Contrast, 6);
        Assert.Equal(-1.0, horizontal.Correlation, 6);
        Assert.Equal(0.0, diagonal.Contrast, 6);
    }

    [Fact]
    public void Should_ProduceAnLbpHistogramSummingToOne()
    {
        // Given a noisy image and a flat one
        var noisy = ParticleFields.Render(50, 40, [new Disk(20, 20, 8)], seed: 3, noise: 0.2);
        var flat = new GrayImage(20, 20);

        // When their uniform LBP histograms are taken
        var h = TextureFeatures.LbpHistogram(noisy);
        var f = TextureFeatures.LbpHistogram(flat);

        // Then each sums to 1, and a flat image is all "every neighbour at or above the centre"
        Assert.Equal(TextureFeatures.LbpBins, h.Length);
        Assert.Equal(1.0, h.Sum(), 9);
        Assert.True(h[TextureFeatures.LbpBins - 1] > 0, "noise makes non-uniform patterns");
        Assert.Equal(1.0, f[8], 12);
    }

    [Fact]
    public void Should_ExtractNamedFiniteParticleFeatures_ForABatch()
    {
        // Given two fields, one with 10 disks of radius 8 and one empty
        var disks = ParticleFields.Scatter(128, 128, Enumerable.Repeat(8.0, 10).ToList(), seed: 71);
        var field = ParticleFields.Render(128, 128, disks, seed: 72);
        var empty = ParticleFields.Render(128, 128, [], seed: 73);

        // When both are extracted on two threads
        var matrix = ParticleFeatures.ExtractAll([field, empty], threads: 2);

        // Then names are unique and aligned, values finite, and the statistics describe the disks
        Assert.Equal(ParticleFeatures.Names.Count, matrix.Dimension);
        Assert.Equal(matrix.Names.Count, matrix.Names.Distinct().Count());
        Assert.All(matrix.Rows.SelectMany(r => r), v => Assert.True(double.IsFinite(v)));
        var row = matrix.Rows[0];
        double Feature(string name) => row[ParticleFeatures.Names.ToList().IndexOf(name)];
        Assert.Equal(10, Feature("particle_count"));
        Assert.Equal(10 / (128.0 * 128 / 1e6), Feature("particle_density"), 6);
        Assert.InRange(Feature("particle_diameter_q50"), 15, 17.5);
        Assert.InRange(Feature("particle_circularity_q50"), 0.85, 1.0);
    }
}
