using System.Text.RegularExpressions;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

/// <summary>A real SVM benchmark on 24 shipped liposome images, written once with its report for every gallery test.</summary>
public sealed class GalleryRun() : ReportRun("gallery", Options)
{
    static BenchmarkOptions Options(TempDirectory directory)
    {
        var data = directory.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 8);
        return new BenchmarkOptions
        {
            DatasetPath = data,
            Folds = 4,
            Seed = 7,
            Models = ["svm"],
            Threads = 1,
            CommandLine = "autoclassify benchmark lipo --folds 4 --seed 7",
            ModelSettings = new ModelSettings
            {
                Grid = "coarse",
                InnerFolds = 2,
                Cnn = new CnnOptions { MaxEpochs = 2, Patience = 1, BatchSize = 16, Threads = 1, Augmentation = AugmentationOptions.None },
            },
        };
    }
}

public class ReportGalleryTests(GalleryRun run) : IClassFixture<GalleryRun>
{
    [Fact]
    public void Should_rank_top_losses_by_the_loss_of_the_true_class_and_cover_every_cell()
    {
        // Given the hand-made results whose SVM gets five images wrong
        var result = ReportFixtures.Create();

        // When the gallery is planned
        var svm = GalleryPlan.Build(result).Models[0];

        // Then the top losses are exactly the wrong predictions, by decreasing −ln p(true)
        Assert.Equal(5, svm.Wrong);
        Assert.Equal([3, 7, 8, 14, 16], svm.TopLosses.Select(p => p.Item).Order());
        var losses = svm.TopLosses.Select(ModelGallery.Loss).ToList();
        Assert.Equal(losses.OrderDescending(), losses);
        Assert.All(svm.TopLosses, p => Assert.NotEqual(p.TrueLabel, p.PredictedLabel));
        // and every non-empty confusion cell has a gallery with the cell's count
        var sum = result.Models[0].Aggregate.ConfusionSum;
        for (var t = 0; t < 3; t++)
        {
            for (var p = 0; p < 3; p++)
                Assert.Equal(sum[t][p], svm.Cells.SingleOrDefault(c => c.True == t && c.Predicted == p)?.Count ?? 0);
        }
        // and the most confused pair is vesicle taken for nucleus (items 14 and 16)
        Assert.Equal((2, 1, 2), (svm.ConfusedPairs[0].True, svm.ConfusedPairs[0].Predicted, svm.ConfusedPairs[0].Count));
    }

    [Fact]
    public void Should_embed_the_misclassified_images_as_jpeg_thumbnails_with_true_and_predicted_class()
    {
        // Given a real benchmark whose SVM makes mistakes on real micrographs
        var model = run.Result.Models[0];
        var wrong = model.Predictions.Where(p => p.PredictedLabel != p.TrueLabel).ToList();
        Assert.NotEmpty(wrong);

        // Then every top loss is a small JPEG image in the page, named by its path and classes
        var html = run.Html;
        var gallery = Regex.Match(html, "<div class=\"gallery\" id=\"m0-top-losses-gallery\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
        var figures = Regex.Matches(gallery, "<figure class=\"thumb\">(.*?)</figure>", RegexOptions.Singleline);
        Assert.Equal(Math.Min(GalleryPlan.TopLossCount, wrong.Count), figures.Count);
        foreach (Match f in figures)
        {
            var img = Regex.Match(f.Value, "<img src=\"data:image/jpeg;base64,([A-Za-z0-9+/=]+)\" width=\"(\\d+)\" height=\"(\\d+)\" alt=\"([^\"]+)\">");
            Assert.True(img.Success, f.Value[..Math.Min(300, f.Value.Length)]);
            var jpeg = Convert.FromBase64String(img.Groups[1].Value);
            Assert.Equal([0xFF, 0xD8], jpeg[..2]);
            Assert.InRange(jpeg.Length, 200, 16_000);
            Assert.True(int.Parse(img.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) <= ReportImages.MaxSide);
            Assert.Matches("true \\w+, predicted \\w+ with probability 0\\.\\d\\d", img.Groups[4].Value);
            Assert.Contains("class=\"wrong\">pred ", f.Value, StringComparison.Ordinal);
        }
        // and the note says how many thumbnails there are and that the cap dropped none
        Assert.Matches("<li id=\"note-images\">Gallery thumbnails are .*? \\d+ thumbnails take \\d+ KiB of the page\\. The cap of 4(\\.0+)? MiB dropped no thumbnail\\.", html);
    }

    [Fact]
    public void Should_link_every_non_empty_confusion_cell_to_its_gallery()
    {
        var sum = run.Result.Models[0].Aggregate.ConfusionSum;
        var raw = Regex.Match(run.Html, "<table id=\"m0-confusion-raw\".*?</table>", RegexOptions.Singleline).Value;
        for (var t = 0; t < sum.Length; t++)
        {
            for (var p = 0; p < sum[t].Length; p++)
            {
                var anchor = $"#m0-cell-{t}-{p}";
                if (sum[t][p] == 0)
                {
                    Assert.DoesNotContain(anchor, raw, StringComparison.Ordinal);
                    continue;
                }
                Assert.Contains($"<a href=\"{anchor}\">{sum[t][p]}</a>", raw, StringComparison.Ordinal);
                var cell = Regex.Match(run.Html, $"<section class=\"cell\" id=\"m0-cell-{t}-{p}\"><h4>True .*?: (\\d+) images?.*?</section>", RegexOptions.Singleline);
                Assert.True(cell.Success, $"No gallery for cell {t},{p}.");
                Assert.Equal(sum[t][p].ToString(System.Globalization.CultureInfo.InvariantCulture), cell.Groups[1].Value);
                Assert.InRange(Regex.Count(cell.Value, "<figure class=\"thumb\">"), 1, GalleryPlan.PerWrongCell);
            }
        }
    }

    [Fact]
    public void Should_say_what_the_cap_dropped_when_the_thumbnails_do_not_fit()
    {
        // Given a cap of half the bytes the thumbnails take uncapped
        var full = ReportImages.Load(run.Result);
        var cap = full.Bytes / 2;
        var images = ReportImages.Load(run.Result, cap);

        // When the report is rendered with them
        var html = HtmlReport.Render(run.Result, images);

        // Then the most telling images stay, the rest show as placeholders, and the note counts what was dropped
        Assert.True(images.DroppedByCap > 0);
        Assert.InRange(images.Bytes, 1, cap);
        Assert.Equal(images.Embedded, Regex.Matches(html, "<img src=\"data:image/jpeg;base64,([^\"]+)\"").Select(m => m.Groups[1].Value).Distinct().Count());
        Assert.Equal(Regex.Count(run.Html, "<div class=\"gallery\" id=\"m0-top-losses-gallery\">\n(<figure class=\"thumb\"><img )"), Regex.Count(html, "<div class=\"gallery\" id=\"m0-top-losses-gallery\">\n(<figure class=\"thumb\"><img )"));
        Assert.Contains("<div class=\"noimg\" role=\"img\" aria-label=\"", html, StringComparison.Ordinal);
        Assert.Matches($"The cap of \\d+ KiB dropped {images.DroppedByCap} thumbnails? \\(shown as “not embedded”\\)", html);
    }

    [Fact]
    public void Should_list_paths_only_when_the_data_set_is_gone()
    {
        // Given results whose data folder does not exist
        var result = ReportFixtures.Create();

        // When the report is rendered with the images it can find
        var html = HtmlReport.Render(result, ReportImages.Load(result));

        // Then no image is embedded and the note says why
        Assert.DoesNotContain("<img src=\"data:image/jpeg", html, StringComparison.Ordinal);
        Assert.Contains("Gallery images are not embedded: the data set folder &#39;/data/em/cells&#39; was not found when the report was written.", html, StringComparison.Ordinal);
        Assert.Contains("<code>mitochondrion/img_03.tif</code>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_print_the_data_hash_the_machine_and_one_libsvm_version_in_the_reproducibility_appendix()
    {
        // Given a real run
        var result = run.Result;
        var hash = result.Dataset.ContentSha256;

        // Then the run recorded the data hash, the machine, and LIBSVM as 3.24 wherever it is printed
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal("3.24", result.Settings.NativeVersions["LIBSVM"]);
        Assert.All(result.Models[0].Folds, f => Assert.Equal("3.24", f.Training.Facts["libsvm"]));
        Assert.StartsWith(".NET ", result.Settings.Environment[".NET runtime"], StringComparison.Ordinal);
        Assert.NotEqual("unknown", result.Settings.Environment["CPU"]);
        var appendix = Regex.Match(run.Html, "<section id=\"reproducibility\">.*?</section>", RegexOptions.Singleline).Value;
        Assert.Contains($"<code>{hash}</code>", appendix, StringComparison.Ordinal);
        Assert.Contains("<tr><th scope=\"row\">LIBSVM</th><td>3.24</td></tr>", appendix, StringComparison.Ordinal);
        Assert.Contains("<tr><th scope=\"row\">CPU</th>", appendix, StringComparison.Ordinal);
        Assert.Contains("<tr><th scope=\"row\">Seed</th><td>7</td></tr>", appendix, StringComparison.Ordinal);
        Assert.Contains("<code>autoclassify benchmark lipo --folds 4 --seed 7</code>", appendix, StringComparison.Ordinal);
        Assert.Contains("may then differ in the last digits", appendix, StringComparison.Ordinal);
        Assert.DoesNotContain(">324<", run.Html, StringComparison.Ordinal);
        // and folds.csv gives every image the fold predictions.csv tests it in, both counted from 1
        var folds = File.ReadAllLines(Path.Combine(run.OutDir, FoldsCsvExporter.FileName)).Skip(1).Select(l => l.Split(',')).ToDictionary(c => c[0], c => c[2]);
        var predictions = File.ReadAllLines(Path.Combine(run.OutDir, PredictionsCsvExporter.FileName)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(result.Items.Count, folds.Count);
        Assert.Equal(result.Items.Count, predictions.Count);
        Assert.All(predictions, p => Assert.Equal(folds[p[1]], p[2]));
        Assert.Equal(["1", "2", "3", "4"], folds.Values.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_hash_the_data_by_content_and_label_not_by_where_the_files_lie()
    {
        // Given a small data set and a copy of it
        using var dir = new TempDirectory("hash");
        var a = dir.Combine("a");
        TestImages.WriteClass(a, "round", 3);
        TestImages.WriteClass(a, "square", 3, seed: 10);
        var b = dir.Combine("b");
        foreach (var file in Directory.GetFiles(a, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(b, Path.GetRelativePath(a, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string Hash(string root) => RunEnvironment.DatasetHash(DatasetLoader.Load(root, new DatasetOptions { Folds = 2 }), threads: 1);

        // When one copy's image changes, and then one image moves to the other class
        var original = Hash(a);
        var copied = Hash(b);
        AutoClassify.Imaging.PngWriter.Write(Path.Combine(b, "round", "round_000.png"), TestImages.Disk(32, 9, seed: 99));
        var changed = Hash(b);
        File.Move(Path.Combine(a, "round", "round_001.png"), Path.Combine(a, "square", "round_001.png"));
        var moved = Hash(a);

        // Then copying keeps the hash and every change of pixels or label changes it
        Assert.Equal(original, copied);
        Assert.NotEqual(original, changed);
        Assert.NotEqual(original, moved);
        Assert.Equal(3, new[] { original, changed, moved }.Distinct().Count());
    }

    [Theory]
    [InlineData(1280)]
    [InlineData(480)]
    public void Should_fit_the_window_caption_every_figure_and_land_every_gallery_link(int width)
    {
        // Given the report of a real run, opened in Chromium at a desktop and at a phone width
        using var dir = new TempDirectory("layout");

        // When the browser lays it out and follows the confusion cells' links
        var layout = ReportLayoutCheck.Measure(dir, run.HtmlPath, width);
        ReportLayoutCheck.Screenshot(dir, run.HtmlPath, $"benchmark-{width}", width, 2400);
        ReportLayoutCheck.Screenshot(dir, run.HtmlPath, $"benchmark-whole-{width}", width, 9000);

        // Then the page does not scroll sideways, every figure has a caption and every image alt text, nothing is
        // fetched, and each cell link scrolls its gallery to the top of the window
        ReportLayoutCheck.AssertReadable(layout);
        Assert.True(layout.Images > 20, $"Only {layout.Images} images.");
        Assert.True(layout.InternalLinks > 10);
    }
}
