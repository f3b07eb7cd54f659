using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Reporting;

/// <summary>A real LipNet-4 benchmark on generated blob images written to disk, with its report, shared by the attention tests.</summary>
public sealed class AttentionRun() : ReportRun("attention", Options)
{
    static BenchmarkOptions Options(TempDirectory directory) => new()
    {
        DatasetPath = WriteBlobs(directory.Combine("blobs"), perClass: 12, seed: 3),
        Folds = 3,
        Seed = 5,
        Models = ["lipnet4"],
        Threads = 2,
        NearDuplicates = NearDuplicateMode.Keep,
        CommandLine = "autoclassify benchmark blobs --models lipnet4 --folds 3 --seed 5",
        ModelSettings = new ModelSettings
        {
            Cnn = new CnnOptions { InputSize = BlobImages.Size, MaxEpochs = 4, Patience = 4, BatchSize = 16, Threads = 2, Augmentation = AugmentationOptions.None },
        },
    };
}

[Collection(TorchTests.Name)]
public class ReportAttentionTests(AttentionRun run) : IClassFixture<AttentionRun>
{
    [Fact]
    public void Should_record_each_folds_maps_of_its_own_test_images_and_keep_them_through_results_json()
    {
        // Given a real CNN benchmark
        var model = run.Result.Models[0];

        // Then every fold explained only images it tested, and the first fold also recorded its first layer
        foreach (var fold in model.Folds)
        {
            var e = fold.Training.Explanation;
            Assert.NotNull(e);
            Assert.NotEmpty(e!.GradCam);
            Assert.All(e.GradCam, m => Assert.Equal(fold.Fold, model.Predictions.Single(p => p.Item == m.Item).Fold));
            Assert.Equal(fold.Fold == 0, e.Filters is not null);
            Assert.All(e.Activations, a => Assert.Equal(fold.Fold, model.Predictions.Single(p => p.Item == a.Item).Fold));
        }
        // and results.json carries them, so a report rendered from it again shows the same maps
        var again = ResultsJson.Read(Path.Combine(run.OutDir, "results.json"));
        Assert.Equal(
            model.Folds.SelectMany(f => f.Training.Explanation!.GradCam).Select(m => m.Values),
            again.Models[0].Folds.SelectMany(f => f.Training.Explanation!.GradCam).Select(m => m.Values));
        static string Section(string html) => Regex.Match(html, "<h3 id=\"m0-gradcam\">.*?</details>", RegexOptions.Singleline).Value;
        Assert.NotEmpty(Section(run.Html));
        Assert.Equal(Section(run.Html), Section(HtmlReport.Render(again, ReportImages.Load(again))));
    }

    [Fact]
    public void Should_draw_every_map_on_one_scale_with_a_colour_bar_and_the_first_layer_collapsed()
    {
        var html = run.Html;
        var model = run.Result.Models[0];
        var maps = model.Folds.SelectMany(f => f.Training.Explanation!.GradCam).ToDictionary(m => m.Item);

        // The section states its one scale, and a colour bar labels it
        var section = Regex.Match(html, "<h3 id=\"m0-gradcam\">.*?(?=<details|</section>)", RegexOptions.Singleline).Value;
        Assert.NotEmpty(section);
        var scale = double.Parse(Regex.Match(section, "share one scale, 0 to ([0-9.eE+-]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Contains("<svg class=\"colourbar\"", section, StringComparison.Ordinal);
        Assert.Contains("<linearGradient id=\"m0-gradcam-scale\"", section, StringComparison.Ordinal);

        // The surest right image of each class is drawn, each as a PNG of input and overlay at the network's resolution
        var right = Regex.Match(section, "<div class=\"gallery\" id=\"m0-gradcam-right\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
        var figures = Regex.Matches(right, "<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\" width=\"(\\d+)\" height=\"(\\d+)\" alt=\"([^\"]+)\">");
        Assert.Equal(2, figures.Count);
        var peaks = new List<double>();
        using var dir = new TempDirectory();
        foreach (Match f in figures)
        {
            var file = dir.File(Guid.NewGuid().ToString("N") + ".png");
            File.WriteAllBytes(file, Convert.FromBase64String(f.Groups[1].Value));
            var png = PngImage.Read(file);
            Assert.Equal((2 * BlobImages.Size + 1, BlobImages.Size), (png.Width, png.Height));
            Assert.Equal((png.Width * 8, png.Height * 8), (int.Parse(f.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(f.Groups[3].Value, CultureInfo.InvariantCulture)));
            // the left half is the grey input, the right half tinted by the heat map
            Assert.All(Enumerable.Range(0, BlobImages.Size), x => Assert.True(png[x, 5].R == png[x, 5].G && png[x, 5].G == png[x, 5].B));
            Assert.Contains(Enumerable.Range(BlobImages.Size + 1, BlobImages.Size), x => png[x, 5].R != png[x, 5].B);
            Assert.Matches("network input and Grad-CAM for predicted class (left|right)", WebUtility.HtmlDecode(f.Groups[4].Value));
        }
        foreach (var p in model.Predictions.Where(p => p.PredictedLabel == p.TrueLabel && maps.ContainsKey(p.Item)))
            peaks.Add(maps[p.Item].Values.Max());
        Assert.True(scale >= peaks.Max() * 0.999, $"scale {scale} below a shown peak {peaks.Max()}");

        // The first layer sits in a closed details element: 32 kernels, then an input and 32 maps per class
        var details = Regex.Match(html, "<details class=\"firstlayer\" id=\"m0-first-layer\"><summary>First layer: its 32 filters.*?</details>", RegexOptions.Singleline).Value;
        Assert.NotEmpty(details);
        Assert.Equal(1 + 2 * 2, Regex.Count(details, "<img src=\"data:image/png;base64,"));
        Assert.Contains("<linearGradient id=\"m0-activation-scale\"", details, StringComparison.Ordinal);
        Assert.Contains("<code>features.0.weight</code>", details, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_no_location_raised_the_score_instead_of_drawing_an_empty_map()
    {
        // Given the run's results with the map of one shown right answer all zero (its locations only lowered the score)
        var again = ResultsJson.Read(Path.Combine(run.OutDir, "results.json"));
        var section = Regex.Match(run.Html, "<div class=\"gallery\" id=\"m0-gradcam-right\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
        var maps = again.Models[0].Folds.SelectMany(f => f.Training.Explanation!.GradCam).ToList();
        var shown = maps.First(m => section.Contains(WebUtility.HtmlEncode(again.Items[m.Item].Path), StringComparison.Ordinal));
        Array.Clear(shown.Values);
        shown.Total = -1.5f;

        // When the report and the figure are drawn from them
        var html = HtmlReport.Render(again, ReportImages.Load(again));
        var svg = AttentionFiguresExporter.Render(again).Single(f => f.File.EndsWith("-gradcam.svg", StringComparison.Ordinal)).Svg;

        // Then that image shows its input alone, with a caption saying no location raised the class's score
        var right = Regex.Match(html, "<div class=\"gallery\" id=\"m0-gradcam-right\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
        var figure = Regex.Matches(right, "<figure class=\"thumb cam nomap\">.*?</figure>", RegexOptions.Singleline).Single().Value;
        Assert.Contains(WebUtility.HtmlEncode(again.Items[shown.Item].Path), figure, StringComparison.Ordinal);
        Assert.Contains("<strong>no map</strong>: no location raised this class's score", figure, StringComparison.Ordinal);
        Assert.Contains("locations' sum -1.5", figure, StringComparison.Ordinal);
        using var dir = new TempDirectory();
        var file = dir.File("input.png");
        File.WriteAllBytes(file, Convert.FromBase64String(Regex.Match(figure, "base64,([A-Za-z0-9+/=]+)").Groups[1].Value));
        Assert.Equal((BlobImages.Size, BlobImages.Size), (PngImage.Read(file).Width, PngImage.Read(file).Height));
        // and the other right answer keeps its overlay, and the figure for a paper says the same
        Assert.Single(Regex.Matches(right, "<figure class=\"thumb cam\">"));
        Assert.Contains("no map: no location", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_render_the_attention_section_in_chromium_with_decoded_images_and_no_console_message()
    {
        // Given the report of the CNN run
        Chromium.Require();
        using var dir = new TempDirectory();

        // When Chromium opens it as a reader would, logging its console
        var console = ChromiumConsole.Messages(dir, run.HtmlPath);

        // Then the browser said nothing (no blocked resource, no decoding error)
        Assert.Empty(console);
        // and every image of the section decoded to its stated size, with alt text, at desktop and phone widths
        foreach (var width in new[] { 1280, 480 })
        {
            var images = ChromiumConsole.DecodedImages(dir, run.HtmlPath, width, "#m0-gradcam ~ *, #m0-gradcam");
            Assert.True(images.Count >= 2 + 1, $"only {images.Count} images found after #m0-gradcam");
            Assert.All(images, i => Assert.True(i.NaturalWidth > 0 && i.Alt.Length > 0, $"image '{i.Alt}' did not decode"));
            var layout = ReportLayoutCheck.Measure(dir, run.HtmlPath, width);
            ReportLayoutCheck.AssertReadable(layout);
            var shot = ReportLayoutCheck.Screenshot(dir, run.HtmlPath, $"gradcam-{width}", width, 1400);
            Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is blank");
        }
    }
}

/// <summary>Headless Chromium with its console logged to stderr, and a probe of which images decoded.</summary>
internal static class ChromiumConsole
{
    /// <summary>Every console message Chromium logged while loading the page (a report has no script, so any is the browser's own).</summary>
    public static List<string> Messages(TempDirectory dir, string htmlPath)
    {
        var stderr = Run(dir, "--enable-logging=stderr", "--v=0", "--dump-dom", "--virtual-time-budget=3000", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri);
        return stderr.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
    }

    /// <summary>The images under <paramref name="selector"/> with the size they decoded to, measured in a copy that admits one inline script.</summary>
    public static List<(string Alt, int NaturalWidth)> DecodedImages(TempDirectory dir, string htmlPath, int width, string selector)
    {
        const string script = """
            <script>
            addEventListener('load', () => {
              const imgs = [...document.querySelectorAll('SELECTOR')].flatMap(e => e.tagName === 'IMG' ? [e] : [...e.querySelectorAll('img')]);
              const pre = document.createElement('pre');
              pre.id = 'decoded';
              pre.textContent = [...new Set(imgs)].map(i => i.naturalWidth + '\t' + (i.getAttribute('alt') || '').replace(/\s+/g, ' ')).join('\n');
              document.body.appendChild(pre);
            });
            </script>
            """;
        var html = File.ReadAllText(htmlPath)
            .Replace("default-src 'none'; style-src 'unsafe-inline'", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'", StringComparison.Ordinal)
            .Replace("</body>", script.Replace("SELECTOR", selector, StringComparison.Ordinal) + "</body>", StringComparison.Ordinal);
        var copy = dir.File($"decoded-{width}-{Guid.NewGuid():N}.html");
        File.WriteAllText(copy, html);
        var dom = Chromium.Run(dir, "--dump-dom", $"--window-size={width},900", "--virtual-time-budget=5000", new Uri(copy).AbsoluteUri);
        var text = WebUtility.HtmlDecode(Regex.Match(dom, "<pre id=\"decoded\">(.*?)</pre>", RegexOptions.Singleline).Groups[1].Value);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t', 2))
            .Select(p => (p.Length > 1 ? p[1] : "", int.Parse(p[0], CultureInfo.InvariantCulture)))
            .ToList();
    }

    static string Run(TempDirectory dir, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync" })
            start.ArgumentList.Add(a);
        start.ArgumentList.Add($"--user-data-dir={Path.Combine(dir.Path, "chromium-console-" + Guid.NewGuid().ToString("N"))}");
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start Chromium.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("Chromium did not finish within 120 s.");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"Chromium exited with {process.ExitCode}:\n{stderr}");
        lock (stderr)
            return stderr.ToString();
    }
}
