using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Models.Segmenters;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Packaging;

[Collection(TorchTests.Name)]
public sealed class SegmenterPackageTests : IDisposable
{
    readonly TempDirectory temp = new("segpkg");

    public void Dispose() => temp.Dispose();

    static SegmenterPackagedModel TrainTiny(string name)
    {
        var data = TouchingDiscs.Data(count: 2, width: 40, height: 40, pairs: 1, seed: 60);
        var options = new UNetOptions { Depth = 2, BaseWidth = 4, PatchSize = 32, BatchSize = 2, StepsPerEpoch = 2, MaxEpochs = 1, TileSize = 32, TileOverlap = 8, LocalContrastSigma = 5, Threads = 1 };
        var segmenter = UNetTrainer.Create(name, options).Train(data, new TrainingContext { Seed = 5, Threads = 1 }, new SegmenterTrainingSummary());
        return new SegmenterPackagedModel(segmenter);
    }

    static ModelPackageManifest Manifest(SegmenterPackagedModel model) => new()
    {
        ModelKind = model.Kind,
        ClassNames = model.ClassNames,
        Preprocessing = model.Preprocessing,
        Provenance = new PackageProvenance { Seed = 5, CreatedUtc = DateTimeOffset.UtcNow },
    };

    [Theory]
    [InlineData("unet")]
    [InlineData("resunet")]
    public void Should_segment_identically_after_packaging_and_reopening(string name)
    {
        // Given a trained segmenter and a field it has not seen
        using var model = TrainTiny(name);
        var (image, _) = TouchingDiscs.Generate(53, 47, pairs: 2, seed: 61);
        var expected = model.Segmenter.Predict(image);

        // When packaged and opened
        var path = temp.File("seg.acpkg");
        var manifest = ModelPackage.Write(path, Manifest(model), model);
        using var package = ModelPackage.Open(path);
        var reopened = Assert.IsType<SegmenterPackagedModel>(package.Model);
        var actual = reopened.Segmenter.Predict(image);

        // Then
        Assert.Equal(["payload/segmenter.json", "payload/weights.safetensors"], manifest.Payload.Select(p => p.Name));
        Assert.Equal(name, package.Manifest.ModelKind);
        Assert.Equal("sliding-window", package.Manifest.Preprocessing.InputMode);
        Assert.Equal(model.Segmenter.Info, reopened.Segmenter.Info with { ChannelNames = model.Segmenter.Info.ChannelNames, ClassNames = model.Segmenter.Info.ClassNames });
        // The reopened model runs on all cores; libtorch's float sums may differ in the last bits across thread counts.
        var largest = expected.Probabilities!.Zip(actual.Probabilities!, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(largest < 1e-4, $"Probabilities differ by up to {largest}.");
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.Instances, actual.Instances);
    }

    [Fact]
    public void Should_reload_a_saved_segmenter_bit_for_bit_at_the_same_thread_count()
    {
        using var model = TrainTiny("unet");
        var (image, _) = TouchingDiscs.Generate(41, 38, pairs: 1, seed: 62);
        var folder = temp.Combine("saved");

        model.Segmenter.Save(folder);
        using var reloaded = UNetSegmenter.Load(folder, threads: 1);

        Assert.Equal(model.Segmenter.Predict(image).Probabilities, reloaded.Predict(image).Probabilities);
        Assert.Equal(OutputScheme.Instance, reloaded.Info.Scheme);
        Assert.Equal(5, reloaded.Info.LocalContrastSigma);
    }

    // Saves a tiny trained segmenter into a folder and edits its description.
    string SavedWithInfo(string name, Action<JsonObject> edit) => PackagingTestData.SavedWithEditedInfo(temp.Combine(name), folder =>
    {
        using var model = TrainTiny("unet");
        model.Segmenter.Save(folder);
    }, UNetSegmenter.InfoFile, edit);

    [Fact]
    public void Should_keep_the_tuned_post_processing_through_saving_and_packaging()
    {
        // Given a trained segmenter whose description holds post-processing settings unlike the defaults
        var tuned = new InstancePostProcessing { ForegroundThreshold = 0.6, SeedThreshold = 0.8, SeedSigma = 1, MinSeedArea = 3, MinObjectArea = 12 };
        var folder = SavedWithInfo("tuned", info => info["post_processing"] = new JsonObject
        {
            ["foreground_threshold"] = 0.6,
            ["seed_threshold"] = 0.8,
            ["seed_sigma"] = 1.0,
            ["min_seed_area"] = 3,
            ["min_object_area"] = 12,
        });
        var (image, _) = TouchingDiscs.Generate(53, 47, pairs: 2, seed: 61);

        // When it is loaded, packaged and reopened
        using var loaded = new SegmenterPackagedModel(UNetSegmenter.Load(folder, threads: 1));
        var path = temp.File("tuned.acpkg");
        ModelPackage.Write(path, Manifest(loaded), loaded);
        using var package = ModelPackage.Open(path);
        var reopened = Assert.IsType<SegmenterPackagedModel>(package.Model).Segmenter;

        // Then the settings survive both steps and split the image the same way
        Assert.Equal(UNetSegmenterInfo.UnscaledFormat, reopened.Info.Format);
        Assert.Equal(tuned, loaded.Segmenter.Info.PostProcessing);
        Assert.Equal(tuned, reopened.Info.PostProcessing);
        Assert.Equal(loaded.Segmenter.Predict(image).Instances, reopened.Predict(image).Instances);
    }

    [Fact]
    public void Should_split_a_format_1_segmenter_as_before_post_processing_was_tuned()
    {
        // Given a description written before format 2: no post-processing settings
        var folder = SavedWithInfo("format1", info =>
        {
            info["format"] = 1;
            info.Remove("post_processing");
        });
        var (image, _) = TouchingDiscs.Generate(53, 47, pairs: 2, seed: 61);

        // When it is loaded and predicts
        using var segmenter = UNetSegmenter.Load(folder, threads: 1);
        var prediction = segmenter.Predict(image);

        // Then its objects come from the arg-max split with the minimum object area, at the image's resolution
        Assert.Null(segmenter.Info.PostProcessing);
        Assert.Equal(SegmentationTargets.SplitInstances(prediction.Probabilities!, image.Width, image.Height, segmenter.Info.MinObjectArea), prediction.Instances);
    }

    [Fact]
    public void Should_refuse_a_format_2_instance_segmenter_without_post_processing_naming_the_file()
    {
        var folder = SavedWithInfo("missing", info => info.Remove("post_processing"));

        var error = Assert.Throws<InvalidDataException>(() => UNetSegmenter.Load(folder, threads: 1));

        Assert.Contains(UNetSegmenter.InfoFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("the instance scheme has no post_processing settings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_that_a_segmenter_labels_pixels_when_asked_for_image_probabilities()
    {
        using var model = TrainTiny("unet");

        var error = Assert.Throws<InvalidOperationException>(() => model.PredictProbabilities([new PreparedImage(new GrayImage(8, 8), null)], 1));

        Assert.Contains("'unet' is a segmentation model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_segmenter_package_in_predict_with_exit_code_2_and_no_stack_trace()
    {
        // Given a packaged segmenter and an image folder
        using (var model = TrainTiny("unet"))
            ModelPackage.Write(temp.File("seg.acpkg"), Manifest(model), model);
        var images = temp.Combine("images");
        Directory.CreateDirectory(images);
        File.WriteAllBytes(Path.Combine(images, "a.png"), AutoClassify.Segmentation.SegmentationOps.EncodeRgbPng(new byte[3 * 16 * 16], 16, 16));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        // When
        var code = AutoClassify.Cli.CliApp.Run(["predict", temp.File("seg.acpkg"), images, "--out", temp.File("p.csv")], stdout, stderr);

        // Then
        Assert.Equal(2, code);
        Assert.Contains("holds a segmentation model (unet)", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_package_whose_description_is_unusable_naming_the_problem()
    {
        // Given a package whose segmenter.json (checksum updated) claims a depth the weights do not have
        using (var model = TrainTiny("unet"))
            ModelPackage.Write(temp.File("seg.acpkg"), Manifest(model), model);
        var forged = temp.File("forged.acpkg");
        PackagingTestData.Rewrite(temp.File("seg.acpkg"), forged, entries =>
        {
            var info = JsonNode.Parse(entries.Single(e => e.Name == "payload/segmenter.json").Data)!.AsObject();
            info["depth"] = 3;
            var bytes = Encoding.UTF8.GetBytes(info.ToJsonString());
            var manifest = JsonNode.Parse(entries.Single(e => e.Name == ModelPackageManifest.EntryName).Data)!.AsObject();
            var payload = manifest["payload"]!.AsArray().Single(p => (string)p!["name"]! == "payload/segmenter.json")!;
            payload["sha256"] = Convert.ToHexString(SHA256.HashData(bytes));
            payload["size"] = bytes.Length;
            return entries.Select(e => e.Name switch
            {
                "payload/segmenter.json" => (e.Name, bytes),
                ModelPackageManifest.EntryName => (e.Name, Encoding.UTF8.GetBytes(manifest.ToJsonString())),
                _ => e,
            }).ToList();
        });

        // When opened, then the weights' shapes are checked against the claimed architecture
        var error = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(forged));
        Assert.Contains("the unet payload does not load", error.Message, StringComparison.Ordinal);
    }
}
