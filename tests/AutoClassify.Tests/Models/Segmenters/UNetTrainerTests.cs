using System.Diagnostics;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Models.Segmenters;

/// <summary>One small instance-scheme U-Net trained on touching discs, shared by the tests that only read it.</summary>
public sealed class TrainedDiscsFixture : IDisposable
{
    public TrainedDiscsFixture()
    {
        var data = TouchingDiscs.Data(count: 6, width: 96, height: 96, pairs: 4, seed: 100);
        Data = data;
        Options = Small;
        Summary = new SegmenterTrainingSummary();
        var clock = Stopwatch.StartNew();
        Segmenter = new UNetTrainer(Options).Train(data, new TrainingContext { Seed = 7, Threads = 2 }, Summary);
        Seconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>The small U-Net settings these disc tests train with (seconds on 2 cores).</summary>
    public static UNetOptions Small => new UNetOptions
    {
        Depth = 2,
        BaseWidth = 8,
        PatchSize = 48,
        BatchSize = 4,
        StepsPerEpoch = 25,
        MaxEpochs = 8,
        Patience = 8,
        LearningRate = 3e-3,
        Augmentation = new SegmentationAugmentation { RotationDegrees = 5, ElasticPixels = 1, Noise = 0.01, BlurProbability = 0.1 },
        TileSize = 64,
        TileOverlap = 16,
        Threads = 2,
    };

    /// <summary>The annotated fields it was trained on.</summary>
    public SegmentationData Data { get; }

    public UNetOptions Options { get; }

    public UNetSegmenter Segmenter { get; }

    public SegmenterTrainingSummary Summary { get; }

    public double Seconds { get; }

    public void Dispose() => Segmenter.Dispose();
}

[Collection(TorchTests.Name)]
public class UNetTrainerTests(TrainedDiscsFixture trained, ITestOutputHelper output) : IClassFixture<TrainedDiscsFixture>
{
    [Fact]
    public void Should_separate_touching_discs_after_a_few_hundred_steps_and_lower_the_loss()
    {
        // Given fields the network never saw
        var fields = Enumerable.Range(0, 3).Select(i => TouchingDiscs.Generate(96, 96, pairs: 4, seed: 900 + i)).ToArray();

        // When
        var scores = fields.Select(f => TouchingDiscs.InstanceF1(f.Mask, trained.Segmenter.Predict(f.Image).Instances!)).ToArray();

        // Then
        var losses = trained.Summary.Curves["train_loss"];
        output.WriteLine($"trained in {trained.Seconds:F1} s (shared machine); losses {string.Join(" ", losses.Select(l => l.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}; " +
            string.Join("; ", scores.Select(s => $"F1 {s.F1:F3} ({s.Matched} of {s.Truth} true, {s.Predicted} predicted)")));
        Assert.Equal(200, int.Parse(trained.Summary.Facts["steps_run"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(losses[^1] < 0.5 * losses[0], $"The training loss fell only from {losses[0]:F3} to {losses[^1]:F3}.");
        var pooled = 2.0 * scores.Sum(s => s.Matched) / scores.Sum(s => s.Truth + s.Predicted);
        Assert.True(pooled >= 0.9, $"Instance F1 at IoU 0.5 was {pooled:F3}.");
        Assert.Equal(8 * 3, scores.Sum(s => s.Truth));
    }

    [Fact]
    public void Should_separate_touching_discs_as_well_when_the_training_steps_run_in_bfloat16()
    {
        // Given the fixture's fields, settings and seed, with the training steps' forward passes under bfloat16 autocast
        var options = TrainedDiscsFixture.Small with { TrainingPrecision = InferencePrecision.BFloat16 };
        var summary = new SegmenterTrainingSummary();
        var fields = Enumerable.Range(0, 3).Select(i => TouchingDiscs.Generate(96, 96, pairs: 4, seed: 900 + i)).ToArray();

        // When
        using var segmenter = new UNetTrainer(options).Train(trained.Data, new TrainingContext { Seed = 7, Threads = 2 }, summary);
        var scores = fields.Select(f => TouchingDiscs.InstanceF1(f.Mask, segmenter.Predict(f.Image).Instances!)).ToArray();

        // Then it learns as the float32 fixture did, by another path (its losses differ), and its facts say which
        var losses = summary.Curves["train_loss"];
        var float32 = trained.Summary.Curves["train_loss"];
        output.WriteLine($"bf16 losses {string.Join(" ", losses.Select(l => l.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}; fp32 {string.Join(" ", float32.Select(l => l.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}; "
            + string.Join("; ", scores.Select(s => $"F1 {s.F1:F3}")));
        Assert.Equal("bf16", summary.Facts["training_precision"]);
        Assert.Equal("fp32", trained.Summary.Facts["training_precision"]);
        Assert.NotEqual(float32, losses);
        Assert.InRange(losses[0], 0.9 * float32[0], 1.1 * float32[0]);
        Assert.True(losses[^1] < 0.5 * losses[0], $"The training loss fell only from {losses[0]:F3} to {losses[^1]:F3}.");
        var pooled = 2.0 * scores.Sum(s => s.Matched) / scores.Sum(s => s.Truth + s.Predicted);
        Assert.True(pooled >= 0.9, $"Instance F1 at IoU 0.5 was {pooled:F3}.");
    }

    [Fact]
    public void Should_record_curves_and_facts_of_the_fit()
    {
        var summary = trained.Summary;

        Assert.Equal(8, summary.Curves["train_loss"].Length);
        Assert.Equal(8, summary.Curves["val_loss"].Length);
        Assert.All(summary.Curves["val_dice"], d => Assert.InRange(d, 0, 1));
        Assert.Equal("instance", summary.Facts["scheme"]);
        Assert.Equal("5", summary.Facts["fit_images"]);
        Assert.Equal("1", summary.Facts["validation_images"]);
        Assert.Contains("U-Net, depth 2, widths 8-16-32", summary.Facts["architecture"], StringComparison.Ordinal);
        Assert.True(summary.TrainingTime > TimeSpan.Zero);
        Assert.Equal(["background", "interior", "boundary"], trained.Segmenter.Info.ChannelNames);
    }

    [Fact]
    public void Should_tune_the_instance_post_processing_on_the_validation_images_only()
    {
        // Given the trainer's split of the fixture's fields into fitting and early-stopping images
        var (fit, validation) = UNetTrainer.SplitByGroup(trained.Data, trained.Options.ValidationFraction, Seeds.Derive(7, "unet-validation"));
        var segmenter = trained.Segmenter;
        InstanceTuningImage Field(int i) => new(
            segmenter.NetworkProbabilities(trained.Data.Samples[i].Image, segmenter.Info.TileSize, segmenter.Info.TileOverlap, default), 96, 96, trained.Data.Samples[i].Mask);
        var referenceArea = InstancePostProcessingTuner.ReferenceArea(trained.Data.Samples.Select(s => s.Mask));

        // When the grid search is repeated by hand on the validation image alone
        var byHand = InstancePostProcessingTuner.Tune([.. validation.Select(Field)], referenceArea, trained.Options.MinObjectArea, threads: 2);

        // Then the trainer chose what it chooses, with the F1 it scores there, and says it looked at that one image
        Assert.Equal(5, fit.Length);
        Assert.Single(validation);
        Assert.Equal(byHand.Chosen, segmenter.Info.PostProcessing);
        Assert.Equal(byHand.F1.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), trained.Summary.Facts["post_validation_f1"]);
        Assert.StartsWith("1 validation image(s)", trained.Summary.Facts["post_tuned_on"], StringComparison.Ordinal);
        Assert.Equal(byHand.Chosen.MinObjectArea.ToString(System.Globalization.CultureInfo.InvariantCulture), trained.Summary.Facts["post_min_object_area_px"]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Should_average_the_probabilities_of_the_mirrored_images_mirrored_back_with_test_time_flips(int views)
    {
        // Given a field whose mirrored margins are the same on both sides (80 x 64 with the 8-px margins is one whole tile)
        var (image, _) = TouchingDiscs.Generate(64, 48, pairs: 2, seed: 951);
        var mirrors = views == 2 ? new[] { (false, false), (true, false) } : [(false, false), (true, false), (false, true), (true, true)];
        int width = image.Width, height = image.Height, n = width * height;
        var expected = new double[3 * n];
        foreach (var (x, y) in mirrors)
        {
            var p = trained.Segmenter.Probabilities(Mirror(image, x, y), tileSize: 256, tileOverlap: 16);
            for (var c = 0; c < 3; c++)
            {
                for (var i = 0; i < n; i++)
                    expected[(c * n) + i] += p[(c * n) + MirrorIndex(i, width, height, x, y)] / mirrors.Length;
            }
        }

        // When the flips are averaged inside the segmenter
        float[] averaged, single;
        try
        {
            trained.Segmenter.TestTimeFlips = views;
            averaged = trained.Segmenter.Probabilities(image, tileSize: 256, tileOverlap: 16);
        }
        finally
        {
            trained.Segmenter.TestTimeFlips = 1;
        }
        single = trained.Segmenter.Probabilities(image, tileSize: 256, tileOverlap: 16);

        // Then they are the mean of the mirrored passes, mirrored back, and not the single pass
        Assert.Equal(views, mirrors.Length);
        var worst = expected.Select((e, i) => Math.Abs(e - averaged[i])).Max();
        Assert.True(worst < 1e-5, $"Largest difference {worst:G3}.");
        Assert.True(averaged.Select((a, i) => Math.Abs(a - single[i])).Max() > 1e-3, "Flip averaging changed nothing.");
        Assert.Throws<ArgumentOutOfRangeException>(() => trained.Segmenter.TestTimeFlips = 3);
    }

    static GrayImage Mirror(GrayImage image, bool x, bool y)
    {
        var mirrored = new GrayImage(image.Width, image.Height);
        for (var i = 0; i < mirrored.Pixels.Length; i++)
            mirrored.Pixels[i] = image.Pixels[MirrorIndex(i, image.Width, image.Height, x, y)];
        return mirrored;
    }

    static int MirrorIndex(int i, int width, int height, bool x, bool y)
    {
        var (row, column) = Math.DivRem(i, width);
        return ((y ? height - 1 - row : row) * width) + (x ? width - 1 - column : column);
    }

    [Fact]
    public void Should_give_the_same_probabilities_through_small_tiles_as_through_one_whole_image_pass()
    {
        // Given an odd-sized field larger than the tiles
        var (image, _) = TouchingDiscs.Generate(150, 131, pairs: 6, seed: 950);

        // When it is predicted in one pass and in 32-pixel tiles overlapping by 12
        var whole = trained.Segmenter.Probabilities(image, tileSize: 256, tileOverlap: 64);
        var tiled = trained.Segmenter.Probabilities(image, tileSize: 32, tileOverlap: 12);

        // Then they agree away from the image border, and no tile seam stands out
        const int border = 16;
        int width = image.Width, height = image.Height, n = width * height;
        double sum = 0, worst = 0;
        var count = 0;
        var disagreements = 0;
        var columnDifference = new double[width];
        for (var y = border; y < height - border; y++)
        {
            for (var x = border; x < width - border; x++)
            {
                var i = (y * width) + x;
                var pixelDifference = 0.0;
                for (var c = 0; c < 3; c++)
                    pixelDifference += Math.Abs(whole[(c * n) + i] - tiled[(c * n) + i]);
                sum += pixelDifference;
                worst = Math.Max(worst, pixelDifference);
                columnDifference[x] += pixelDifference / (height - (2 * border));
                count++;
                if (ArgMax(whole, i, n) != ArgMax(tiled, i, n))
                    disagreements++;
            }
        }
        var mean = sum / count;
        var seams = trained.Segmenter.TilePlan(width, height, 32, 12).Xs.Select(s => s + 6).Where(s => s >= border && s < width - border).ToArray();
        var seamMean = seams.Average(s => columnDifference[s]);
        output.WriteLine($"mean |Δp| {mean:F4}, worst {worst:F3}, at seams {seamMean:F4}, label disagreement {disagreements} of {count}");
        Assert.True(mean < 0.02, $"Mean probability difference {mean:F4}.");
        Assert.True(disagreements < 0.01 * count, $"{disagreements} of {count} labels differ.");
        Assert.True(seamMean < 3 * mean + 0.01, $"Seams differ by {seamMean:F4} against {mean:F4} overall.");
    }

    [Theory]
    [InlineData(40, 37)]
    [InlineData(150, 131)]
    [InlineData(301, 203)]
    public void Should_predict_what_small_tiles_predicted_through_the_fewest_tiles_and_through_passes_over_a_small_budget(int width, int height)
    {
        // Given fields smaller than a tile, not a multiple of 2^depth, and larger than a small budget
        var (image, _) = TouchingDiscs.Generate(width, height, pairs: Math.Max(1, width * height / 4000), seed: 960 + width);
        var segmenter = trained.Segmenter;
        var smallBudget = UNetTilePlan.MinimumBudget(16, 4) * 16;

        // When it is predicted through 64-px tiles two at a time (the tiling before the planner), through the planned
        // tiles (one pass for all of these), and through the plan for a budget of 80 x 80 px
        var old = segmenter.Probabilities(image, tileSize: 64, tileOverlap: 16, pixelBudget: 2 * 64 * 64);
        var planned = segmenter.Probabilities(image, tileSize: 4096, tileOverlap: 16, pixelBudget: 1 << 20);
        var budgeted = segmenter.Probabilities(image, tileSize: 4096, tileOverlap: 16, pixelBudget: smallBudget);

        // Then all agree within the bounds the whole-image test above allows (tiles see less context near their
        // edges, which the Hann blend keeps small), border included
        Assert.Equal(1, segmenter.TilePlan(width, height, 4096, 16, 1 << 20).TileCount);
        var passes = segmenter.TilePlan(width, height, 4096, 16, smallBudget);
        Assert.True(width * height < smallBudget || passes.TileCount > 1, passes.ToString());
        foreach (var (name, other) in new[] { ("planned", planned), ("budgeted", budgeted) })
        {
            var (mean, disagreements) = Compare(old, other, width * height);
            output.WriteLine($"{width}x{height} {name} ({(name == "planned" ? "one pass" : passes)}): mean |Δp| {mean:F4}, labels differing {disagreements} of {width * height}");
            Assert.True(mean < 0.02, $"{name}: mean probability difference {mean:F4}.");
            Assert.True(disagreements <= 0.01 * width * height, $"{name}: {disagreements} labels differ.");
        }
    }

    [Fact]
    public void Should_predict_in_bfloat16_what_it_predicts_in_float32_up_to_rounding()
    {
        // Given unseen fields and the trained network (bfloat16 runs natively on AVX512-BF16 CPUs, emulated elsewhere)
        var fields = Enumerable.Range(0, 3).Select(i => TouchingDiscs.Generate(150, 131, pairs: 6, seed: 970 + i)).ToArray();
        var segmenter = trained.Segmenter;

        // When each is predicted in float32 and in bfloat16
        var results = new List<(float[] Single, float[] Brain, double SingleF1, double BrainF1)>();
        try
        {
            foreach (var (image, mask) in fields)
            {
                segmenter.Precision = InferencePrecision.Float32;
                var single = segmenter.Probabilities(image);
                var singleF1 = TouchingDiscs.InstanceF1(mask, segmenter.Predict(image).Instances!).F1;
                segmenter.Precision = InferencePrecision.BFloat16;
                var brain = segmenter.Probabilities(image);
                var brainF1 = TouchingDiscs.InstanceF1(mask, segmenter.Predict(image).Instances!).F1;
                results.Add((single, brain, singleF1, brainF1));
            }
        }
        finally
        {
            segmenter.Precision = InferencePrecision.Float32;
        }

        // Then the probabilities differ (the passes did run in bfloat16) by rounding only, labels almost never change,
        // and the objects are found as well
        var n = 150 * 131;
        foreach (var (single, brain, singleF1, brainF1) in results)
        {
            var (mean, disagreements) = Compare(single, brain, n);
            var worst = single.Zip(brain, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"bf16 against fp32: mean |Δp| {mean:F5}, worst {worst:F3}, labels differing {disagreements} of {n}, instance F1 {singleF1:F3} → {brainF1:F3}");
            Assert.True(mean > 0, "bfloat16 gave float32's probabilities bit for bit: the passes did not run in bfloat16.");
            Assert.True(mean < 0.02, $"Mean probability difference {mean:F4}.");
            Assert.True(disagreements <= 0.01 * n, $"{disagreements} of {n} labels differ.");
            Assert.True(brainF1 >= singleF1 - 0.05, $"Instance F1 fell from {singleF1:F3} to {brainF1:F3}.");
        }
    }

    static (double Mean, int Disagreements) Compare(float[] a, float[] b, int n)
    {
        double sum = 0;
        var disagreements = 0;
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < 3; c++)
                sum += Math.Abs(a[(c * n) + i] - b[(c * n) + i]);
            if (ArgMax(a, i, n) != ArgMax(b, i, n))
                disagreements++;
        }
        return (sum / n, disagreements);
    }

    [Theory]
    [InlineData(45, 71)]
    [InlineData(5, 7)]
    [InlineData(97, 33)]
    public void Should_segment_images_of_any_size(int width, int height)
    {
        var (image, _) = TouchingDiscs.Generate(Math.Max(width, 40), Math.Max(height, 40), pairs: 1, seed: 3);
        var cropped = image.Crop(0, Math.Max(height, 40) - height, 0, Math.Max(width, 40) - width);

        var prediction = trained.Segmenter.Predict(cropped);

        Assert.Equal(width, prediction.Width);
        Assert.Equal(height, prediction.Height);
        Assert.Equal(width * height, prediction.Labels.Length);
        Assert.Equal(3 * width * height, prediction.Probabilities!.Length);
        Assert.Equal(width * height, prediction.Instances!.Length);
        for (var i = 0; i < width * height; i++)
        {
            var total = prediction.Probabilities[i] + prediction.Probabilities[(width * height) + i] + prediction.Probabilities[(2 * width * height) + i];
            Assert.Equal(1, total, 4);
            Assert.Equal(prediction.Instances[i] > 0 ? 1 : 0, prediction.Labels[i]);
        }
    }

    [Fact]
    public void Should_stop_predicting_when_cancelled()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => trained.Segmenter.Predict(new GrayImage(64, 64), cancellation.Token));
    }

    static int ArgMax(float[] probabilities, int i, int n)
    {
        var best = 0;
        for (var c = 1; c < 3; c++)
        {
            if (probabilities[(c * n) + i] > probabilities[(best * n) + i])
                best = c;
        }
        return best;
    }
}

[Collection(TorchTests.Name)]
public class UNetTrainerSmallTests(ITestOutputHelper output)
{
    static readonly UNetOptions Tiny = new()
    {
        Depth = 2,
        BaseWidth = 4,
        PatchSize = 32,
        BatchSize = 2,
        StepsPerEpoch = 3,
        MaxEpochs = 2,
        Patience = 2,
        TileSize = 32,
        TileOverlap = 8,
        Threads = 1,
    };

    [Fact]
    public void Should_train_and_predict_identically_twice_from_one_seed_and_differently_from_another()
    {
        var data = TouchingDiscs.Data(count: 3, width: 48, height: 40, pairs: 1, seed: 10);
        var (image, _) = TouchingDiscs.Generate(50, 37, pairs: 1, seed: 77);

        var first = TrainAndPredict(data, image, seed: 1);
        var second = TrainAndPredict(data, image, seed: 1);
        var other = TrainAndPredict(data, image, seed: 2);

        Assert.Equal(first.Probabilities, second.Probabilities);
        Assert.Equal(first.Loss, second.Loss);
        Assert.NotEqual(first.Probabilities, other.Probabilities);
    }

    static (float[] Probabilities, double[] Loss) TrainAndPredict(SegmentationData data, GrayImage image, int seed)
    {
        var summary = new SegmenterTrainingSummary();
        using var segmenter = new UNetTrainer(Tiny).Train(data, new TrainingContext { Seed = seed, Threads = 1 }, summary);
        return (segmenter.Predict(image).Probabilities!, summary.Curves["train_loss"]);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0)]
    public void Should_validate_and_keep_the_averaged_weights_repeatably_and_free_the_average(double validationFraction)
    {
        // Given: the same data and seed, with and without a moving average of the weights
        var data = TouchingDiscs.Data(count: 3, width: 48, height: 40, pairs: 1, seed: 10);
        var (image, _) = TouchingDiscs.Generate(50, 37, pairs: 1, seed: 77);
        var averaged = Tiny with { WeightAveraging = 0.9, ValidationFraction = validationFraction };
        var plain = Tiny with { ValidationFraction = validationFraction };
        var before = Tensor.LiveCount;
        var nativeBefore = Tensor.NativeLiveCount;

        // When
        var first = TrainAndPredict(data, image, 1, averaged);
        var second = TrainAndPredict(data, image, 1, averaged);
        var without = TrainAndPredict(data, image, 1, plain);

        // Then: the same optimiser steps (same training losses), other weights in the result, and nothing leaked
        Assert.Equal(first.Probabilities, second.Probabilities);
        Assert.Equal(without.Loss, first.Loss);
        Assert.NotEqual(without.Probabilities, first.Probabilities);
        Assert.Equal("0.9", first.Facts["weight_averaging"]);
        Assert.Equal("off", without.Facts["weight_averaging"]);
        if (validationFraction > 0)
            Assert.NotEqual(without.ValidationLoss, first.ValidationLoss);
        Assert.Equal(before, Tensor.LiveCount);
        Assert.Equal(nativeBefore, Tensor.NativeLiveCount);
    }

    static (float[] Probabilities, double[] Loss, double[]? ValidationLoss, IReadOnlyDictionary<string, string> Facts) TrainAndPredict(
        SegmentationData data, GrayImage image, int seed, UNetOptions options)
    {
        var summary = new SegmenterTrainingSummary();
        using var segmenter = new UNetTrainer(options).Train(data, new TrainingContext { Seed = seed, Threads = 1 }, summary);
        return (segmenter.Predict(image).Probabilities!, summary.Curves["train_loss"], summary.Curves.GetValueOrDefault("val_loss"), summary.Facts);
    }

    [Theory]
    [InlineData("unet", MaskKind.Instances)]
    [InlineData("resunet", MaskKind.Binary)]
    public void Should_free_every_tensor_it_made_once_the_segmenter_is_disposed(string name, MaskKind kind)
    {
        // Given
        var discs = TouchingDiscs.Data(count: 2, width: 40, height: 40, pairs: 1, seed: 20);
        var data = kind == MaskKind.Binary
            ? new SegmentationData
            {
                Samples = discs.Samples.Select(s => s with { Mask = s.Mask.Select(v => v > 0 ? 1 : 0).ToArray() }).ToArray(),
                Kind = MaskKind.Binary,
                ClassNames = ["background", "foreground"],
            }
            : discs;
        var before = Tensor.LiveCount;
        var nativeBefore = Tensor.NativeLiveCount;

        // When
        SegmentationPrediction prediction;
        var summary = new SegmenterTrainingSummary();
        using (var segmenter = UNetTrainer.Create(name, Tiny with { LocalContrastSigma = kind == MaskKind.Binary ? 6 : null }).Train(data, new TrainingContext { Seed = 3, Threads = 1 }, summary))
            prediction = segmenter.Predict(data.Samples[0].Image);

        // Then
        Assert.Equal(before, Tensor.LiveCount);
        Assert.Equal(nativeBefore, Tensor.NativeLiveCount);
        Assert.Equal(name, summary.Facts["model"]);
        if (kind == MaskKind.Binary)
        {
            Assert.NotNull(prediction.Instances);
            Assert.Equal(["background", "foreground"], prediction.ChannelNames);
            Assert.Equal("semantic", summary.Facts["scheme"]);
            Assert.Equal("6", summary.Facts["local_contrast_sigma"]);
        }
        else
        {
            Assert.NotNull(prediction.Instances);
        }
    }

    [Fact]
    public void Should_split_a_binary_foreground_with_settings_tuned_on_the_validation_images_and_keep_the_arg_max_labels()
    {
        // Given binary masks (touching discs drawn as one foreground class, so each touching pair is one true region)
        var discs = TouchingDiscs.Data(count: 5, width: 64, height: 64, pairs: 2, seed: 40);
        var data = new SegmentationData
        {
            Samples = discs.Samples.Select(s => s with { Mask = s.Mask.Select(v => v > 0 ? 1 : 0).ToArray() }).ToArray(),
            Kind = MaskKind.Binary,
            ClassNames = ["background", "foreground"],
        };

        // When a semantic U-Net is trained with the split (the default) and without it
        var summary = new SegmenterTrainingSummary();
        using var split = new UNetTrainer(Tiny).Train(data, new TrainingContext { Seed = 4, Threads = 1 }, summary);
        using var plain = new UNetTrainer(Tiny with { SplitSemanticObjects = false }).Train(data, new TrainingContext { Seed = 4, Threads = 1 }, new SegmenterTrainingSummary());

        // Then the split's settings are those the tuner picks on the validation image alone, against its mask's
        // 4-connected regions, and the facts say so
        var (_, validation) = UNetTrainer.SplitByGroup(data, Tiny.ValidationFraction, Seeds.Derive(4, "unet-validation"));
        var sample = data.Samples[Assert.Single(validation)];
        var truth = AutoClassify.Preprocessing.LabelRegions.Components(sample.Mask, 64, 64, eightConnected: false, out _);
        var maps = InstancePostProcessing.FromSemantic(split.NetworkProbabilities(sample.Image, split.Info.TileSize, split.Info.TileOverlap, default), 64, 64);
        var referenceArea = InstancePostProcessingTuner.ReferenceArea(data.Samples.Select(s => AutoClassify.Preprocessing.LabelRegions.Components(s.Mask, 64, 64, eightConnected: false, out _)));
        var byHand = InstancePostProcessingTuner.Tune([new InstanceTuningImage(maps, 64, 64, truth)], referenceArea, Tiny.MinObjectArea, threads: 1);
        Assert.Equal(byHand.Chosen, split.Info.PostProcessing);
        Assert.StartsWith("1 validation image(s)", summary.Facts["post_tuned_on"], StringComparison.Ordinal);
        Assert.Null(plain.Info.PostProcessing);

        // And the objects come from those settings while the labels stay the arg-max classes; without the split
        // there are no instances, as before
        var (image, mask) = TouchingDiscs.Generate(64, 64, pairs: 2, seed: 990);
        var prediction = split.Predict(image);
        var n = 64 * 64;
        var probabilities = prediction.Probabilities!;
        Assert.All(Enumerable.Range(0, n), i => Assert.Equal(probabilities[n + i] > probabilities[i] ? 1 : 0, prediction.Labels[i]));
        Assert.Equal(split.Info.PostProcessing!.Apply(InstancePostProcessing.FromSemantic(split.NetworkProbabilities(image, split.Info.TileSize, split.Info.TileOverlap, default), 64, 64), 64, 64), prediction.Instances);
        Assert.Null(plain.Predict(image).Instances);

        // And the split survives saving and loading
        var directory = Directory.CreateTempSubdirectory("ac-semantic-split-");
        try
        {
            split.Save(directory.FullName);
            using var loaded = UNetSegmenter.Load(directory.FullName, threads: 1);
            Assert.Equal(split.Info.PostProcessing, loaded.Info.PostProcessing);
            Assert.Equal(prediction.Instances, loaded.Predict(image).Instances);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
        output.WriteLine($"chosen {split.Info.PostProcessing!.Summary()}; validation F1 {byHand.F1:F3} (plain regions {byHand.UntunedF1:F3}); {prediction.Instances!.Max()} objects, truth {TouchingDiscs.InstanceF1(mask, prediction.Instances!).Truth}");
    }

    [Fact]
    public void Should_stop_training_when_cancelled()
    {
        var data = TouchingDiscs.Data(count: 2, width: 40, height: 40, pairs: 1, seed: 30);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var before = Tensor.LiveCount;

        Assert.ThrowsAny<OperationCanceledException>(() =>
            new UNetTrainer(Tiny).Train(data, new TrainingContext { Seed = 1, CancellationToken = cancellation.Token }, new SegmenterTrainingSummary()));
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void Should_name_the_file_when_a_class_map_holds_a_value_outside_the_classes()
    {
        var sample = TouchingDiscs.Sample(40, 40, pairs: 1, seed: 5);
        var data = new SegmentationData
        {
            Samples = [sample with { Mask = sample.Mask.Select(v => v > 0 ? 3 : 0).ToArray() }],
            Kind = MaskKind.ClassMap,
            ClassNames = ["background", "particle"],
        };

        var error = Assert.Throws<ArgumentException>(() =>
            new UNetTrainer(Tiny).Train(data, new TrainingContext { Seed = 1 }, new SegmenterTrainingSummary()));

        Assert.Contains("discs-5.png: mask value 3 is outside the 2 classes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_list_every_bad_option_at_once()
    {
        var options = new UNetOptions { Depth = 3, PatchSize = 100, TileOverlap = 1100, LearningRate = 0, BoundaryWidth = 0, WeightAveraging = 1, TrainingPrecision = (InferencePrecision)9 };

        var error = Assert.Throws<ArgumentException>(() => new UNetTrainer(options));

        Assert.Contains("PatchSize must be a multiple of 2^Depth = 8, got 100", error.Message, StringComparison.Ordinal);
        Assert.Contains("TileOverlap must be less than half the tile size (2048), got 1100", error.Message, StringComparison.Ordinal);
        Assert.Contains("LearningRate must lie in (0, 10], got 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("BoundaryWidth must lie in [1, 32], got 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("WeightAveraging must lie in [0, 1), got 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("TrainingPrecision 9 is not float32 or bfloat16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_unknown_model_name()
    {
        var error = Assert.Throws<ArgumentException>(() => UNetTrainer.Create("vnet"));

        Assert.Contains("expected unet or resunet", error.Message, StringComparison.Ordinal);
    }
}
