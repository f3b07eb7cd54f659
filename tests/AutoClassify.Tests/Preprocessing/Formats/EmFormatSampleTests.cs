using AutoClassify.Imaging;
using AutoClassify.Imaging.Formats;
using AutoClassify.Preprocessing;

namespace AutoClassify.Tests.Preprocessing.Formats;

/// <summary>The readers against real files with known sizes, types and pixel sizes (see the em-formats README).</summary>
public class EmFormatSampleTests
{
    [Theory]
    [InlineData("mrc_mode6_uint16_16x16_velox_FEI2exthdr_5.68nm.mrc", 16, 16, 1, "uint16", 5.67913, 5.67913)]
    [InlineData("mrcs_mode2_float32_20x20x10_stack_11.4A.mrcs", 20, 20, 10, "float32", 1.14, 1.14)]
    [InlineData("mrcs_mode2_float32_73x43x10_stack_nonsquare_0.448A.mrcs", 73, 43, 10, "float32", 0.044825, 0.044825)]
    [InlineData("mrc_mode12_float16_20x20x20_11.4A.mrc", 20, 20, 20, "float16", 1.14, 1.14)]
    [InlineData("mrc_mode2_float32_128x128x3_oldheader_2A.mrc", 128, 128, 3, "float32", 0.2, 0.2)]
    [InlineData("mrc_mode6_uint16_16x16x30_DE_movie_negative_cell.mrc", 16, 16, 30, "uint16", 1.0, 1.0)]
    public void Should_read_mrc_headers_sections_and_the_pixel_size_over_the_sampling(string name, int width, int height, int sections,
        string type, double nmX, double nmY)
    {
        // Given a real MRC file
        var path = EmSamples.File(name);

        // When its header and its last section are read
        var header = MrcReader.ReadHeader(path);
        var last = EmFormats.Read(sections > 1 ? EmPath.Section(path, sections - 1) : path);

        // Then size, sections, type and cella / mx (Å to nm) match the file's own metadata
        Assert.Equal((width, height, sections), (header.Width, header.Height, header.Sections));
        Assert.Equal(sections, EmFormats.SectionCount(path));
        Assert.Equal((width, height, type), (last.Width, last.Height, last.DataType));
        Assert.NotNull(last.Scale);
        Assert.Equal(nmX, last.Scale.Size.NanometresX, 4);
        Assert.Equal(nmY, last.Scale.Size.NanometresY, 4);
        Assert.Equal("MRC header (cella / mx)", last.Scale.Source);
        Assert.All(last.Values, v => Assert.True(float.IsFinite(v)));
        Assert.True(last.Values.Max() > last.Values.Min(), "the section's values should not be constant");
        var grey = IntensityMapping.ToGray(last);
        Assert.Equal(0f, grey.Pixels.Min());
        Assert.Equal(1f, grey.Pixels.Max());
    }

    [Fact]
    public void Should_start_the_data_after_the_extended_header()
    {
        var header = MrcReader.ReadHeader(EmSamples.File("mrc_mode6_uint16_16x16_velox_FEI2exthdr_5.68nm.mrc"));

        Assert.Equal(1024 + 909_312, header.DataOffset);
        Assert.Equal(910_848, header.DataOffset + 16 * 16 * 2);
    }

    [Fact]
    public void Should_take_the_absolute_value_of_a_negative_cell_and_warn()
    {
        var image = EmFormats.Read(EmPath.Section(EmSamples.File("mrc_mode6_uint16_16x16x30_DE_movie_negative_cell.mrc"), 0));

        Assert.Equal(1.0, image.Scale!.Size.NanometresX, 6);
        Assert.Contains(image.Warnings, w => w.Contains("negative", StringComparison.Ordinal) && w.Contains("DE_movie", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_read_different_sections_of_a_stack()
    {
        var path = EmSamples.File("mrcs_mode2_float32_20x20x10_stack_11.4A.mrcs");

        var first = EmFormats.Read(EmPath.Section(path, 0));
        var second = EmFormats.Read(path + "#2");

        Assert.EndsWith(".mrcs#1", first.Source, StringComparison.Ordinal);
        Assert.NotEqual(first.Values, second.Values);
        var ex = Assert.Throws<ImageDecodeException>(() => EmFormats.Read(path + "#11"));
        Assert.Contains("10 section(s)", ex.Message, StringComparison.Ordinal);
        var whole = Assert.Throws<ImageDecodeException>(() => EmFormats.Read(path));
        Assert.Contains("stack of 10 images", whole.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("map_mode2_float32_20x20x20_volume_11.4A.map")]
    [InlineData("map_mode2_float32_73x43x25_P21_axisorder312.map")]
    public void Should_refuse_3d_maps_naming_the_file(string name)
    {
        var path = EmSamples.File(name);

        var ex = Assert.Throws<ImageDecodeException>(() => EmFormats.Read(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("3D map", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dm3_uint16_512x512_HAADF_calibrated_nm.dm3", 512, 512, "uint16", 0.0177516, 0.0177516)]
    [InlineData("dm3_uint32_68x68_STEM_calibrated_nm.dm3", 68, 68, "uint32", 0.248538, 0.248538)]
    [InlineData("dm3_int32_68x68_calibrated_um.dm3", 68, 68, "int32", 168.675, 168.675)]
    [InlineData("dm3_float32_128x64_nonsquare_nm_and_A.dm3", 128, 64, "float32", 1.0, 0.2)]
    [InlineData("dm4_float32_128x64_nonsquare_nm_and_A.dm4", 128, 64, "float32", 1.0, 0.2)]
    public void Should_read_dm_images_and_their_calibration(string name, int width, int height, string type, double nmX, double nmY)
    {
        var image = DmReader.Read(EmSamples.File(name));

        Assert.Equal((width, height, type), (image.Width, image.Height, image.DataType));
        Assert.Equal(width * height, image.Values.Length);
        Assert.NotNull(image.Scale);
        Assert.Equal(nmX, image.Scale.Size.NanometresX, 3);
        Assert.Equal(nmY, image.Scale.Size.NanometresY, 3);
        Assert.Equal("DM calibration", image.Scale.Source);
        Assert.True(image.Values.Max() > image.Values.Min());
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("uint8")]
    [InlineData("int16")]
    [InlineData("uint16")]
    [InlineData("int32")]
    [InlineData("uint32")]
    [InlineData("float32")]
    [InlineData("float64")]
    public void Should_read_every_dm_pixel_type_in_dm3_and_dm4(string type)
    {
        foreach (var version in new[] { "dm3", "dm4" })
        {
            var image = EmFormats.Read(EmSamples.File($"{version}_{type}_2x2_uncalibrated.{version}"));

            Assert.Equal(type, image.DataType);
            Assert.Equal([1f, 2f, 3f, 4f], image.Values);
            Assert.Null(image.Scale);
        }
    }

    [Fact]
    public void Should_refuse_a_reciprocal_calibration_as_a_pixel_size_and_say_so()
    {
        var image = DmReader.Read(EmSamples.File("dm3_int32_87x87_diffraction_calibrated_1pernm.dm3"));

        Assert.Equal((87, 87), (image.Width, image.Height));
        Assert.Null(image.Scale);
        Assert.Contains(image.Warnings, w => w.Contains("1/nm", StringComparison.Ordinal) && w.Contains("reciprocal", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dm3_uint16_3d_64x64x91_tiltseries_um_deg.dm3", "64x64x91")]
    [InlineData("dm4_int16_3d_64x65x66_pm_nm_um.dm4", "64x65x66")]
    public void Should_refuse_3d_dm_data_naming_the_file(string name, string size)
    {
        var path = EmSamples.File(name);

        var ex = Assert.Throws<ImageDecodeException>(() => EmFormats.Read(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"3D data set of {size}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2D images only", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tif_fei_helios_sem_8bit_512x471_PixelWidth_3.37um.tif", 3372.4, "FEI/Thermo tag 34682 PixelWidth")]
    [InlineData("tif_fei_helios_sem_16bit_512x471_PixelWidth_3.37um.tif", 3372.4, "FEI/Thermo tag 34682 PixelWidth")]
    [InlineData("tif_zeiss_sem_8bit_1024x768_ImagePixelSize_2.615um.tif", 2615, "Zeiss tag 34118 Image Pixel Size")]
    [InlineData("tif_zeiss_sem_8bit_512x384_PixelSize_5.825nm.tif", 5.825, "Zeiss tag 34118 Pixel Size")]
    [InlineData("tif_tvips_tem_8bit_1024x1024_restags_cm_1.42nm.tif", 1.4208, "TIFF resolution tags")]
    [InlineData("tif_imagej_float32_68x68_restags_micron.tif", 168.675, "ImageJ resolution tags and unit")]
    [InlineData("tif_dm_export_int32_68x68_tags65009_um.tif", 168.675, "DigitalMicrograph TIFF tags 65009/65010")]
    public void Should_read_the_pixel_size_of_vendor_tiffs(string name, double nm, string source)
    {
        var reading = ImageScales.Read(EmSamples.File(name));

        Assert.NotNull(reading.Scale);
        Assert.Equal(nm, reading.Scale.Size.NanometresX, nm * 1e-4);
        Assert.Equal(nm, reading.Scale.Size.NanometresY, nm * 1e-4);
        Assert.Equal(source, reading.Scale.Source);
    }

    [Theory]
    [InlineData("tia_v220_int32_128x128_5.26nm_1.ser", 128, "int32", 5.26121)]
    [InlineData("tia_v210_float32_64x64_6.28nm_1.ser", 64, "float32", 6.28183)]
    [InlineData("tia_v210_uint16_1024x1024_STEM_STO_10pm_1.ser", 1024, "uint16", 0.0100127)]
    public void Should_read_tia_ser_images_and_their_calibration(string name, int size, string type, double nm)
    {
        var image = EmFormats.Read(EmSamples.File(name));

        Assert.Equal((size, size, type), (image.Width, image.Height, image.DataType));
        Assert.Equal(nm, image.Scale!.Size.NanometresX, nm * 1e-4);
        Assert.True(image.Values.Max() > image.Values.Min());
    }

    [Fact]
    public void Should_decode_microscope_files_through_the_codec_to_unit_grey()
    {
        var grey = ImageCodec.Decode(EmSamples.File("dm3_uint16_512x512_HAADF_calibrated_nm.dm3"));

        Assert.Equal((512, 512), (grey.Width, grey.Height));
        Assert.Equal(0f, grey.Pixels.Min());
        Assert.Equal(1f, grey.Pixels.Max());
    }

    [Theory]
    [InlineData("tif_imagej_float32_68x68_restags_micron.tif", "float32")]
    [InlineData("tif_dm_export_int32_68x68_tags65009_um.tif", "int32")]
    public void Should_map_32_bit_tiffs_through_the_intensity_mapping(string name, string type)
    {
        // Given 32-bit TIFFs that OpenCV passes through unscaled (float) or refuses (int32)
        var path = EmSamples.File(name);

        // When they are decoded
        var raw = EmFormats.Read(path);
        var grey = ImageCodec.Decode(path);

        // Then LibTiff reads the stored values and the percentile mapping brings them to [0, 1]
        Assert.Equal((68, 68, type), (raw.Width, raw.Height, raw.DataType));
        Assert.True(raw.Values.Max() > 1, "the stored values are not already in [0, 1]");
        Assert.Equal(0f, grey.Pixels.Min());
        Assert.Equal(1f, grey.Pixels.Max());
        Assert.Equal(IntensityMapping.ToGray(raw).Pixels, grey.Pixels);
        Assert.False(EmFormats.HandlesFile(EmSamples.File("tif_fei_helios_sem_16bit_512x471_PixelWidth_3.37um.tif")));
    }
}
