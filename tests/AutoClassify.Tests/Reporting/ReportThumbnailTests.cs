using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Tests.Preprocessing;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

/// <summary>Gallery thumbnails show the images as the run prepared them, not as they lie on disk.</summary>
public sealed class ReportThumbnailTests : IDisposable
{
    readonly TempDirectory temp = new("thumbs");

    public void Dispose() => temp.Dispose();

    // The hand-made results without their manual crop, pointed at real 320 x 272 fields with a 24-row data banner at the bottom.
    BenchmarkResult WithBannerImages(string mode)
    {
        var result = ReportFixtures.Create();
        result.Dataset.Root = temp.Combine("data");
        for (var i = 0; i < result.Items.Count; i++)
        {
            var path = Path.Combine(result.Dataset.Root, result.Items[i].Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var image = BannerImages.WithBanner(320, 272, 24, BannerEdge.Bottom, bright: false, seed: 40 + i);
            File.WriteAllBytes(path, ImageCodec.Encode(image, ImageFileFormat.Tiff));
        }
        result.Settings.Crop = default;
        result.Dataset.Banners = new BannerSummary { Mode = mode };
        return result;
    }

    [Fact]
    public void Should_cut_the_data_banner_off_the_thumbnails_when_the_run_cut_it_off()
    {
        // Given the same banner fields from a run that cropped banners and from one that kept them
        var cropped = ReportImages.Load(WithBannerImages("crop"));
        var kept = ReportImages.Load(WithBannerImages("keep"));

        // Then every thumbnail of the cropping run lacks the 24 banner rows (248 of 272 rows at 0.4 scale), the other keeps them
        Assert.True(cropped.Embedded > 0);
        Assert.Equal(kept.Embedded, cropped.Embedded);
        var items = Enumerable.Range(0, 64).Where(i => cropped.Of(i) is not null).ToList();
        Assert.NotEmpty(items);
        Assert.All(items, i =>
        {
            Assert.Equal((128, 99), (cropped.Of(i)!.Width, cropped.Of(i)!.Height));
            Assert.Equal((128, 109), (kept.Of(i)!.Width, kept.Of(i)!.Height));
        });
    }
}
