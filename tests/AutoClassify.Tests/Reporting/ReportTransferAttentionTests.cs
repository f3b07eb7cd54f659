using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Models.Transfer;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Reporting;

/// <summary>
/// A real benchmark of the three domain-transfer models (a pretrained LipNet-4 package as backbone: fine-tuned, frozen with
/// a softmax head, frozen with an SVM) on generated blob images written to disk, with its report.
/// </summary>
public sealed class TransferAttentionRun() : ReportRun("transfer-attention", Options)
{
    public static readonly string[] Models = ["lipnet-backbone-finetune", "lipnet-backbone-frozen", "lipnet-backbone-frozen-svm"];

    static BenchmarkOptions Options(TempDirectory directory)
    {
        var backbone = TransferTestData.PretrainShapesPackage(directory.Combine("models"), epochs: 4);
        return new()
        {
            DatasetPath = WriteBlobs(directory.Combine("blobs"), perClass: 12, seed: 4),
            Folds = 3,
            Seed = 5,
            Models = Models,
            Threads = 2,
            NearDuplicates = NearDuplicateMode.Keep,
            CommandLine = "autoclassify benchmark blobs --models " + string.Join(',', Models) + " --backbone models/shapes/v1 --folds 3 --seed 5",
            ModelSettings = new ModelSettings
            {
                Grid = "coarse",
                InnerFolds = 2,
                Cnn = new CnnOptions { MaxEpochs = 4, Patience = 4, BatchSize = 16, Threads = 2, LearningRate = 1e-2, ValidationFraction = 0, Augmentation = AugmentationOptions.None },
                Transfer = new TransferOptions { Backbone = backbone, DisableDiskCache = true, WarmupEpochs = 1 },
            },
        };
    }
}

[Collection(TorchTests.Name)]
public class ReportTransferAttentionTests(TransferAttentionRun run) : IClassFixture<TransferAttentionRun>
{
    [Fact]
    public void Should_record_maps_of_each_folds_own_test_images_for_the_fine_tuned_and_frozen_softmax_models_and_a_reason_for_the_svm()
    {
        // Given the run's three transfer models
        Assert.Equal(TransferAttentionRun.Models, run.Result.Models.Select(m => m.Name));

        // Then the two with a linear head explained, on every fold, only images that fold tested, at the backbone's last ReLU
        foreach (var model in run.Result.Models.Take(2))
        {
            foreach (var fold in model.Folds)
            {
                var e = fold.Training.Explanation;
                Assert.NotNull(e);
                Assert.Null(e!.Unavailable);
                Assert.Equal("features.9", e.Layer);
                Assert.NotEmpty(e.GradCam);
                Assert.All(e.GradCam, m => Assert.Equal(fold.Fold, model.Predictions.Single(p => p.Item == m.Item).Fold));
                Assert.All(e.GradCam, m => Assert.Equal(model.Predictions.Single(p => p.Item == m.Item).PredictedLabel, m.TargetClass));
                Assert.Null(e.Filters);
            }
            Assert.Contains(model.Folds.SelectMany(f => f.Training.Explanation!.GradCam), m => !m.IsEmpty);
        }
        // and the SVM says on every fold why it has none
        Assert.All(run.Result.Models[2].Folds, f =>
        {
            Assert.Empty(f.Training.Explanation!.GradCam);
            Assert.Contains("RBF SVM", f.Training.Explanation.Unavailable, StringComparison.Ordinal);
        });
        // and results.json keeps all of it
        var again = ResultsJson.Read(Path.Combine(run.OutDir, "results.json"));
        Assert.Equal(
            run.Result.Models.SelectMany(m => m.Folds).Select(f => (f.Training.Explanation!.Unavailable, f.Training.Explanation.GradCam.Sum(g => g.Values.Sum()))),
            again.Models.SelectMany(m => m.Folds).Select(f => (f.Training.Explanation!.Unavailable, f.Training.Explanation.GradCam.Sum(g => g.Values.Sum()))));
    }

    [Fact]
    public void Should_draw_the_transfer_models_maps_like_the_lipnets_and_say_why_the_svm_has_none()
    {
        var html = run.Html;
        for (var index = 0; index < 2; index++)
        {
            // Each linear-head model has the section, its one scale, and the surest right image of each class as input and overlay
            var section = Regex.Match(html, $"<h3 id=\"m{index}-gradcam\">.*?(?=<h2|</section>)", RegexOptions.Singleline).Value;
            Assert.NotEmpty(section);
            Assert.Matches("share one scale, 0 to [0-9.eE+-]+", section);
            Assert.Contains($"<linearGradient id=\"m{index}-gradcam-scale\"", section, StringComparison.Ordinal);
            Assert.Contains("<code>features.9</code>", section, StringComparison.Ordinal);
            var right = Regex.Match(section, $"<div class=\"gallery\" id=\"m{index}-gradcam-right\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
            var figures = Regex.Matches(right, "<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\" width=\"(\\d+)\" height=\"(\\d+)\" alt=\"([^\"]+)\">");
            Assert.Equal(2, figures.Count);
            using var dir = new TempDirectory();
            foreach (Match f in figures)
            {
                var file = dir.File(Guid.NewGuid().ToString("N") + ".png");
                File.WriteAllBytes(file, Convert.FromBase64String(f.Groups[1].Value));
                var png = PngImage.Read(file);
                var alt = WebUtility.HtmlDecode(f.Groups[4].Value);
                if (alt.Contains("no location raised", StringComparison.Ordinal))
                {
                    Assert.Equal((BlobImages.Size, BlobImages.Size), (png.Width, png.Height));
                    continue;
                }
                Assert.Equal((2 * BlobImages.Size + 1, BlobImages.Size), (png.Width, png.Height));
                Assert.Matches("network input and Grad-CAM for predicted class (left|right)", alt);
            }
            // and no first layer (that is the LipNets' own figure)
            Assert.DoesNotContain($"id=\"m{index}-first-layer\"", html, StringComparison.Ordinal);
        }
        // The SVM's section is one sentence with the reason, and no image
        var svm = Regex.Match(html, "<h3 id=\"m2-gradcam\">.*?</p>", RegexOptions.Singleline).Value;
        Assert.Contains("<p class=\"quiet\" id=\"m2-gradcam-none\">lipnet-backbone-frozen-svm has no class activation maps: its classifier is an RBF SVM", svm, StringComparison.Ordinal);
        Assert.DoesNotContain("m2-gradcam-right", html, StringComparison.Ordinal);
        // and figures/ holds the two models' Grad-CAM figures, none for the SVM
        var figuresDir = Path.Combine(run.OutDir, FiguresExporter.FolderName);
        Assert.True(File.Exists(Path.Combine(figuresDir, "lipnet-backbone-finetune-gradcam.svg")));
        Assert.True(File.Exists(Path.Combine(figuresDir, "lipnet-backbone-frozen-gradcam.svg")));
        Assert.False(File.Exists(Path.Combine(figuresDir, "lipnet-backbone-frozen-svm-gradcam.svg")));
    }

    [Fact]
    public void Should_render_the_transfer_attention_sections_in_chromium_with_decoded_images()
    {
        // Given the report of the transfer run
        Chromium.Require();
        using var dir = new TempDirectory();

        // When Chromium opens it, logging its console
        var console = ChromiumConsole.Messages(dir, run.HtmlPath);

        // Then the browser said nothing, and every image of the two sections decoded with alt text, at desktop and phone widths
        Assert.Empty(console);
        foreach (var width in new[] { 1280, 480 })
        {
            foreach (var index in new[] { 0, 1 })
            {
                var images = ChromiumConsole.DecodedImages(dir, run.HtmlPath, width, $"#m{index}-gradcam-wrong, #m{index}-gradcam-right");
                Assert.True(images.Count >= 2, $"only {images.Count} images in model {index}'s Grad-CAM galleries");
                Assert.All(images, i => Assert.True(i.NaturalWidth > 0 && i.Alt.Length > 0, $"image '{i.Alt}' did not decode"));
            }
            ReportLayoutCheck.AssertReadable(ReportLayoutCheck.Measure(dir, run.HtmlPath, width));
            var shot = ReportLayoutCheck.Screenshot(dir, run.HtmlPath, $"transfer-gradcam-{width}", width, 1400);
            Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is blank");
        }
    }
}
