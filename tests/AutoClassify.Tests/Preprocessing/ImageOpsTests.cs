using AutoClassify.Imaging;
using AutoClassify.Native;
using AutoClassify.Preprocessing;

namespace AutoClassify.Tests.Preprocessing;

public class ImageOpsTests
{
    [Fact]
    public void Should_place_the_Otsu_threshold_between_the_two_modes()
    {
        // Given a noisy bimodal image: a bright square (0.7) on a dark background (0.2)
        var random = new Random(11);
        var image = new GrayImage(64, 64);
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                var bright = x is >= 16 and < 48 && y is >= 16 and < 48;
                image[x, y] = (float)Math.Clamp((bright ? 0.7 : 0.2) + (0.04 * TestShapes.Gaussian(random)), 0, 1);
            }
        }

        // When Otsu thresholds it
        var result = ImageOps.ThresholdOtsu(image);

        // Then the threshold separates the modes and the mask is the square
        Assert.InRange(result.Threshold, 0.3, 0.6);
        Assert.Equal(32 * 32, result.Mask.Count());
        Assert.True(result.Mask[30, 30]);
        var inverted = ImageOps.ThresholdOtsu(image, invert: true);
        Assert.Equal((64 * 64) - (32 * 32), inverted.Mask.Count());
    }

    [Fact]
    public void Should_resize_by_averaging_areas()
    {
        // Given a fine checkerboard of 0 and 1
        var image = new GrayImage(8, 6);
        for (var y = 0; y < 6; y++)
        {
            for (var x = 0; x < 8; x++)
                image[x, y] = (x + y) % 2;
        }

        // When it is halved with area interpolation, and enlarged with cubic
        var half = ImageOps.Resize(image, 4, 3);
        var large = ImageOps.Resize(image, 20, 15, ResizeInterpolation.Cubic);

        // Then every output pixel is the mean grey, and cubic overshoot is clipped to [0, 1]
        Assert.Equal((4, 3), (half.Width, half.Height));
        Assert.All(half.Pixels, p => Assert.Equal(0.5f, p, 1e-5f));
        Assert.All(large.Pixels, p => Assert.InRange(p, 0f, 1f));
    }

    [Fact]
    public void Should_find_a_faint_spot_on_a_ramp_with_an_adaptive_threshold()
    {
        // Given a ramp from 0.3 to 0.7 with a 4x4 spot 0.1 brighter than its surroundings
        var image = new GrayImage(64, 64);
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
                image[x, y] = 0.3f + (0.4f * x / 63);
        }
        for (var y = 30; y < 34; y++)
        {
            for (var x = 10; x < 14; x++)
                image[x, y] += 0.1f;
        }

        // When each pixel is compared with its local mean plus 0.04
        var mask = ImageOps.AdaptiveThreshold(image, blockSize: 15, c: -0.04, AdaptiveThresholdMethod.Mean);

        // Then exactly the spot is found, although it is darker than the ramp's bright end
        Assert.True(mask[11, 31]);
        Assert.False(mask[60, 31]);
        Assert.Equal(16, mask.Count());
    }

    [Fact]
    public void Should_open_away_specks_and_close_gaps()
    {
        // Given a disk with a one-pixel crack, plus an isolated speck
        var mask = TestShapes.Disk(48, 12);
        for (var x = 24; x < 40; x++)
            mask[x, 24] = false;
        mask[3, 3] = true;

        // When opened and closed with a small ellipse
        var opened = ImageOps.Morphology(mask, MorphologyOperation.Open, 3);
        var closed = ImageOps.Morphology(mask, MorphologyOperation.Close, 3);
        var eroded = ImageOps.Morphology(mask, MorphologyOperation.Erode, 3, KernelShape.Rectangle, iterations: 2);

        // Then the speck is gone, the crack is filled, and erosion shrinks the object
        Assert.False(opened[3, 3]);
        Assert.True(closed[30, 24]);
        Assert.True(eroded.Count() < mask.Count() - 100);
        Assert.Equal((byte)1, closed.Data.Max());
    }

    [Fact]
    public void Should_fill_the_hole_of_a_ring()
    {
        var disk = TestShapes.Disk(40, 14);
        var ring = new BinaryMask(40, 40, disk.Data.Zip(TestShapes.Disk(40, 10).Data, (a, b) => (byte)(a & (1 - b))).ToArray());

        var filled = ImageOps.FillHoles(ring);

        Assert.Equal(disk.Data, filled.Data);
    }

    [Fact]
    public void Should_label_components_with_their_area_box_and_centroid()
    {
        // Given two disks
        var mask = TestShapes.Disk(64, 8, 16, 16);
        var second = TestShapes.Disk(64, 5, 45, 40);
        for (var i = 0; i < mask.Data.Length; i++)
            mask.Data[i] |= second.Data[i];

        // When labelled
        var labeling = ImageOps.ConnectedComponents(mask);

        // Then there are two objects with the drawn geometry
        Assert.Equal(2, labeling.ObjectCount);
        var big = labeling.Components.Skip(1).MaxBy(c => c.Area);
        Assert.Equal(TestShapes.Disk(64, 8, 16, 16).Count(), big.Area);
        Assert.Equal((8, 8, 17, 17), (big.Left, big.Top, big.Width, big.Height));
        Assert.Equal(16.0, big.CentroidX, 1e-9);
        Assert.Equal(16.0, big.CentroidY, 1e-9);
        Assert.Equal(big.Label, labeling.Labels[(16 * 64) + 16]);
        Assert.Equal(0, labeling.Labels[0]);
    }

    [Fact]
    public void Should_trace_the_outer_contour_of_a_square()
    {
        // Given a filled 10x10 square with a hole
        var mask = new BinaryMask(20, 20);
        for (var y = 5; y < 15; y++)
        {
            for (var x = 5; x < 15; x++)
                mask[x, y] = true;
        }
        mask[9, 9] = false;

        // When its contours are found
        var contours = ImageOps.FindContours(mask);

        // Then the only (external) contour runs through the boundary pixel centres
        var contour = Assert.Single(contours);
        Assert.Equal(36, contour.Points.Count);
        Assert.Equal(36.0, contour.Perimeter, 1e-9);
        Assert.Equal(81.0, contour.Area, 1e-9);
        Assert.Equal(81.0, contour.HullArea, 1e-9);
        Assert.All(contour.Points, p => Assert.True(p.X is 5 or 14 || p.Y is 5 or 14));
    }

    [Fact]
    public void Should_give_an_ellipse_the_central_moments_of_geometry()
    {
        // Given an ellipse with semi-axes 40 (x) and 20 (y)
        const double a = 40, b = 20;
        var mask = TestShapes.Ellipse(96, a, b);

        // When its moments are computed
        var m = ImageOps.Moments(mask);

        // Then mu20 = pi a^3 b / 4, mu02 = pi a b^3 / 4 and the odd moments vanish by symmetry
        Assert.Equal(Math.PI * a * a * a * b / 4, m.Mu20, Math.PI * a * a * a * b / 4 * 0.03);
        Assert.Equal(Math.PI * a * b * b * b / 4, m.Mu02, Math.PI * a * b * b * b / 4 * 0.03);
        Assert.Equal(0, m.Mu30, 1e-6 * m.Mu20);
        Assert.Equal(0, m.Mu03, 1e-6 * m.Mu20);
        Assert.Equal(mask.Count(), m.M00);
        Assert.Equal(48, m.CentroidX, 1e-9);
        Assert.Equal(m.Mu20 / (m.M00 * m.M00), m.Nu20, 1e-12);
    }

    [Fact]
    public void Should_weigh_image_moments_by_intensity()
    {
        var mask = TestShapes.Disk(32, 6, 10, 20);
        var image = TestShapes.Fill(mask, 0.5f, 0f);

        var m = ImageOps.Moments(image);

        Assert.Equal(0.5 * mask.Count(), m.M00, 1e-3);
        Assert.Equal(10, m.CentroidX, 1e-4);
        Assert.Equal(20, m.CentroidY, 1e-4);
    }

    [Fact]
    public void Should_measure_exact_distances_to_the_background()
    {
        // Given a disk of radius 20 and a mask with no background at all
        var disk = TestShapes.Disk(64, 20, 32, 32);
        var full = new BinaryMask(21, 21, Enumerable.Repeat((byte)1, 21 * 21).ToArray());

        // When distance transforms are computed
        var distances = ImageOps.DistanceTransform(disk);
        var framed = ImageOps.DistanceTransform(full, borderIsBackground: true);

        // Then the centre is about one radius deep, outside is 0, and the crop edge can serve as background
        Assert.InRange(distances[(32 * 64) + 32], 19.5, 21.01);
        Assert.Equal(0, distances[0]);
        Assert.Equal(1f, distances[(32 * 64) + 12], 1e-4f);
        Assert.Equal(11f, framed[(10 * 21) + 10], 1e-4f);
        Assert.Equal(1f, framed[0], 1e-4f);
    }

    [Fact]
    public unsafe void Should_surface_an_OpenCV_side_error_as_a_NativeException()
    {
        // Given a bad interpolation code passed straight to the shim
        var pixels = new float[4];
        var output = new float[4];
        fixed (float* source = pixels)
        fixed (float* destination = output)
            NativeMethods.ImageResize(source, 2, 2, destination, 2, 2, interpolation: 9);

        // Then the native message reaches C#
        var ex = Assert.Throws<NativeException>(NativeShim.CheckForErrors);
        Assert.Contains("interpolation", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_an_even_adaptive_block_size()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ImageOps.AdaptiveThreshold(TestShapes.Gradient(8, 8), 4, 0));

        Assert.Equal("blockSize", ex.ParamName);
    }
}
