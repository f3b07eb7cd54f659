using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing;

public sealed class ScaleBarOcrTests : IDisposable
{
    readonly TempDirectory folder = new("scale-bar-ocr");

    public void Dispose() => folder.Dispose();

    /// <summary>
    /// A noisy textured field with an SEM-style banner: instrument text on the left ("SEI 20kV x500 WD10mm", whose
    /// "10mm" must not be taken for the label), a 3-px bar with end ticks on the right, and its label drawn by
    /// OpenCV's putText above the bar or to its right.
    /// </summary>
    internal static GrayImage SemField(int width, int height, int rows, int barPixels, string label, bool bright, bool labelAbove, int seed)
    {
        var random = new Random(seed);
        var image = new GrayImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
                image[x, y] = (float)Math.Clamp(0.45 + (0.2 * Math.Sin((x * 0.07) + seed) * Math.Cos(y * 0.05)) + ((random.NextDouble() - 0.5) * 0.3), 0, 1);
        }
        float background = bright ? 0.96f : 0.03f, ink = bright ? 0.04f : 0.97f;
        var first = height - rows;
        for (var y = first; y < height; y++)
        {
            for (var x = 0; x < width; x++)
                image[x, y] = background;
        }
        var baseline = first + (rows * 2 / 3);
        OpenCvText.Draw(image, "SEI 20kV x500 WD10mm", 6, baseline, 0.5, ink);
        var barLeft = width - barPixels - (labelAbove ? 20 : 110);
        var barY = labelAbove ? first + rows - 10 : baseline - 5;
        for (var x = barLeft; x < barLeft + barPixels; x++)
        {
            for (var dy = 0; dy < 3; dy++)
                image[x, barY + dy] = ink;
        }
        for (var dy = -4; dy < 7; dy++)
        {
            image[barLeft, barY + dy] = ink;
            image[barLeft + barPixels - 1, barY + dy] = ink;
        }
        if (labelAbove)
            OpenCvText.Draw(image, label, barLeft + (barPixels / 2) - 25, barY - 8, 0.5, ink);
        else
            OpenCvText.Draw(image, label, barLeft + barPixels + 12, baseline, 0.5, ink);
        return image;
    }

    [Theory]
    [InlineData("50um", 150, 50_000.0, false, true)]
    [InlineData("500 nm", 120, 500.0, false, false)]
    [InlineData("2mm", 200, 2_000_000.0, true, true)]
    [InlineData("2.5 um", 160, 2_500.0, true, false)]
    public void Should_read_the_label_beside_the_measured_bar_and_derive_nm_per_pixel(string label, int bar, double nm, bool bright, bool above)
    {
        // Given a micrograph whose banner has a scale bar and its label, drawn with OpenCV's putText
        var image = SemField(640, 480, 40, bar, label, bright, above, seed: bar);

        // When the banner is detected and its bar's label read
        var banner = BannerDetector.Detect(image);
        Assert.NotNull(banner);
        Assert.InRange(banner.ScaleBarPixels ?? 0, bar - 1, bar + 1);
        var read = ScaleBarOcr.Read(image, banner);

        // Then the label names the bar's length (not the working distance's "10mm"), and nm per pixel follows
        Assert.NotNull(read);
        Assert.Equal(nm, read.Nanometres, 6);
        Assert.Equal(nm / banner.ScaleBarPixels!.Value, read.NmPerPixel, 6);
        Assert.True(read.Confirmed, $"a second read did not confirm '{read.Text}'");
        Assert.False(read.Unsure);
    }

    [Theory]
    [InlineData("100 µm", 100_000.0)]
    [InlineData("100µm", 100_000.0)]
    [InlineData("2.5um", 2_500.0)]
    [InlineData("1,5 mm", 1_500_000.0)]
    [InlineData("500 nm", 500.0)]
    [InlineData("20 Å", 2.0)]
    public void Should_parse_lengths_in_every_unit(string text, double nm)
    {
        Assert.True(ScaleBarOcr.TryParse(text, out var parsed));
        Assert.Equal(nm, parsed, 6);
    }

    [Theory]
    [InlineData("20kV")]
    [InlineData("x500")]
    [InlineData("100")]
    [InlineData("um")]
    [InlineData("0 nm")]
    [InlineData("1.2.3 nm")]
    public void Should_refuse_what_is_not_a_length(string text) => Assert.False(ScaleBarOcr.TryParse(text, out _));

    [Fact]
    public void Should_take_the_flag_then_metadata_then_the_banner()
    {
        // Given a PNG (no metadata) and a TIFF with resolution tags, both with a banner saying 50 µm over 150 px
        var root = folder.Combine("data");
        var png = Path.Combine(root, "a", "banner.png");
        var tif = Path.Combine(root, "b", "tagged.tif");
        Directory.CreateDirectory(Path.GetDirectoryName(png)!);
        Directory.CreateDirectory(Path.GetDirectoryName(tif)!);
        ImageCodec.Save(SemField(640, 480, 40, 150, "50um", false, true, seed: 1), png);
        WriteTiff(tif, SemField(640, 480, 40, 150, "50um", false, true, seed: 2), nanometres: 123);

        // When their scales are read
        var fromBanner = ImageScales.ReadOrBanner(png);
        var fromTags = ImageScales.ReadOrBanner(tif);

        // Then the PNG's comes from the banner, the TIFF's from its tags, and the flag overrides both in a survey
        Assert.Equal(BannerScale.Source, fromBanner.Scale?.Source);
        Assert.InRange(fromBanner.Scale!.Size.NanometresX, 50_000 / 151.0, 50_000 / 149.0);
        Assert.Equal("TIFF resolution tags", fromTags.Scale?.Source);
        Assert.Equal(123, fromTags.Scale!.Size.NanometresX, 3);
        var dataset = DatasetLoader.Load(root, new DatasetOptions { Folds = 1 });
        var survey = ScaleSurvey.Build(dataset, nmPerPixel: null);
        Assert.Contains(survey.Images, i => i.Source == BannerScale.Source);
        Assert.Contains(survey.Warnings, w => w.Contains("disagree", StringComparison.Ordinal) || w.Contains("differs", StringComparison.Ordinal));
        var flagged = ScaleSurvey.Build(dataset, nmPerPixel: 7);
        Assert.All(flagged.Images, i => Assert.Equal("--nm-per-pixel", i.Source));
    }

    // An 8-bit grey TIFF whose resolution tags (pixels per centimetre) say nanometres per pixel.
    internal static void WriteTiff(string path, GrayImage image, double nanometres)
    {
        using var tiff = BitMiracle.LibTiff.Classic.Tiff.Open(path, "w");
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGEWIDTH, image.Width);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGELENGTH, image.Height);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.BITSPERSAMPLE, 8);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.SAMPLESPERPIXEL, 1);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.PHOTOMETRIC, BitMiracle.LibTiff.Classic.Photometric.MINISBLACK);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.PLANARCONFIG, BitMiracle.LibTiff.Classic.PlanarConfig.CONTIG);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.ROWSPERSTRIP, image.Height);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.RESOLUTIONUNIT, BitMiracle.LibTiff.Classic.ResUnit.CENTIMETER);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.XRESOLUTION, 1e7 / nanometres);
        tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.YRESOLUTION, 1e7 / nanometres);
        var row = new byte[image.Width];
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
                row[x] = (byte)Math.Round(Math.Clamp(image[x, y], 0, 1) * 255);
            tiff.WriteScanline(row, y);
        }
    }

    [Fact]
    public void Should_read_a_scale_from_a_real_SEM_banner_when_the_shared_data_is_there()
    {
        var folderPath = Path.Combine(RepoPaths.Shared, "datasets", "ncm-sem-6", "333_cycled");
        if (!Directory.Exists(folderPath))
            return;
        var file = Directory.GetFiles(folderPath, "*.jpg").Order(StringComparer.Ordinal).First();

        var reading = BannerScale.Read(file);

        Assert.Equal(BannerScale.Source, reading.Scale?.Source);
        Assert.InRange(reading.Scale!.Size.NanometresX, 50, 1000);
    }
}
