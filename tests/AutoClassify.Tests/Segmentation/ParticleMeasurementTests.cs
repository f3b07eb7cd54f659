using AutoClassify.Imaging;
using AutoClassify.Segmentation;

namespace AutoClassify.Tests.Segmentation;

public class ParticleMeasurementTests
{
    [Fact]
    public void Should_renumber_any_ids_drop_small_particles_and_flag_those_cut_by_the_border()
    {
        // Given a 20 x 12 label map with ids 7 (a 4 x 4 square inside), 300 (a 3 x 2 bar on the left edge) and 5 (one pixel)
        int width = 20, height = 12;
        var labels = new int[width * height];
        for (var y = 3; y < 7; y++)
        {
            for (var x = 8; x < 12; x++)
                labels[(y * width) + x] = 7;
        }
        for (var y = 1; y < 3; y++)
        {
            for (var x = 0; x < 3; x++)
                labels[(y * width) + x] = 300;
        }
        labels[(10 * width) + 15] = 5;
        var image = new GrayImage(width, height, [.. Enumerable.Repeat(0.5f, width * height)]);

        // When measured with a minimum area of 2 at 10 nm per pixel
        var segmentation = ParticleMeasurement.FromLabels(image, labels, minArea: 2, nmPerPixel: 10);

        // Then the bar (first in raster order) is particle 1 and cut by the border, the square is 2, the speck is gone
        Assert.Equal(2, segmentation.Particles.Count);
        Assert.Equal((1, 6, true), (segmentation.Particles[0].Label, segmentation.Particles[0].Area, segmentation.Particles[0].TouchesBorder));
        Assert.Equal((2, 16, false), (segmentation.Particles[1].Label, segmentation.Particles[1].Area, segmentation.Particles[1].TouchesBorder));
        Assert.Equal(0, segmentation.Labels[(10 * width) + 15]);
        Assert.Equal(2, segmentation.Labels[(3 * width) + 8]);
        Assert.Equal(1, segmentation.Summary.MeasuredCount);
        Assert.Equal(10 * Math.Sqrt(4 * 16 / Math.PI), segmentation.Summary.DiameterQ50, 9);
        Assert.Equal("nm", segmentation.Summary.Unit);
        Assert.Equal(7, labels[(3 * width) + 8]);
    }

    [Fact]
    public void Should_refuse_a_label_map_of_another_size_or_with_negative_ids()
    {
        var image = new GrayImage(4, 4);

        Assert.Throws<ArgumentException>(() => ParticleMeasurement.FromLabels(image, new int[15], 1, null));
        Assert.Throws<ArgumentException>(() => ParticleMeasurement.FromLabels(image, [.. Enumerable.Repeat(-1, 16)], 1, null));
    }
}
