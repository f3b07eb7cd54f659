using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing;

public class BannerDetectorTests
{
    [Theory]
    [InlineData(BannerEdge.Bottom, false, 24, 1)]
    [InlineData(BannerEdge.Bottom, true, 24, 2)]
    [InlineData(BannerEdge.Top, false, 20, 3)]
    [InlineData(BannerEdge.Top, true, 30, 4)]
    [InlineData(BannerEdge.Bottom, false, 12, 5)]
    public void Should_find_a_synthetic_banner_with_its_row_count_and_scale_bar(BannerEdge edge, bool bright, int rows, int seed)
    {
        // Given a 320x240 field with a dark (or bright) banner at the given edge
        var image = BannerImages.WithBanner(320, 240, rows, edge, bright, seed, scaleBar: 90);

        // When the detector looks at it
        var banner = BannerDetector.Detect(image);

        // Then it finds the banner at that edge, of that height, with the scale bar's length
        Assert.NotNull(banner);
        Assert.Equal(edge, banner.Edge);
        Assert.InRange(banner.Rows, rows - 2, rows + 2);
        Assert.Equal(bright, banner.Background > 0.5);
        Assert.InRange(banner.Confidence, 0.5, 1.0);
        Assert.NotNull(banner.ScaleBarPixels);
        Assert.InRange(banner.ScaleBarPixels.Value, 88, 92);
        Assert.True(banner.MarkCount >= 3, banner.Reason);
    }

    [Fact]
    public void Should_find_a_banner_that_went_through_jpeg()
    {
        // Given a banner image saved as JPEG (ringing around the text and at the boundary)
        var original = BannerImages.WithBanner(640, 480, 32, BannerEdge.Bottom, bright: false, seed: 11, scaleBar: 180);
        var image = ImageCodec.Decode(ImageCodec.Encode(original, ImageFileFormat.Jpeg, jpegQuality: 85), "banner.jpg");

        // When detected, then the height is still right within two rows
        var banner = BannerDetector.Detect(image);
        Assert.NotNull(banner);
        Assert.InRange(banner.Rows, 30, 34);
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(320, 240)]
    [InlineData(640, 480)]
    public void Should_not_fire_on_banner_free_noisy_fields(int width, int height)
    {
        // Given banner-free fields of several seeds, plus a flat low-noise one
        var fields = Enumerable.Range(0, 8).Select(seed => BannerImages.Field(width, height, seed)).ToList();
        fields.Add(BannerImages.Field(width, height, 99, noise: 0.005));

        // When detected, then nothing is found
        foreach (var field in fields)
            Assert.Null(BannerDetector.Detect(field));
    }

    [Fact]
    public void Should_not_fire_on_a_uniform_dark_band_without_text()
    {
        // Given a field whose bottom 30 rows are black but hold no marks (e.g. a shadow or the edge of the grid)
        var image = BannerImages.Field(320, 240, 5);
        for (var y = 210; y < 240; y++)
        {
            for (var x = 0; x < 320; x++)
                image[x, y] = 0.01f;
        }

        // Then it is not taken for a banner
        Assert.Null(BannerDetector.Detect(image));
    }

    [Fact]
    public void Should_not_fire_on_a_sample_of_the_shipped_liposome_crops()
    {
        // Given 50 of the 64-px cryo-TEM crops shipped in datasets/liposomes (every 8th, in path order)
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "datasets", "liposomes"), "*.png", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".mask.png", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Where((_, i) => i % 8 == 0)
            .Take(50)
            .ToList();
        Assert.Equal(50, files.Count);

        // When each is detected, then none has a banner
        foreach (var file in files)
        {
            var banner = BannerDetector.Detect(ImageCodec.Decode(file));
            Assert.True(banner is null, $"{file}: {banner?.Reason}");
        }
    }

    [Theory]
    [InlineData(BannerEdge.Bottom)]
    [InlineData(BannerEdge.Top)]
    public void Should_crop_exactly_the_banner_rows(BannerEdge edge)
    {
        // Given a detected banner
        var image = BannerImages.WithBanner(200, 150, 20, edge, bright: false, seed: 7, scaleBar: 60);
        var banner = BannerDetector.Detect(image)!;
        Assert.NotNull(banner);

        // When it is cropped
        var cropped = BannerDetector.Remove(image, banner, BannerMode.Crop);

        // Then exactly its rows are gone and the rest is untouched
        Assert.Equal(image.Width, cropped.Width);
        Assert.Equal(image.Height - banner.Rows, cropped.Height);
        var offset = edge == BannerEdge.Top ? banner.Rows : 0;
        for (var y = 0; y < cropped.Height; y++)
            Assert.Equal(image.Pixels.AsSpan((y + offset) * image.Width, image.Width).ToArray(), cropped.Pixels.AsSpan(y * cropped.Width, cropped.Width).ToArray());
        Assert.Null(BannerDetector.Detect(cropped));
    }

    [Theory]
    [InlineData(BannerEdge.Bottom)]
    [InlineData(BannerEdge.Top)]
    public void Should_reflect_the_rows_beside_the_banner_keeping_the_size(BannerEdge edge)
    {
        // Given a detected banner and a mask aligned with the image
        var image = BannerImages.WithBanner(200, 150, 24, edge, bright: true, seed: 8, scaleBar: 60);
        var banner = BannerDetector.Detect(image)!;
        Assert.NotNull(banner);
        var mask = new BinaryMask(200, 150);
        for (var i = 0; i < mask.Data.Length; i++)
            mask.Data[i] = (byte)((i / 200) % 3 == 0 ? 1 : 0);

        // When the banner is reflected away
        var reflected = BannerDetector.Remove(image, banner, BannerMode.Reflect);
        var reflectedMask = BannerDetector.Remove(mask, banner, BannerMode.Reflect);

        // Then the size is kept, every banner row is the mirror of a specimen row, and no banner is left
        Assert.Equal((image.Width, image.Height), (reflected.Width, reflected.Height));
        Assert.Equal((mask.Width, mask.Height), (reflectedMask.Width, reflectedMask.Height));
        var kept = image.Height - banner.Rows;
        for (var i = 0; i < banner.Rows; i++)
        {
            var (to, from) = edge == BannerEdge.Bottom ? (kept + i, kept - 1 - i) : (banner.Rows - 1 - i, banner.Rows + i);
            Assert.Equal(image.Pixels.AsSpan(from * image.Width, image.Width).ToArray(), reflected.Pixels.AsSpan(to * image.Width, image.Width).ToArray());
            Assert.Equal(mask.Data.AsSpan(from * mask.Width, mask.Width).ToArray(), reflectedMask.Data.AsSpan(to * mask.Width, mask.Width).ToArray());
        }
        var bannerRows = reflected.Pixels.AsSpan(banner.FirstRow * image.Width, banner.Rows * image.Width).ToArray();
        Assert.True(bannerRows.Count(v => v > 0.94f) < bannerRows.Length / 50, "bright banner background left after reflect");
        Assert.Null(BannerDetector.Detect(reflected));
    }

    [Fact]
    public void Should_leave_the_image_alone_in_keep_mode()
    {
        var image = BannerImages.WithBanner(200, 150, 20, BannerEdge.Bottom, bright: false, seed: 9, scaleBar: 60);
        var banner = BannerDetector.Detect(image)!;

        Assert.Same(image, BannerDetector.Remove(image, banner, BannerMode.Keep));
    }

    [Fact]
    public void Should_reject_bad_options_naming_the_parameter()
    {
        var image = BannerImages.Field(64, 64, 1);

        var nan = Assert.Throws<ArgumentOutOfRangeException>(() => BannerDetector.Detect(image, new BannerDetectorOptions { BackgroundTolerance = double.NaN }));
        Assert.Equal("BackgroundTolerance", nan.ParamName);
        var rows = Assert.Throws<ArgumentOutOfRangeException>(() => BannerDetector.Detect(image, new BannerDetectorOptions { MinRows = 0 }));
        Assert.Equal("MinRows", rows.ParamName);
    }

    [Theory]
    [InlineData("crop", BannerMode.Crop)]
    [InlineData("Reflect", BannerMode.Reflect)]
    [InlineData(" keep ", BannerMode.Keep)]
    public void Should_parse_the_banner_modes(string text, BannerMode expected)
    {
        Assert.Equal(expected, BannerDetector.ParseMode(text));
        Assert.Equal(text.Trim().ToLowerInvariant(), BannerDetector.ModeName(expected));
    }

    [Fact]
    public void Should_name_the_choices_when_the_mode_is_unknown()
    {
        var ex = Assert.Throws<FormatException>(() => BannerDetector.ParseMode("blur"));
        Assert.Contains("crop, reflect or keep", ex.Message, StringComparison.Ordinal);
    }
}
