using System.Globalization;
using System.Text.Json;
using AutoClassify.Cli;
using AutoClassify.Imaging;
using AutoClassify.Packaging;
using AutoClassify.Tests.Evaluation.Segmentation;
using AutoClassify.Tests.Models.Segmenters;
using AutoClassify.Tests.Support;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Segmentation;

/// <summary>The pixel forest's own options (<c>--forest-trees --forest-depth --forest-scales</c>) on both segmenter commands.</summary>
public sealed class PixelForestOptionsCliTests(ITestOutputHelper log) : IDisposable
{
    readonly TempDirectory temp = new("forest-options");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_train_the_forest_with_the_given_trees_depth_and_scales_and_record_them_in_the_package()
    {
        // Given annotated touching discs
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 3, size: 64, pairs: 3, seed: 610);
        var registry = temp.Combine("registry");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When a pixel forest is trained with 8 trees of depth 6 on two scales
        var code = CliApp.Run(["train-segmenter", data, "--model", "pixel-forest", "--name", "small", "--registry", registry,
            "--forest-trees", "8", "--forest-depth", "6", "--forest-scales", "1, 2.5", "--seed", "3", "--threads", "2"], stdout, stderr);

        // Then the package's facts and its forest carry those settings: 1 raw + 7 planes per scale = 15 features
        log.WriteLine(stdout.ToString() + stderr);
        Assert.Equal(ExitCodes.Success, code);
        var path = new ModelRegistry(registry).ResolveChampion("small");
        var facts = ModelPackage.ReadManifest(path).Provenance.Facts;
        Assert.Equal("8", facts["trees"]);
        Assert.Equal("6", facts["max_depth"]);
        Assert.Equal("1 2.5", facts["scales"]);
        Assert.Equal("15", facts["features"]);
        using var package = ModelPackage.Open(path);
        var info = Assert.IsType<PixelForestPackagedModel>(package.Model).Segmenter.Info;
        Assert.Equal((8, 6), (info.Trees, info.MaxDepth));
        Assert.Equal([1.0, 2.5], info.Scales);
    }

    [Fact]
    public void Should_split_binary_foreground_by_default_and_take_plain_regions_with_no_semantic_split()
    {
        // Given touching discs annotated as binary foreground (8-bit, 0 and 255)
        var data = temp.Combine("binary");
        Directory.CreateDirectory(data);
        for (var i = 0; i < 4; i++)
        {
            var (image, mask) = TouchingDiscs.Generate(64, 64, pairs: 3, seed: 630 + i);
            PngWriter.Write(Path.Combine(data, $"f{i}.png"), image);
            PngWriter.Write(Path.Combine(data, $"f{i}.mask.png"), new GrayImage(64, 64, [.. mask.Select(id => id != 0 ? 1f : 0f)]));
        }
        var registry = temp.Combine("registry");

        // When a pixel forest is trained on them as given and with --no-semantic-split
        foreach (var (name, extra, scheme, fitImages) in new[] { ("split", Array.Empty<string>(), "semantic + tuned watershed split", "3"), ("plain", ["--no-semantic-split"], "semantic", "4") })
        {
            using var stderr = new StringWriter(CultureInfo.InvariantCulture);
            var code = CliApp.Run(["train-segmenter", data, "--model", "pixel-forest", "--name", name, "--registry", registry,
                "--forest-trees", "8", "--forest-scales", "1", "--seed", "3", "--threads", "2", .. extra], new StringWriter(), stderr);

            // Then the split holds an image out and stores its tuned settings; without it every image is fitted and nothing is stored
            Assert.True(code == ExitCodes.Success, stderr.ToString());
            var path = new ModelRegistry(registry).ResolveChampion(name);
            var facts = ModelPackage.ReadManifest(path).Provenance.Facts;
            Assert.Equal("binary", facts["mask_kind"]);
            Assert.Equal(scheme, facts["scheme"]);
            Assert.Equal(fitImages, facts["fit_images"]);
            using var package = ModelPackage.Open(path);
            var info = Assert.IsType<PixelForestPackagedModel>(package.Model).Segmenter.Info;
            Assert.Equal(name == "split", info.PostProcessing is not null);
            Assert.Equal(name == "split", facts.ContainsKey("post_tuned_on"));
        }
    }

    [Fact]
    public void Should_name_every_bad_forest_and_unet_value_at_once_and_exit_2_before_training()
    {
        // Given valid data
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 2, size: 48, pairs: 3, seed: 620);
        var registry = temp.Combine("registry");

        foreach (var command in new[] { "train-segmenter", "segment-benchmark" })
        {
            using var stdout = new StringWriter(CultureInfo.InvariantCulture);
            using var stderr = new StringWriter(CultureInfo.InvariantCulture);
            string[] specific = command == "train-segmenter"
                ? ["--model", "pixel-forest", "--name", "bad", "--registry", registry]
                : ["--models", "pixel-forest", "--out", temp.Combine("bench")];

            // When every forest option is bad, and a U-Net option too
            var code = CliApp.Run([command, data, .. specific,
                "--forest-trees", "0", "--forest-depth", "99", "--forest-scales", "1,abc,-2,1,500", "--forest-validation", "0.7", "--depth", "9"], stdout, stderr);

            // Then it exits 2 naming each of them, with no stack trace, and writes nothing
            var error = stderr.ToString();
            log.WriteLine(command + ": " + error);
            Assert.Equal(ExitCodes.BadInput, code);
            foreach (var part in new[]
            {
                "Trees must lie in [1, 10000], got 0.", "MaxDepth must lie in [1, 64], got 99.", "--forest-scales: 'abc' is not a number of pixels.",
                "Scales must lie in (0, 100] pixels, got -2.", "Scales must lie in (0, 100] pixels, got 500.", "Scales lists 1 more than once.",
                "ValidationFraction must lie in [0, 0.5), got 0.7.", "Depth must lie in [1, 6], got 9.",
            })
                Assert.Contains(part, error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(Path.Combine(registry, "bad")));
        Assert.False(File.Exists(temp.Combine("bench", "results.json")));
    }

    [Fact]
    public void Should_benchmark_the_forest_with_the_given_settings_and_show_them_in_results_and_report()
    {
        // Given a generated instance set
        var root = temp.Combine("scenes");
        SegmentationScenes.WriteInstanceSet(root, 4, 56, seed: 630);
        var output = temp.Combine("out");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When the forest is benchmarked over 2 folds with 5 trees of depth 7 on three scales, a quarter of the images held out
        var code = CliApp.Run(["segment-benchmark", root, "--models", "pixel-forest", "--folds", "2", "--out", output, "--threads", "2",
            "--forest-trees", "5", "--forest-depth", "7", "--forest-scales", "0.7,1.6,3.5", "--forest-validation", "0.25"], stdout, stderr);

        // Then every fold trained with them, and results.json and the report's settings say so
        log.WriteLine(stdout.ToString() + stderr);
        Assert.Equal(ExitCodes.Success, code);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json")));
        var model = json.RootElement.GetProperty("models")[0];
        var settings = model.GetProperty("settings");
        Assert.Equal("5", settings.GetProperty("trees").GetString());
        Assert.Equal("7", settings.GetProperty("max_depth").GetString());
        Assert.Equal("0.7 1.6 3.5", settings.GetProperty("scales_px").GetString());
        Assert.Equal("22", settings.GetProperty("features").GetString());
        Assert.Equal("0.25", settings.GetProperty("validation_fraction").GetString());
        Assert.True(model.GetProperty("wall_seconds").GetDouble() > 0);
        foreach (var fold in model.GetProperty("folds").EnumerateArray())
        {
            var facts = fold.GetProperty("facts");
            Assert.Equal(("5", "7"), (facts.GetProperty("trees").GetString(), facts.GetProperty("max_depth").GetString()));
            // Each fold tuned its instance split on one of its two training images
            Assert.Equal(("1", "1"), (facts.GetProperty("fit_images").GetString(), facts.GetProperty("validation_images").GetString()));
            Assert.StartsWith("1 validation image(s)", facts.GetProperty("post_tuned_on").GetString(), StringComparison.Ordinal);
        }
        var html = File.ReadAllText(Path.Combine(output, "index.html"));
        Assert.Contains("trees = 5; max_depth = 7;", html, StringComparison.Ordinal);
        Assert.Contains("scales_px = 0.7 1.6 3.5", html, StringComparison.Ordinal);
    }
}
