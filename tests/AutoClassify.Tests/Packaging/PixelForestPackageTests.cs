using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AutoClassify.Cli;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Segmentation;
using AutoClassify.Tests.Models.Segmenters;
using AutoClassify.Tests.Segmentation;
using AutoClassify.Tests.Support;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Packaging;

public sealed class PixelForestPackageTests(ITestOutputHelper log) : IDisposable
{
    readonly TempDirectory temp = new("forestpkg");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_train_a_pixel_forest_from_the_cli_and_segment_an_unseen_field_as_the_in_memory_forest_does()
    {
        // Given annotated touching discs and a forest trained from the command line
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 4, size: 72, pairs: 3, seed: 500);
        var registry = temp.Combine("registry");
        using var trainOut = new StringWriter(CultureInfo.InvariantCulture);
        using var trainErr = new StringWriter(CultureInfo.InvariantCulture);
        var trainCode = CliApp.Run(["train-segmenter", data, "--model", "pixel-forest", "--name", "forest", "--registry", registry, "--seed", "7", "--threads", "2"], trainOut, trainErr);
        log.WriteLine(trainOut.ToString() + trainErr);
        Assert.Equal(ExitCodes.Success, trainCode);
        Assert.Contains("Stored 'forest' version 1 (pixel-forest", trainOut.ToString(), StringComparison.Ordinal);
        var packagePath = new ModelRegistry(registry).ResolveChampion("forest");
        var manifest = ModelPackage.ReadManifest(packagePath);
        Assert.Equal("pixel-forest", manifest.ModelKind);
        Assert.Equal(["payload/forest.yml", "payload/pixel-forest.json"], manifest.Payload.Select(p => p.Name));
        Assert.Equal(8, manifest.Provenance.TrainingFiles.Count);

        // And the same forest fitted in memory on the same data and seed
        var set = SegmentationDataLoader.Load(data, new SegmentationDataOptions { Threads = 2 });
        using var inMemory = (PixelForestSegmenter)new PixelForestTrainer().Train(set.Data, new TrainingContext { Seed = 7, Threads = 2 }, new SegmenterTrainingSummary());

        // When an unseen field is segmented by the reopened package and by segment --model
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        var (field, truth) = TouchingDiscs.Generate(90, 80, pairs: 4, seed: 777);
        var fieldPath = Path.Combine(input, "unseen.png");
        PngWriter.Write(fieldPath, field);
        var decoded = ImageCodec.Decode(File.ReadAllBytes(fieldPath), fieldPath, out _);
        var expected = inMemory.Predict(decoded);
        using (var package = ModelPackage.Open(packagePath))
        {
            var packaged = Assert.IsType<PixelForestPackagedModel>(package.Model).Segmenter;
            var reopened = packaged.Predict(decoded);
            Assert.Equal(expected.Probabilities, reopened.Probabilities);
            Assert.Equal(expected.Instances, reopened.Instances);
            Assert.Equal(PixelForestInfo.CurrentFormat, packaged.Info.Format);
            Assert.NotNull(packaged.Info.PostProcessing);
            Assert.Equal(inMemory.Info.PostProcessing, packaged.Info.PostProcessing);
        }
        var output = temp.Combine("out");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(["segment", input, "--out", output, "--model", "forest", "--registry", registry, "--min-area", "1"], stdout, stderr);

        // Then the command's label map is the in-memory forest's, object for object
        log.WriteLine(stdout.ToString() + stderr);
        Assert.Equal(ExitCodes.Success, code);
        var labelsPath = Path.Combine(output, ParticleBatchResult.LabelPath("unseen.png"));
        var labels = ImageCodec.Decode(File.ReadAllBytes(labelsPath), labelsPath, out _).Pixels.Select(p => (int)MathF.Round(p * ushort.MaxValue)).ToArray();
        var instances = expected.Instances!;
        Assert.Equal(instances.Select(v => v != 0), labels.Select(v => v != 0));
        var pairs = instances.Zip(labels).Where(p => p.First != 0).Distinct().ToList();
        Assert.Equal(pairs.Count, pairs.Select(p => p.First).Distinct().Count());
        Assert.Equal(pairs.Count, pairs.Select(p => p.Second).Distinct().Count());
        // And the forest learned: most true discs are found as separate objects
        var (f1, _, predicted, real) = TouchingDiscs.InstanceF1(truth, instances);
        log.WriteLine($"instance F1 {f1:F2}: {predicted} predicted, {real} true");
        Assert.True(f1 > 0.6, $"Instance F1 is only {f1:F2}.");
        var report = File.ReadAllText(Path.Combine(output, "index.html"));
        Assert.Contains("(pixel-forest)", report, StringComparison.Ordinal);
        // And the report names the split the package tuned on its held-out field
        Assert.Contains("Instance post-processing", report, StringComparison.Ordinal);
        Assert.Contains("tuned on: 1 validation image(s)", report, StringComparison.Ordinal);
    }

    static PixelForestPackagedModel TrainTiny()
    {
        var data = TouchingDiscs.Data(count: 2, width: 48, height: 48, pairs: 1, seed: 70);
        var trainer = new PixelForestTrainer(new PixelForestOptions { Forest = new RandomForestOptions { Trees = 6, MaxDepth = 8 }, SamplesPerClassPerImage = 300 });
        return new PixelForestPackagedModel((PixelForestSegmenter)trainer.Train(data, new TrainingContext { Seed = 3, Threads = 1 }, new SegmenterTrainingSummary()));
    }

    // Saves a tiny fitted forest into a folder and edits its description.
    string SavedWithInfo(string name, Action<JsonObject> edit) => PackagingTestData.SavedWithEditedInfo(temp.Combine(name), folder =>
    {
        using var model = TrainTiny();
        model.Segmenter.Save(folder);
    }, PixelForestSegmenter.InfoFile, edit);

    [Fact]
    public void Should_split_a_format_1_forest_as_before_its_split_was_tuned()
    {
        // Given a description written before format 2: no post-processing settings
        var folder = SavedWithInfo("format1", info =>
        {
            info["format"] = 1;
            info.Remove("post_processing");
        });
        var (image, _) = TouchingDiscs.Generate(53, 47, pairs: 2, seed: 61);

        // When it is loaded and predicts
        using var forest = PixelForestSegmenter.Load(folder);
        var prediction = forest.Predict(image);

        // Then its objects come from the arg-max classes and the boundary votes, with its minimum area
        var n = image.Width * image.Height;
        var probabilities = prediction.Probabilities!;
        var argMax = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, 3).Aggregate((best, c) => probabilities[(c * n) + i] > probabilities[(best * n) + i] ? c : best)).ToArray();
        Assert.Null(forest.Info.PostProcessing);
        Assert.Equal(InteriorBoundaryScheme.ToInstances(argMax, probabilities.AsSpan(2 * n, n), image.Width, image.Height, minArea: forest.Info.MinArea), prediction.Instances);
    }

    [Fact]
    public void Should_refuse_a_format_2_instance_forest_without_post_processing_naming_the_file()
    {
        var folder = SavedWithInfo("missing", info => info.Remove("post_processing"));

        var error = Assert.Throws<InvalidDataException>(() => PixelForestSegmenter.Load(folder));

        Assert.Contains(PixelForestSegmenter.InfoFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("the instance scheme has no post_processing settings", error.Message, StringComparison.Ordinal);
    }

    string Forge(Func<byte[], byte[]> editForest)
    {
        using (var model = TrainTiny())
        {
            TestPackages.Write(temp.File("forest.acpkg"), model, seed: 3);
        }
        var forged = temp.File("forged.acpkg");
        // The payload's checksum is updated, so only the forest reader stands between the bytes and the predictor
        PackagingTestData.Rewrite(temp.File("forest.acpkg"), forged, entries =>
        {
            var bytes = editForest(entries.Single(e => e.Name == "payload/forest.yml").Data);
            var manifest = JsonNode.Parse(entries.Single(e => e.Name == ModelPackageManifest.EntryName).Data)!.AsObject();
            var payload = manifest["payload"]!.AsArray().Single(p => (string)p!["name"]! == "payload/forest.yml")!;
            payload["sha256"] = Convert.ToHexString(SHA256.HashData(bytes));
            payload["size"] = bytes.Length;
            return entries.Select(e => e.Name switch
            {
                "payload/forest.yml" => (e.Name, bytes),
                ModelPackageManifest.EntryName => (e.Name, System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString())),
                _ => e,
            }).ToList();
        });
        return forged;
    }

    [Fact]
    public void Should_refuse_a_truncated_forest_payload_naming_the_package_with_exit_code_2()
    {
        // Given a package whose forest is cut in half
        var forged = Forge(bytes => bytes[..(bytes.Length / 2)]);
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        PngWriter.Write(Path.Combine(input, "a.png"), TouchingDiscs.Generate(48, 48, pairs: 1, seed: 71).Image);

        // When opened, or used by segment
        var error = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(forged));
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(["segment", input, "--out", temp.Combine("out"), "--model", forged], new StringWriter(), stderr);

        // Then
        Assert.Contains("the pixel-forest payload does not load", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("forged.acpkg", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("forest.yml", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_forest_whose_split_tests_a_feature_that_does_not_exist()
    {
        // Given a package whose first split names feature 999 (the bank has far fewer)
        var forged = Forge(bytes =>
        {
            var text = System.Text.Encoding.UTF8.GetString(bytes);
            var split = System.Text.RegularExpressions.Regex.Match(text, @"\bvar:\s*\d+");
            Assert.True(split.Success, "The forest YAML has no split: " + text[..Math.Min(text.Length, 2000)]);
            return System.Text.Encoding.UTF8.GetBytes(text[..split.Index] + "var: 999" + text[(split.Index + split.Length)..]);
        });

        var error = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Open(forged));

        Assert.Contains("pixel-forest payload does not load", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_that_a_pixel_forest_labels_pixels_when_asked_for_image_probabilities()
    {
        using var model = TrainTiny();

        var error = Assert.Throws<InvalidOperationException>(() => model.PredictProbabilities([new PreparedImage(new GrayImage(8, 8), null)], 1));

        Assert.Contains("'pixel-forest' is a segmentation model", error.Message, StringComparison.Ordinal);
    }
}
