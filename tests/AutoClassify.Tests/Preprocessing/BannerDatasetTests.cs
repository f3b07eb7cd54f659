using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing;

public class BannerDatasetTests
{
    [Fact]
    public void Should_find_the_data_bar_on_every_ncm_sem_6_image()
    {
        // Given the real SEM set that CI keeps beside the clone (../shared/datasets/ncm-sem-6)
        var root = Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "datasets", "ncm-sem-6"));
        Assert.True(Directory.Exists(root),
            $"The NCM-SEM data set is missing: expected it at {root} (../shared/datasets/ncm-sem-6 beside the clone). This test needs the shared data folder.");
        var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories);
        Assert.Equal(564, files.Length);

        // When every image is decoded and searched
        var misses = new List<string>();
        foreach (var file in files)
        {
            var banner = BannerDetector.Detect(ImageCodec.Decode(file));
            // Then the bottom bar (32 rows at 640x480) is found on each
            if (banner is not { Edge: BannerEdge.Bottom, Rows: >= 28 and <= 36 })
                misses.Add($"{Path.GetRelativePath(root, file)}: {banner?.Reason ?? "none"}");
        }
        Assert.True(misses.Count == 0, $"{misses.Count} image(s) without the expected bar:\n{string.Join('\n', misses.Take(20))}");
    }

    [Theory]
    [InlineData(BannerMode.Crop, 248)]
    [InlineData(BannerMode.Reflect, 272)]
    [InlineData(BannerMode.Keep, 272)]
    public void Should_prepare_after_the_manual_crop_and_summarise_the_banners(BannerMode mode, int expectedHeight)
    {
        // Given a two-class data set of PNG files with a 24-row banner under a 8-row manual crop margin
        using var dir = new TempDirectory("banner");
        for (var c = 0; c < 2; c++)
        {
            var classDir = Directory.CreateDirectory(dir.Combine($"class{c}")).FullName;
            for (var i = 0; i < 3; i++)
            {
                var image = BannerImages.WithBanner(320, 272, 24, BannerEdge.Bottom, bright: c == 1, seed: 10 * c + i, scaleBar: 80);
                var padded = new GrayImage(320, 280);
                Array.Copy(image.Pixels, 0, padded.Pixels, 8 * 320, image.Pixels.Length);
                ImageCodec.Save(padded, Path.Combine(classDir, $"img{i}.png"));
            }
        }
        var crop = new CropMargins(8, 0, 0, 0);
        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 2, Crop = crop });

        // When every item is prepared and the banners summarised
        var prepared = ImagePreparation.PrepareAll(dataset, crop, mode, threads: 1);
        var summary = BannerSummaryBuilder.Build(dataset, prepared, crop, mode, nmPerPixel: 12.5);

        // Then each image lost (or kept) its banner as the mode says, and the summary counts them per class
        Assert.All(prepared, p => Assert.Equal((320, expectedHeight), (p.Image.Width, p.Image.Height)));
        Assert.All(prepared, p => Assert.InRange(p.Banner!.Rows, 22, 26));
        Assert.Equal(BannerDetector.ModeName(mode), summary.Mode);
        Assert.Equal((6, 6), (summary.ImagesChecked, summary.BannersFound));
        Assert.Equal(mode == BannerMode.Keep ? 0 : 6, summary.BannersRemoved);
        Assert.Equal([3, 3], summary.FoundPerClass);
        Assert.Equal((0, 6), (summary.TopEdge, summary.BottomEdge));
        Assert.InRange(summary.ScaleBarPixelsMedian!.Value, 78, 82);
        Assert.Equal((12.5, "--nm-per-pixel"), (summary.NmPerPixel!.Value, summary.PixelSizeSource));
        var before = ImageCodec.Decode(Convert.FromBase64String(summary.ExampleBeforePng!), "before");
        var after = ImageCodec.Decode(Convert.FromBase64String(summary.ExampleAfterPng!), "after");
        Assert.Equal(BannerSummaryBuilder.ThumbnailWidth, before.Width);
        Assert.Equal(mode == BannerMode.Crop, after.Height < before.Height);
    }

    [Theory]
    [InlineData("keep", true)]
    [InlineData("crop", false)]
    public void Should_show_the_banner_section_and_warn_only_when_banners_were_kept(string mode, bool warns)
    {
        // Given a result whose data set had banners
        var result = new BenchmarkResult
        {
            Dataset = new DatasetSummary
            {
                Root = "/data/sem",
                ClassNames = ["a", "b"],
                ClassCounts = [2, 2],
                Banners = new BannerSummary
                {
                    Mode = mode,
                    ImagesChecked = 4,
                    BannersFound = 4,
                    BannersRemoved = mode == "keep" ? 0 : 4,
                    FoundPerClass = [2, 2],
                    BottomEdge = 4,
                    RowsMin = 31,
                    RowsMax = 33,
                    ScaleBarPixelsMedian = 189,
                    ExamplePath = "a/x.jpg",
                    ExampleReason = "bottom 32 rows",
                    ExampleBeforePng = "QUJD",
                    ExampleAfterPng = "REVG",
                },
            },
        };

        // When rendered
        var html = HtmlReport.Render(result);

        // Then the section lists the counts and inline images, and the leak warning appears only in keep mode
        Assert.Contains("id=\"banners\"", html, StringComparison.Ordinal);
        Assert.Contains("31–33 rows", html, StringComparison.Ordinal);
        Assert.Contains("a 2, b 2", html, StringComparison.Ordinal);
        Assert.Contains("src=\"data:image/png;base64,QUJD\"", html, StringComparison.Ordinal);
        Assert.Contains("src=\"data:image/png;base64,REVG\"", html, StringComparison.Ordinal);
        Assert.Equal(warns, html.Contains("id=\"banner-warning\"", StringComparison.Ordinal));
    }
}
