using System.Globalization;
using System.Text.RegularExpressions;
using AutoClassify.Cli;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Evaluation.Segmentation;

/// <summary>The segment-benchmark report as a reader's browser builds, lays out and paints it.</summary>
[Collection(TorchTests.Name)]
public sealed class SegmentBenchmarkBrowserTests(ITestOutputHelper log) : IDisposable
{
    readonly TempDirectory temp = new("segbench-browser");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_fit_the_window_draw_every_overlay_and_chart_and_log_nothing()
    {
        // Given a benchmark of all three kinds of contender (a tiny U-Net, so it has training curves) on generated fields
        Chromium.Require();
        var root = temp.Combine("data");
        SegmentationScenes.WriteInstanceSet(root, 6, 64, seed: 43);
        var output = temp.Combine("out");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(["segment-benchmark", root, "--models", "classical,pixel-forest,unet", "--folds", "3", "--out", output, "--threads", "2",
            "--overlay-images", "3", "--forest-trees", "8", "--depth", "2", "--width", "4", "--patch-size", "32", "--batch-size", "2",
            "--epochs", "2", "--steps-per-epoch", "3", "--tile-size", "64", "--tile-overlap", "8"], stdout, stderr);
        log.WriteLine(stdout.ToString() + stderr);
        Assert.Equal(ExitCodes.Success, code);
        var html = Path.Combine(output, "index.html");

        // When Chromium builds the page, lays it out at a desktop and a phone width, and paints it
        var (dom, console) = Chromium.RunWithConsole(temp, "--dump-dom", new Uri(html).AbsoluteUri);
        var layouts = new[] { 1280, 480 }.Select(width => ReportLayoutCheck.Measure(temp, html, width)).ToList();
        ReportLayoutCheck.Screenshot(temp, html, "segment-benchmark-1280", 1280, 4000);

        // Then it logs nothing, does not scroll sideways, fetches nothing, and every image is drawn with alt text and every figure captioned
        Assert.Empty(console);
        foreach (var layout in layouts)
        {
            ReportLayoutCheck.AssertReadable(layout);
            Assert.True(layout.InternalLinks >= 4, $"{layout.InternalLinks} internal links");
        }
        // And each model shows its overlays and its size histogram, and the U-Net its training curves
        Assert.Equal(3 * 3, Regex.Count(dom, "<figure><img src=\"data:image/png;base64,"));
        Assert.Equal(3, Regex.Count(dom, "<figure class=\"size-histogram\"><svg"));
        Assert.Contains("train_loss (one line per fold)", dom, StringComparison.Ordinal);
        // And the run settings name each model's settings
        Assert.Contains("trees = 8;", dom, StringComparison.Ordinal);
        Assert.Contains("depth = 2; width = 4;", dom, StringComparison.Ordinal);
    }
}
