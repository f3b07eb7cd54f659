using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Tensors;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Models.Segmenters;

/// <summary>The size CNN that reads each image's object size, and the U-Net with object scaling that carries it (format 5).</summary>
[Collection(TorchTests.Name)]
public sealed class SizeEstimateTests(ITestOutputHelper output)
{
    const int ObjectSize = 18;

    /// <summary>Small enough to train in seconds on 2 cores.</summary>
    static readonly SizeEstimateOptions Small = new() { Steps = 300, BatchSize = 16, PatchSize = 48, Width = 8 };

    [Fact]
    public void Should_read_the_object_size_of_fields_it_never_saw_and_repeat_it_from_the_seed()
    {
        // Given touching discs drawn at five scales (median diameters about 18 to 54 px)
        double[] scales = [1, 1.5, 2, 2.5, 3];
        (GrayImage, double)[] training = [.. scales.SelectMany((s, k) => Enumerable.Range(0, 2).Select(i => Disc(s, 400 + (10 * k) + i))).Select(d => (d.Image, d.Diameter))];
        (GrayImage Image, double Diameter)[] calibration = [.. scales.Select((s, k) => Disc(s, 500 + k)).Select(d => (d.Image, d.Diameter))];

        // When the CNN trains on them, and is calibrated on other fields
        using var network = SizeNetwork.Train(training, Small, ObjectSize, seed: 3);
        var offsets = network.Calibrate(calibration);

        // Then on unseen fields between and beside the training scales it reads the median diameter within 30 %
        foreach (var (scale, seed) in new[] { (1.25, 600), (1.8, 601), (2.7, 602) })
        {
            var field = Disc(scale, seed);
            var estimate = network.Estimate(field.Image);
            output.WriteLine($"scale {scale}: true {field.Diameter:F1} px, estimated {estimate:F1} px");
            Assert.InRange(estimate / field.Diameter, 1 / 1.3, 1.3);
        }
        // And the bias is the median of the calibration fields' log ratios, measured before it
        Assert.Equal(calibration.Length, offsets.Length);
        Assert.Equal(offsets.Order().ElementAt(offsets.Length / 2), network.Info.Bias);
        Assert.NotEqual(0, network.Info.Bias);

        // And the same seed trains the same network, so the same estimates
        using var again = SizeNetwork.Train(training, Small, ObjectSize, seed: 3);
        again.Calibrate(calibration);
        Assert.Equal(network.Info, again.Info);
        Assert.Equal(network.Estimate(calibration[2].Image), again.Estimate(calibration[2].Image));
    }

    [Fact]
    public void Should_train_a_size_network_with_the_unet_draw_the_choice_towards_it_and_keep_it_in_format_5()
    {
        // Given discs at scales 1 and 3, and a U-Net with object scaling and a size CNN
        var training = new SegmentationData
        {
            Samples = [.. Enumerable.Range(0, 6).Select(i => Disc(i % 2 == 0 ? 1 : 3, 300 + i).Sample)],
            Kind = MaskKind.Instances,
            ClassNames = ["background", "particle"],
        };
        var summary = new SegmenterTrainingSummary();
        var options = TrainedDiscsFixture.Small with { ObjectSize = ObjectSize, MaxEpochs = 3, SizeEstimate = Small with { Weight = 0.75 } };
        using var segmenter = new UNetTrainer(options).Train(training, new TrainingContext { Seed = 11, Threads = 2 }, summary);

        // Then it is format 5 with the size CNN's settings, the selection weighs the estimate, and the facts say so
        Assert.Equal(UNetSegmenterInfo.EstimatedFormat, segmenter.Info.Format);
        Assert.Equal(0.75, segmenter.Info.ObjectScale!.Selection.EstimateWeight);
        Assert.Equal(new SizeEstimateInfo { Width = 8, PatchSize = 48, Range = 1.2, Bias = segmenter.Info.SizeEstimate!.Bias }, segmenter.Info.SizeEstimate);
        Assert.Contains("300 steps of 16", summary.Facts["size_estimate"], StringComparison.Ordinal);
        Assert.Contains("on 5 fitting image(s)", summary.Facts["size_estimate"], StringComparison.Ordinal);
        Assert.StartsWith("1 validation image(s)", summary.Facts["size_estimate_calibration"], StringComparison.Ordinal);
        Assert.Equal("0.75", summary.Facts["size_estimate_weight"]);
        Assert.Equal(segmenter.Info.ObjectScale.Selection.Summary(), summary.Facts["scale_selection"]);
        Assert.EndsWith("estimate 0.75", summary.Facts["scale_selection"], StringComparison.Ordinal);

        // And its estimate of an unseen field's factor is near the one the true mask gives
        var field = Disc(2, 700);
        var truth = ObjectScaling.Factor(field.Diameter, ObjectSize);
        var estimated = segmenter.EstimatedFactor(field.Image);
        output.WriteLine($"true factor {truth:F3}, estimated {estimated:F3}; facts: {summary.Facts["size_estimate_calibration"]}");
        Assert.NotNull(estimated);
        Assert.InRange(estimated.Value / truth, 1 / 1.5, 1.5);

        // And the prediction takes the rung the rule picks when drawn towards that estimate
        var ladder = segmenter.Ladder(field.Image, default);
        var drawn = UNetSegmenter.Choose(ladder, segmenter.Info.ObjectScale.Selection, ObjectSize, estimated);
        Assert.Equal(drawn.Factor, segmenter.Predict(field.Image).ScaleFactor);

        // And saving and loading keep both networks: the same estimate and the same prediction
        var directory = Directory.CreateTempSubdirectory("ac-size-estimate-");
        try
        {
            segmenter.Save(directory.FullName);
            Assert.True(File.Exists(Path.Combine(directory.FullName, UNetSegmenter.SizeWeightsFile)));
            using (var loaded = UNetSegmenter.Load(directory.FullName, threads: 2))
            {
                Assert.Equal(segmenter.Info.SizeEstimate, loaded.Info.SizeEstimate);
                Assert.Equal(segmenter.Info.ObjectScale, loaded.Info.ObjectScale);
                Assert.Equal(estimated, loaded.EstimatedFactor(field.Image));
                Assert.Equal(segmenter.Predict(field.Image).Instances, loaded.Predict(field.Image).Instances);
            }

            // And a folder without the size CNN's weights is refused, naming the file
            File.Delete(Path.Combine(directory.FullName, UNetSegmenter.SizeWeightsFile));
            var missing = Assert.Throws<FileNotFoundException>(() => UNetSegmenter.Load(directory.FullName, threads: 2));
            Assert.Contains(UNetSegmenter.SizeWeightsFile, missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        // And descriptions that do not hold together are refused
        var info = segmenter.Info;
        Assert.Equal("format 5 needs size_estimate settings", (info with { SizeEstimate = null }).FindProblem());
        Assert.Equal("size_estimate needs format 5, got 3", (info with { Format = UNetSegmenterInfo.ScaledFormat }).FindProblem());
        Assert.Equal("object_scale's selection weighs a size estimate, but there is no size_estimate",
            (info with { Format = UNetSegmenterInfo.ScaledFormat, SizeEstimate = null }).FindProblem());
        Assert.StartsWith("size_estimate: bias", (info with { SizeEstimate = info.SizeEstimate! with { Bias = double.NaN } }).FindProblem(), StringComparison.Ordinal);
        Assert.Null(info.FindProblem());
    }

    [Fact]
    public void Should_name_a_size_estimate_without_object_scaling_and_bad_size_settings_as_problems()
    {
        var problems = new UNetOptions { SizeEstimate = new SizeEstimateOptions { PatchSize = 40, Steps = 0 } }.Problems();
        Assert.Contains(problems, p => p.StartsWith("SizeEstimate needs ObjectSize", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("SizeEstimate.PatchSize must be a multiple of 16", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("SizeEstimate.Steps must lie in", StringComparison.Ordinal));
        Assert.Empty(new UNetOptions { ObjectSize = ObjectSize, SizeEstimate = new SizeEstimateOptions() }.Problems());
    }

    /// <summary>A field of touching discs drawn at <paramref name="scale"/> times their size, with its median equivalent diameter.</summary>
    static (GrayImage Image, double Diameter, SegmentationSample Sample) Disc(double scale, int seed)
    {
        const int side = 72;
        var (image, mask) = TouchingDiscs.Generate(side, side, 3, seed);
        var size = (int)Math.Round(side * scale);
        var resized = size == side ? image : ImageOps.Resize(image, size, size, ResizeInterpolation.Linear);
        var labels = InputScaling.Labels(mask, side, side, size, size);
        var sample = new SegmentationSample($"discs-{seed}-x{scale}.png", resized, labels, seed);
        return (resized, ObjectScaling.MedianDiameter(labels, size, size, MaskKind.Instances)!.Value, sample);
    }
}
