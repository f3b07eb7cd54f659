using System.Globalization;
using System.Text.Json;
using AutoClassify.Cli;
using AutoClassify.Evaluation.Segmentation;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Evaluation.Segmentation;

public class SegmentBenchmarkTests
{
    [Fact]
    public void Should_refuse_a_test_time_flip_count_the_segmenter_does_not_take_before_any_model_runs()
    {
        using var temp = new TempDirectory("segbench-flips");
        SegmentationScenes.WriteInstanceSet(temp.Path, 4, 48, seed: 22);
        var set = SegmentationDataLoader.Load(temp.Path);
        var logged = new List<string>();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SegmentBenchmarkRunner.Run(set, [UNetTrainer.Create("unet")],
            new SegmentBenchmarkOptions { Folds = 2, TestTimeFlips = 3, Log = logged.Add }));

        Assert.Contains("TestTimeFlips must be one of 1, 2, 4", error.Message, StringComparison.Ordinal);
        Assert.Empty(logged);
    }

    [Fact]
    public void Should_SeparateTouchingObjects_WithThePixelForest()
    {
        // Given six generated fields of touching discs and ellipses with instance masks
        using var temp = new TempDirectory("segbench-forest");
        SegmentationScenes.WriteInstanceSet(temp.Path, 6, 80, seed: 21);
        var set = SegmentationDataLoader.Load(temp.Path);
        var data = set.Data;

        // When the pixel forest trains on five and predicts the sixth
        var trainer = SegmenterCatalog.Create("pixel-forest");
        var summary = new SegmenterTrainingSummary();
        using var segmenter = trainer.Train(data.Subset([0, 1, 2, 3, 4]), new TrainingContext { Seed = 5, Threads = 2 }, summary);
        var test = data.Samples[5];
        var prediction = segmenter.Predict(test.Image);
        var scores = SegmentationEvaluator.Score(test, prediction, data);

        // Then it finds the foreground and splits the touching pairs into their objects
        Assert.NotNull(prediction.Instances);
        Assert.Equal(3, prediction.ChannelNames.Count);
        Assert.True(scores.Values["foreground_dice"] > 0.9, $"Dice {scores.Values["foreground_dice"]}");
        Assert.True(scores.Values["instance_f1"] >= 0.75, $"object F1 {scores.Values["instance_f1"]}");
        Assert.Equal("64", summary.Facts["trees"]);
    }

    [Fact]
    public void Should_RepeatExactly_FromTheSeed()
    {
        // Given generated fields
        using var temp = new TempDirectory("segbench-seed");
        SegmentationScenes.WriteInstanceSet(temp.Path, 3, 64, seed: 31);
        var data = SegmentationDataLoader.Load(temp.Path).Data;

        // When the forest is trained twice with the same seed
        int[] Fit()
        {
            using var s = new PixelForestTrainer().Train(data.Subset([0, 1]), new TrainingContext { Seed = 9, Threads = 2 }, new SegmenterTrainingSummary());
            return s.Predict(data.Samples[2].Image).Labels;
        }

        // Then the predictions are identical
        Assert.Equal(Fit(), Fit());
    }

    [Fact]
    public void Should_WriteResultsAndAReport_ThatChromiumShows()
    {
        // Given a generated set of six fields in images/ + masks/
        using var temp = new TempDirectory("segbench-cli");
        var root = temp.Combine("data");
        SegmentationScenes.WriteInstanceSet(root, 6, 72, seed: 41);
        var output = temp.Combine("out");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When both contenders are benchmarked over 3 folds through the CLI
        var code = CliApp.Run(["segment-benchmark", root, "--models", "classical,pixel-forest", "--folds", "3", "--seed", "7", "--out", output, "--threads", "2", "--overlay-images", "2"], stdout, stderr);

        // Then it succeeds, names the detected kind and writes every file
        Assert.True(code == ExitCodes.Success, stderr.ToString());
        Assert.Contains("instances masks (detected", stdout.ToString(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json")));
        var models = json.RootElement.GetProperty("models");
        Assert.Equal(2, models.GetArrayLength());
        Assert.Equal(3, models[1].GetProperty("folds").GetArrayLength());
        var forestF1 = models[1].GetProperty("scores").GetProperty("instance_f1").GetProperty("mean").GetDouble();
        Assert.True(forestF1 > 0.6, $"pixel-forest object F1 {forestF1}");
        // Every image is tested exactly once per model, in contiguous folds
        var perImage = File.ReadAllLines(Path.Combine(output, "per_image.csv"));
        Assert.Equal(1 + (2 * 6), perImage.Length);
        Assert.Equal([1, 1, 2, 2, 3, 3], json.RootElement.GetProperty("data").GetProperty("images").EnumerateArray().Select(i => i.GetProperty("fold").GetInt32()));
        // And the report, as the browser builds it, has the comparison, overlays, size histograms and no script
        var dom = Chromium.DumpDom(temp, Path.Combine(output, "index.html"));
        Assert.Contains("id=\"comparison-table\"", dom, StringComparison.Ordinal);
        Assert.Contains(">pixel-forest</a>", dom, StringComparison.Ordinal);
        Assert.Contains("<img src=\"data:image/png;base64,", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"size-histogram\"><svg", dom, StringComparison.Ordinal);
        Assert.Contains("true positive", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        // And it reads on a desktop and a phone, as the screenshots in report-screenshots/ show
        ReportLayoutCheck.AssertReadableWithScreenshots(temp, Path.Combine(output, "index.html"), "segment-benchmark");
    }

    [Fact]
    public void Should_ExitWithBadInput_ListingEveryDataProblem()
    {
        // Given a set where one image lacks its mask and another mask is empty
        using var temp = new TempDirectory("segbench-bad");
        SegmentationScenes.WriteInstanceSet(temp.Path, 4, 48, seed: 51);
        File.Delete(temp.Combine("masks", "1.png"));
        SegmentationScenes.SaveIds(new int[48 * 48], 48, 48, temp.Combine("masks", "2.png"));
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When benchmarked
        var code = CliApp.Run(["segment-benchmark", temp.Path, "--out", temp.Combine("out"), "--models", "classical"], stdout, stderr);

        // Then it exits 2 naming both problems, before any training
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("1.png: has no mask", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("2.png: its mask 2.png is empty", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(temp.Combine("out", "results.json")));
    }

    [Fact]
    public void Should_PredictUNetTestFoldsInBf16WhereTheCpuHasIt_AndRefuseBf16WithoutAUNet()
    {
        using var temp = new TempDirectory("segbench-bf16");
        SegmentationScenes.WriteInstanceSet(temp.Path, 4, 48, seed: 53);
        string[] tiny = ["--depth", "2", "--width", "4", "--patch-size", "32", "--batch-size", "2", "--epochs", "1", "--steps-per-epoch", "2", "--tile-size", "64", "--tile-overlap", "8"];

        // A contender list without a U-Net is refused by name, before any training
        using (var stderr = new StringWriter(CultureInfo.InvariantCulture))
        {
            var refused = CliApp.Run(["segment-benchmark", temp.Path, "--out", temp.Combine("o1"), "--models", "classical,pixel-forest", "--precision", "bf16"], new StringWriter(), stderr);
            Assert.Equal(ExitCodes.BadInput, refused);
            Assert.Contains("--precision bf16 applies to U-Net models (unet, resunet); --models classical,pixel-forest has none", stderr.ToString(), StringComparison.Ordinal);
            Assert.False(File.Exists(temp.Combine("o1", "results.json")));
        }

        // So are test-time flips
        using (var stderr = new StringWriter(CultureInfo.InvariantCulture))
        {
            var refused = CliApp.Run(["segment-benchmark", temp.Path, "--out", temp.Combine("o0"), "--models", "classical", "--flips", "4"], new StringWriter(), stderr);
            Assert.Equal(ExitCodes.BadInput, refused);
            Assert.Contains("--flips 4 applies to U-Net models (unet, resunet); --models classical has none", stderr.ToString(), StringComparison.Ordinal);
            Assert.False(File.Exists(temp.Combine("o0", "results.json")));
        }

        // With a U-Net, the test folds are predicted in bf16 and every fold's facts say so (refused on a CPU that would emulate it)
        using var err = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(["segment-benchmark", temp.Path, "--out", temp.Combine("o2"), "--models", "classical,unet", "--folds", "2", "--threads", "2", "--precision", "bf16", .. tiny], new StringWriter(), err);
        if (!AutoClassify.Tensors.InferencePrecisions.NativeBFloat16)
        {
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("needs a CPU with native bfloat16", err.ToString(), StringComparison.Ordinal);
            return;
        }
        Assert.True(code == ExitCodes.Success, err.ToString());
        using var results = JsonDocument.Parse(File.ReadAllText(temp.Combine("o2", "results.json")));
        var facts = results.RootElement.GetProperty("models").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == "unet").GetProperty("folds").EnumerateArray()
            .Select(f => f.GetProperty("facts").GetProperty("prediction_precision").GetString()).ToList();
        Assert.Equal(["bf16", "bf16"], facts);
    }

    [Fact]
    public void Should_KeepGroupsWhole_AndUseContiguousBlocksByDefault()
    {
        // When ten images are split into 3 folds, without and with groups
        var blocks = SegmentationFolds.Assign(10, 3, null, seed: 1);
        int[] groups = [0, 0, 1, 1, 1, 2, 3, 3, 4, 4];
        var grouped = SegmentationFolds.Assign(10, 3, groups, seed: 1);

        // Then blocks are contiguous and every group sits in one fold
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], blocks);
        foreach (var g in groups.Distinct())
            Assert.Single(grouped.Where((_, i) => groups[i] == g).Distinct());
        Assert.Equal(3, grouped.Distinct().Count());
    }
}
