using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AutoClassify.Evaluation;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

public class FiguresExporterTests
{
    static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Should_write_every_chart_and_confusion_matrix_as_a_standalone_svg_with_words_not_keys()
    {
        // Given the hand-made results of an SVM and a CNN with training curves
        var result = ReportFixtures.Create();
        EvidenceBuilder.Attach(result);
        using var dir = new TempDirectory("figures");

        // When the figures are exported
        new FiguresExporter().Export(result, dir.Path);

        // Then each model has its matrices and charts, and the CNN its mean training curves
        var files = Directory.GetFiles(dir.Combine(FiguresExporter.FolderName)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        string[] perModel = ["confusion-counts", "confusion-normalised", "precision-recall", "reliability", "roc"];
        Assert.Equal([.. perModel.Select(f => $"lipnet4-{f}.svg"), "lipnet4-training-accuracy.svg", "lipnet4-training-loss.svg", .. perModel.Select(f => $"svm-{f}.svg")], files);
        foreach (var file in files)
        {
            // each is well-formed SVG carrying its own style and a title, with no report-page class left unstyled
            var text = File.ReadAllText(dir.Combine(FiguresExporter.FolderName, file!));
            var root = XDocument.Parse(text).Root!;
            Assert.Equal(Svg + "svg", root.Name);
            Assert.NotNull(root.Element(Svg + "title"));
            Assert.NotNull(root.Element(Svg + "style"));
            Assert.DoesNotMatch(">(val|train)_(loss|acc)<|Epoch Seconds", text);
        }
        var counts = File.ReadAllText(dir.Combine(FiguresExporter.FolderName, "svm-confusion-counts.svg"));
        Assert.Contains(">predicted class</text>", counts, StringComparison.Ordinal);
        Assert.Contains(">true class</text>", counts, StringComparison.Ordinal);
        // the SVM's summed counts, row by row, as in the report
        Assert.Equal(["5", "1", "0", "1", "4", "1", "0", "2", "4"], Regex.Matches(counts, "<text class=\"cell\"[^>]*>(\\d+)</text>").Select(m => m.Groups[1].Value));
        var roc = System.Net.WebUtility.HtmlDecode(File.ReadAllText(dir.Combine(FiguresExporter.FolderName, "svm-roc.svg")));
        Assert.Contains(">false positive rate (1 − specificity)</text>", roc, StringComparison.Ordinal);
        Assert.Matches(">mitochondrion: AUC [0-9.]+ ± [0-9.e-]+ \\(mean ± SD over folds\\)</text>", roc);
    }

    [Fact]
    public void Should_draw_the_mean_training_curve_over_folds_with_its_spread()
    {
        // Given three folds whose validation loss differs by 0.01 per fold
        var result = ReportFixtures.Create();
        using var dir = new TempDirectory("figures");

        // When
        new FiguresExporter().Export(result, dir.Path);
        var path = dir.Combine(FiguresExporter.FolderName, "lipnet4-training-loss.svg");
        var svg = System.Net.WebUtility.HtmlDecode(File.ReadAllText(path));

        // Then the figure has labelled axes with units, a band and a mean line per series, and says what it averages
        Assert.Contains(">epoch</text>", svg, StringComparison.Ordinal);
        Assert.Contains(">cross-entropy loss (nats)</text>", svg, StringComparison.Ordinal);
        Assert.Contains(">training loss: mean of 3 folds, band ± 1 SD</text>", svg, StringComparison.Ordinal);
        Assert.Contains(">validation loss: mean of 3 folds, band ± 1 SD</text>", svg, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(svg, "fill-opacity=\"0.15\""));
        Assert.Equal(2, Regex.Count(svg, "<path class=\"series\""));
        Assert.Contains("<title>median best epoch 10</title>", svg, StringComparison.Ordinal);
        // and the validation band has width (the folds differ) while the training band is flat (they agree)
        var bands = Regex.Matches(svg, "<path d=\"([^\"]+) Z\" fill").Select(m => m.Groups[1].Value).ToList();
        static double Spread(string d)
        {
            var ys = Regex.Matches(d, "[ML]([\\d.]+) ([\\d.]+)").Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ToList();
            return ys[^1] - ys[0];
        }
        Assert.Equal(0, Spread(bands[0]), 1);
        Assert.True(Spread(bands[1]) > 1, $"validation band spread {Spread(bands[1])} px");
        Chromium.Require();
        var png = ReportLayoutCheck.Screenshot(dir, path, "figure-training-loss", 480, 400);
        Assert.True(new FileInfo(png).Length > 5_000);
    }
}
