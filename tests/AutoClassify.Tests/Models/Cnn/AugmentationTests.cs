using AutoClassify.Models.Cnn;

namespace AutoClassify.Tests.Models.Cnn;

public class AugmentationTests
{
    // Applies theta the way affine_grid does (normalised output → normalised input), then converts to pixels.
    static (double X, double Y) MapPixel(float[] theta, int width, int height, double px, double py)
    {
        double nx = (px + 0.5) / width * 2 - 1, ny = (py + 0.5) / height * 2 - 1;
        var ix = theta[0] * nx + theta[1] * ny + theta[2];
        var iy = theta[3] * nx + theta[4] * ny + theta[5];
        return ((ix + 1) / 2 * width - 0.5, (iy + 1) / 2 * height - 0.5);
    }

    [Fact]
    public void Should_draw_the_identity_theta_when_every_transform_is_off()
    {
        var augmenter = new AffineAugmenter(AugmentationOptions.None, seed: 1);

        var thetas = augmenter.DrawThetas(4, 28, 20);

        for (var i = 0; i < 4; i++)
            Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, thetas.AsSpan(i * 6, 6).ToArray());
    }

    [Fact]
    public void Should_draw_the_identity_theta_at_zero_strength_even_with_transforms_on()
    {
        var zero = new AugmentationOptions { MaxRotationDegrees = 0, MaxShear = 0, MaxShiftFraction = 0, MinZoom = 1, MaxZoom = 1, FlipProbability = 0 };
        var augmenter = new AffineAugmenter(zero, seed: 2);

        var theta = augmenter.DrawThetas(1, 32, 32);

        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, theta);
    }

    [Fact]
    public void Should_rotate_by_a_true_angle_on_a_non_square_image()
    {
        // Given a 90° rotation on a 40x20 image, a pixel 8 px right of the centre samples 8 px below (or above) it.
        var theta = new AffineDraw(90, 0, 0, 0, 1, false, false).ToTheta(40, 20);

        var (x, y) = MapPixel(theta, 40, 20, 19.5 + 8, 9.5);

        Assert.Equal(19.5, x, 4);
        Assert.Equal(8, Math.Abs(y - 9.5), 4);
    }

    [Fact]
    public void Should_flip_with_a_negative_scale_and_shift_by_fractions_of_the_size()
    {
        var flip = new AffineDraw(0, 0, 0, 0, 1, true, false).ToTheta(30, 10);
        var shift = new AffineDraw(0, 0, 0.1, -0.1, 1, false, false).ToTheta(30, 10);

        Assert.Equal(new float[] { -1, 0, 0, 0, 1, 0 }, flip);
        var (x, y) = MapPixel(shift, 30, 10, 10, 5);
        Assert.Equal(10 + 3, x, 4);
        Assert.Equal(5 - 1, y, 4);
    }

    [Fact]
    public void Should_sample_a_smaller_field_when_zooming_below_one()
    {
        var theta = new AffineDraw(0, 0, 0, 0, 0.8, false, false).ToTheta(28, 28);

        // The corner of the output reads 80 % of the way from the centre to the input's corner.
        var (x, _) = MapPixel(theta, 28, 28, -0.5, -0.5);

        Assert.Equal(14 - 0.8 * 14 - 0.5, x, 4);
    }

    [Fact]
    public void Should_keep_draws_within_their_ranges()
    {
        var augmenter = new AffineAugmenter(AugmentationOptions.Default, seed: 3);

        var draws = Enumerable.Range(0, 2000).Select(_ => augmenter.Draw()).ToList();

        Assert.All(draws, d =>
        {
            Assert.InRange(d.RotationDegrees, -180, 180);
            Assert.InRange(d.Shear, 0, 0.2);
            Assert.InRange(d.ShiftX, -0.1, 0.1);
            Assert.InRange(d.ShiftY, -0.1, 0.1);
            Assert.InRange(d.Zoom, 0.8, 1.0);
        });
        Assert.InRange(draws.Count(d => d.FlipX) / 2000.0, 0.45, 0.55);
        Assert.InRange(draws.Count(d => d.FlipY) / 2000.0, 0.45, 0.55);
    }

    [Fact]
    public void Should_switch_each_transform_off_on_its_own_without_changing_the_others()
    {
        var all = new AffineAugmenter(AugmentationOptions.Default, seed: 4);
        var noRotation = new AffineAugmenter(AugmentationOptions.Default with { Rotate = false }, seed: 4);

        var a = all.Draw();
        var b = noRotation.Draw();

        Assert.Equal(0, b.RotationDegrees);
        Assert.Equal(a with { RotationDegrees = 0 }, b);
    }

    [Fact]
    public void Should_parse_and_print_transform_lists()
    {
        var options = AugmentationOptions.Parse("rotate, hflip");

        Assert.True(options.Rotate);
        Assert.True(options.FlipHorizontal);
        Assert.False(options.Shear || options.Shift || options.Zoom || options.FlipVertical);
        Assert.Equal("rotate,hflip", options.ToString());
        Assert.Equal("all", AugmentationOptions.Parse("all").ToString());
        Assert.True(AugmentationOptions.Parse("none").IsNone);
        Assert.Throws<FormatException>(() => AugmentationOptions.Parse("rotate,blur"));
    }

    [Fact]
    public void Should_reject_a_nan_strength_naming_it()
    {
        var bad = AugmentationOptions.Default with { MaxShear = double.NaN };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(bad.Validate);

        Assert.Equal(nameof(AugmentationOptions.MaxShear), ex.ParamName);
    }

    [Fact]
    public void Should_turn_by_exact_quarter_turns_with_whole_matrix_entries()
    {
        var quarter = new AffineDraw(0, 0, 0, 0, 1, false, false, QuarterTurns: 1).ToTheta(16, 16);
        var half = new AffineDraw(0, 0, 0, 0, 1, false, false, QuarterTurns: 2).ToTheta(16, 16);
        var plusRotation = new AffineDraw(-90, 0, 0, 0, 1, false, false, QuarterTurns: 1).ToTheta(16, 16);

        Assert.Equal(new float[] { 0, -1, 0, 1, 0, 0 }, quarter);
        Assert.Equal(new float[] { -1, 0, 0, 0, -1, 0 }, half);
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, plusRotation);
    }

    [Fact]
    public void Should_draw_the_four_quarter_turns_evenly_and_leave_the_thesis_draws_unchanged()
    {
        var field = new AffineAugmenter(AugmentationOptions.Field, seed: 6);
        var thesis = new AffineAugmenter(AugmentationOptions.Default, seed: 7);
        var thesisWithTurns = new AffineAugmenter(AugmentationOptions.Default with { QuarterTurns = true }, seed: 7);

        var turns = Enumerable.Range(0, 4000).Select(_ => field.Draw()).ToList();
        var first = thesis.Draw();
        var second = thesisWithTurns.Draw();

        Assert.All(turns, d => Assert.True(d.RotationDegrees == 0 && d.Shear == 0 && d.ShiftX == 0 && d.ShiftY == 0 && d.Zoom == 1));
        for (var t = 0; t < 4; t++)
            Assert.InRange(turns.Count(d => d.QuarterTurns == t) / 4000.0, 0.22, 0.28);
        Assert.Equal(0, first.QuarterTurns);
        Assert.Equal(first with { QuarterTurns = second.QuarterTurns }, second);
    }

    [Fact]
    public void Should_parse_the_field_preset_and_print_it_back_as_a_list()
    {
        var field = AugmentationOptions.Parse("field");

        Assert.Equal(AugmentationOptions.Field, field);
        Assert.True(field.IsExact);
        Assert.False(AugmentationOptions.Default.IsExact);
        Assert.Equal("rot90,hflip,vflip", field.ToString());
        Assert.Equal(field, AugmentationOptions.Parse(field.ToString()));
        Assert.Equal("rotate,rot90,shear,shift,zoom,hflip,vflip", (AugmentationOptions.Default with { QuarterTurns = true }).ToString());
        Assert.True(AugmentationOptions.Parse("rot90").QuarterTurns);
    }
}
