using AutoClassify.Imaging.Formats;

namespace AutoClassify.Tests.Preprocessing.Formats;

public class IntensityMappingTests
{
    [Fact]
    public void Should_map_8_bit_data_by_its_fixed_range()
    {
        var unsigned = IntensityMapping.ToGray(new EmImage("u8", 3, 1, [0, 51, 255], "uint8", null, []));
        var signed = IntensityMapping.ToGray(new EmImage("i8", 2, 1, [-128, 127], "int8", null, []));

        Assert.Equal([0f, 0.2f, 1f], unsigned.Pixels);
        Assert.Equal([0f, 1f], signed.Pixels);
    }

    [Fact]
    public void Should_clip_wide_data_at_its_own_percentiles()
    {
        // Given a 16-bit ramp 0..999 with one hot pixel and one dead pixel
        var values = Enumerable.Range(0, 1000).Select(v => (float)v).ToArray();
        values[500] = 60_000;
        values[501] = float.NaN;

        var grey = IntensityMapping.ToGray(new EmImage("ramp", 1000, 1, values, "uint16", null, []));

        // Then the 0.5 % and 99.5 % points span [0, 1], the hot pixel saturates, the dead one is 0, and the middle keeps its order
        var (low, high) = IntensityMapping.Percentiles(values);
        Assert.InRange(low, 4, 6);
        Assert.InRange(high, 993, 996);
        Assert.Equal(0f, grey.Pixels[0]);
        Assert.Equal(1f, grey.Pixels[999]);
        Assert.Equal(1f, grey.Pixels[500]);
        Assert.Equal(0f, grey.Pixels[501]);
        Assert.Equal((250 - low) / (high - low), grey.Pixels[250], 5);
        Assert.True(grey.Pixels[300] < grey.Pixels[700]);
    }

    [Fact]
    public void Should_map_a_constant_image_to_zero_and_a_two_level_image_to_its_extremes()
    {
        var flat = IntensityMapping.ToGray(new EmImage("flat", 4, 1, [7, 7, 7, 7], "float32", null, []));
        // 999 dark pixels and one bright: the percentiles coincide, so the full range is used
        var sparse = Enumerable.Repeat(1f, 999).Append(9f).ToArray();
        var spot = IntensityMapping.ToGray(new EmImage("spot", 1000, 1, sparse, "float32", null, []));

        Assert.All(flat.Pixels, p => Assert.Equal(0f, p));
        Assert.Equal(1f, spot.Pixels[999]);
        Assert.Equal(0f, spot.Pixels[0]);
    }
}
