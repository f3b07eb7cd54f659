using System.Text.RegularExpressions;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

/// <summary>Opens the report in Debian's headless Chromium: the DOM a reader gets, and a screenshot.</summary>
public class BrowserRenderTests
{
    [Fact]
    public void Should_build_a_dom_with_the_tables_and_escaped_names_as_text_and_no_script()
    {
        // Given a report whose class and file names look like markup
        Chromium.Require();
        using var dir = new TempDirectory();
        var result = ReportFixtures.Create(ReportFixtures.EvilClasses, skippedFile: ReportFixtures.EvilFile);
        new HtmlReportExporter().Export(result, dir.Path);

        // When
        var dom = Chromium.Run(dir, "--dump-dom", new Uri(dir.File(HtmlReportExporter.FileName)).AbsoluteUri);

        // Then
        Assert.Contains("</html>", dom, StringComparison.Ordinal);
        foreach (var id in new[] { "settings-table", "class-counts", "skipped-files", "comparison-overall", "comparison-per-class", "m0-per-class", "m0-confusion-raw", "m1-confusion-norm", "m1-training" })
            Assert.Contains($"<table id=\"{id}\"", dom, StringComparison.Ordinal);
        // Serialised text nodes escape < > &, so markup-like names surviving as escaped text means they were text in the DOM.
        Assert.Contains("<th scope=\"row\" class=\"text cls\">&lt;script&gt;alert(1)&lt;/script&gt;</th>", dom, StringComparison.Ordinal);
        Assert.Contains("<code>a&amp;b \"c\".png</code>", dom, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex("<script", RegexOptions.IgnoreCase), dom);
        Assert.Equal(6, Regex.Count(dom, "<svg class=\"chart\""));
    }

    [Fact]
    public void Should_render_the_evidence_the_reader_decides_with()
    {
        // Given the report of two models whose 2 against 4 discordant images cannot separate them
        Chromium.Require();
        using var dir = new TempDirectory();
        new HtmlReportExporter().Export(ReportFixtures.Create(), dir.Path);

        // When Chromium builds the page
        var dom = Chromium.DumpDom(dir, dir.File(HtmlReportExporter.FileName));

        // Then the paired tests, intervals, baselines, curves and warnings are in the DOM as a reader gets it
        foreach (var id in new[] { "comparison-pairs", "m0-per-class-ci", "m1-per-class-ci", "m0-coverage-table", "m1-coverage-table", "m0-thresholds", "m1-thresholds" })
            Assert.Contains($"<table id=\"{id}\"", dom, StringComparison.Ordinal);
        Assert.Matches(new Regex("<ul id=\"verdicts\" class=\"verdicts\">\\s*<li>The data cannot tell svm and lipnet4 apart: where they disagree, svm alone is right on 2 items and lipnet4 alone on 4 \\(exact McNemar p = 0\\.688\\)"), dom);
        Assert.Contains("<td>2</td><td>4</td><td>0.688</td>", dom, StringComparison.Ordinal);
        Assert.Contains("Baseline: majority class</th>", dom, StringComparison.Ordinal);
        Assert.Contains("Baseline: stratified random</th>", dom, StringComparison.Ordinal);
        Assert.Equal(4, Regex.Count(dom, "<span class=\"quiet\">no clear winner</span>"));
        Assert.DoesNotMatch(new Regex("<table id=\"comparison-overall\".*?<strong>", RegexOptions.Singleline), dom.Split("<tfoot>")[0]);
        foreach (var figure in new[] { "roc", "pr", "reliability", "coverage" })
        {
            for (var m = 0; m < 2; m++)
                Assert.Matches(new Regex($"<figure class=\"plot\" id=\"m{m}-{figure}\"><svg class=\"plot\"[^>]*>.*?<path class=\"series\"", RegexOptions.Singleline), dom);
        }
        Assert.Matches(new Regex("Reliability: ECE 0\\.\\d{3}, MCE 0\\.\\d{3}, Brier 0\\.\\d{3}"), dom);
        Assert.Matches(new Regex("<li class=\"review\" data-kind=\"wide-class-interval\">svm: class 'mitochondrion' has so few test images in folds 1, 2, 3"), dom);
        Assert.DoesNotContain("id=\"warnings-none\"", dom, StringComparison.Ordinal);
        Assert.Equal(6, Regex.Count(dom, "<svg class=\"chart\""));
    }

    [Fact]
    public void Should_take_a_screenshot_showing_the_coloured_confusion_matrices()
    {
        Chromium.Require();
        using var dir = new TempDirectory();
        new HtmlReportExporter().Export(ReportFixtures.Create(), dir.Path);
        var png = dir.File("report.png");

        Chromium.Run(dir, $"--screenshot={png}", "--window-size=1280,3000", "--hide-scrollbars", new Uri(dir.File(HtmlReportExporter.FileName)).AbsoluteUri);

        Assert.True(File.Exists(png), "Chromium wrote no screenshot.");
        var image = PngImage.Read(png);
        Assert.Equal((1280, 3000), (image.Width, image.Height));
        int ink = 0, navy = 0;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var (r, g, b) = image[x, y];
                if (r < 200 || g < 200 || b < 200)
                    ink++;
                if (r < 60 && g < 130 && b > 140)
                    navy++;
            }
        }
        // Text and rules cover a few percent of the page; the high-share confusion cells are navy blocks.
        Assert.InRange(ink, image.Width * image.Height / 100, image.Width * image.Height / 2);
        Assert.True(navy > 5000, $"Expected dark blue confusion-matrix cells, found {navy} navy pixels.");
    }

    [Fact]
    public void Should_render_the_tiling_section_and_paint_the_prediction_maps_of_a_tiled_report()
    {
        // Given the report of a real tiled benchmark on generated fields
        Chromium.Require();
        using var dir = new TempDirectory();
        var result = Tiling.TiledFields.Run.Result;
        new HtmlReportExporter().Export(result, dir.Path);
        var uri = new Uri(dir.File(HtmlReportExporter.FileName)).AbsoluteUri;

        // When Chromium builds the page and paints it
        var dom = Chromium.Run(dir, "--dump-dom", uri);
        var png = dir.File("tiled.png");
        Chromium.Run(dir, $"--screenshot={png}", "--window-size=1280,9000", "--hide-scrollbars", uri);

        // Then the tiling tables and one overlay and one heat map per mapped image are in the DOM
        foreach (var id in new[] { "tiling-settings", "tiling-levels", "m0-tile-overall", "m0-tile-per-class", "m0-tile-confusion-raw" })
            Assert.Contains($"<table id=\"{id}\"", dom, StringComparison.Ordinal);
        var maps = result.Models[0].TileLevel!.MapItems.Count;
        Assert.Contains("id=\"m0-maps\"", dom, StringComparison.Ordinal);
        Assert.Equal(maps, Regex.Count(dom, "<svg class=\"map overlay\""));
        Assert.Equal(maps, Regex.Count(dom, "<svg class=\"map heat\""));
        // and the class tints (orange, green) cover the overlays: far more warm or green pixels than text and swatches give
        var image = PngImage.Read(png);
        var tinted = 0;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var (r, g, b) = image[x, y];
                if (Math.Max(r, g) - b > 60 && g > 60)
                    tinted++;
            }
        }
        Assert.True(tinted > 50_000, $"Expected tinted prediction-map cells, found {tinted} warm or green pixels.");
    }

    [Fact]
    public void Should_show_each_folds_automl_leaderboard_with_its_winner_highlighted()
    {
        // Given a report with an AutoML model
        Chromium.Require();
        using var dir = new TempDirectory();
        new HtmlReportExporter().Export(AutoMlReportFixture.Create(), dir.Path);

        // When the browser builds the page
        var dom = Chromium.Run(dir, "--dump-dom", new Uri(dir.File(HtmlReportExporter.FileName)).AbsoluteUri);

        // Then the winners table and the three leaderboards are real tables, each with one highlighted winner row
        Assert.Contains("<table id=\"m1-automl-winners\"", dom, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(dom, "<table id=\"m1-automl-fold-[123]\""));
        Assert.Equal(3, Regex.Count(dom, "<tr class=\"winner\">"));
        Assert.Contains("The honest figure to quote is the outer-fold score of the chosen pipeline", dom, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", dom, StringComparison.Ordinal);
    }
}
