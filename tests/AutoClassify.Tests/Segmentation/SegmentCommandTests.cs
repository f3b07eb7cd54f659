using System.Globalization;
using AutoClassify.Cli;
using AutoClassify.Imaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Segmentation;

public class SegmentCommandTests
{
    [Fact]
    public void Should_ContinuePastACorruptImage_AndListIt()
    {
        // Given a folder tree with two good fields (one in a subfolder, one with an awkward name) and a corrupt JPEG
        using var temp = new TempDirectory("seg-cli");
        var input = temp.Combine("in");
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        var disks = ParticleFields.Scatter(120, 100, Enumerable.Repeat(7.0, 8).ToList(), seed: 91);
        PngWriter.Write(Path.Combine(input, "field <1>.png"), ParticleFields.Render(120, 100, disks, seed: 92));
        PngWriter.Write(Path.Combine(input, "sub", "field2.png"), ParticleFields.Render(120, 100, disks, seed: 93));
        File.WriteAllBytes(Path.Combine(input, "broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        var output = temp.Combine("out");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When segmented through the CLI
        var code = CliApp.Run(["segment", input, "--out", output, "--nm-per-pixel", "10", "--threads", "2"], stdout, stderr);

        // Then it succeeds with a warning, writes every output, and names the corrupt file in the report
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("broken.jpg", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("warning: 1 of 3", stderr.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "labels", "sub", "field2.png.labels.png")));
        Assert.True(File.Exists(Path.Combine(output, "overlays", "field <1>.png.overlay.png")));
        var csv = File.ReadAllLines(Path.Combine(output, "particles.csv"));
        Assert.Equal(1 + 16, csv.Length);
        // And the report, as the browser builds it, shows the markup-like file name as text, lists the corrupt file,
        // draws the histogram and gives sizes in nm
        var dom = Chromium.DumpDom(temp, Path.Combine(output, "index.html"));
        Assert.Contains("field &lt;1&gt;.png", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("field <1>", dom, StringComparison.Ordinal);
        Assert.Contains("<li><code>broken.jpg</code>", dom, StringComparison.Ordinal);
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
        Assert.Contains("D50 (nm)", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Should_Fail_WhenNoImageCanBeRead()
    {
        // Given a folder holding only a corrupt PNG
        using var temp = new TempDirectory("seg-cli-bad");
        Directory.CreateDirectory(temp.Combine("in"));
        File.WriteAllBytes(temp.Combine("in", "bad.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When segmented
        var code = CliApp.Run(["segment", temp.Combine("in"), "--out", temp.Combine("out")], stdout, stderr);

        // Then the exit code is 1 and the file is named
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("bad.png", stderr.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(temp.Combine("out", "index.html")));
    }
}

public class SegmentCommandBannerTests
{
    [Fact]
    public void Should_CropTheDataBanner_SortNaturally_AndShowOverlayPreviews()
    {
        // Given fields named 1, 2 and 10 with a 24-row data banner at the bottom
        using var temp = new TempDirectory("seg-banner");
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        foreach (var name in new[] { "10", "2", "1" })
            PngWriter.Write(Path.Combine(input, name + ".png"), Tests.Preprocessing.BannerImages.WithBanner(200, 150, 24, BannerEdge.Bottom, bright: false, seed: 8, scaleBar: 60));
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When segmented with the default banner handling, and again keeping the banner
        var code = CliApp.Run(["segment", input, "--out", temp.Combine("crop"), "--threads", "2"], stdout, stderr);
        var kept = CliApp.Run(["segment", input, "--out", temp.Combine("keep"), "--banner", "keep", "--threads", "2"], stdout, stderr);

        // Then the banner is cut off before measuring: no particle lies in its rows, as some do when it is kept
        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(ExitCodes.Success, kept);
        Assert.Contains("Data banners: 3 of 3 images (--banner crop)", stdout.ToString(), StringComparison.Ordinal);
        static double[] CentroidRows(string csv) => [.. File.ReadAllLines(csv).Skip(1).Select(l => double.Parse(l.Split(',')[13], CultureInfo.InvariantCulture))];
        Assert.All(CentroidRows(temp.Combine("crop", "particles.csv")), y => Assert.True(y < 150 - 24, $"particle centre in row {y}"));
        Assert.Contains(CentroidRows(temp.Combine("keep", "particles.csv")), y => y >= 150 - 24);
        // And the report lists 1, 2, 10 in that order, with embedded overlay previews
        var dom = Chromium.DumpDom(temp, temp.Combine("crop", "index.html"));
        int At(string name) => dom.IndexOf($"<code>{name}</code>", StringComparison.Ordinal);
        Assert.True(At("1.png") >= 0 && At("1.png") < At("2.png") && At("2.png") < At("10.png"), "images are not in natural order");
        Assert.Contains("<img src=\"data:image/png;base64,", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"overlays\"", dom, StringComparison.Ordinal);
        // And it reads on a desktop and a phone, as the screenshots in report-screenshots/ show
        ReportLayoutCheck.AssertReadableWithScreenshots(temp, temp.Combine("crop", "index.html"), "segment", linksBesideIt: true);
    }
}
