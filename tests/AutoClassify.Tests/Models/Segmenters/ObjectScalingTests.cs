using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Tensors;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Models.Segmenters;

[Collection(TorchTests.Name)]
public class ObjectScalingTests(ITestOutputHelper output)
{
    // The discs' radii are 7 to 11 px, so their median equivalent diameter is about 18 px at scale 1.
    const int ObjectSize = 18;

    [Fact]
    public void Should_measure_the_median_diameter_of_instances_and_of_foreground_components()
    {
        // Given a 40x20 map with two 6x6 squares and one 4x4 square inside, and a strip cut by the border
        var mask = new int[40 * 20];
        void Fill(int id, int x0, int y0, int size)
        {
            for (var y = y0; y < y0 + size; y++)
            {
                for (var x = x0; x < x0 + size; x++)
                    mask[(y * 40) + x] = id;
            }
        }
        Fill(1, 2, 2, 6);
        Fill(2, 12, 2, 6);
        Fill(3, 22, 2, 4);
        Fill(4, 0, 14, 2);

        // When the median diameter is measured as instances and as a binary mask
        var instances = ObjectScaling.MedianDiameter(mask, 40, 20, MaskKind.Instances);
        var binary = ObjectScaling.MedianDiameter([.. mask.Select(v => v == 0 ? 0 : 1)], 40, 20, MaskKind.Binary);

        // Then both give the 6x6 squares' equivalent diameter, leaving the border-cut strip out, and an empty mask has none
        var expected = Math.Sqrt(4 * 36 / Math.PI);
        Assert.Equal(expected, instances!.Value, 9);
        Assert.Equal(expected, binary!.Value, 9);
        Assert.Null(ObjectScaling.MedianDiameter(new int[100], 10, 10, MaskKind.Instances));

        // And the spread of sizes is the interquartile range of the whole objects' log diameters (log 6/4 here)
        Assert.Equal(Math.Log(6.0 / 4), ObjectScaling.LogDiameterSpread(mask, 40, 20)!.Value, 9);
        Assert.Equal(0, ObjectScaling.LogDiameterSpread(ObjectScaling.ObjectIds([.. mask.Select(v => v is 1 or 2 ? 7 : 0)], 40, 20, MaskKind.Binary), 40, 20)!.Value, 9);
        Assert.Null(ObjectScaling.LogDiameterSpread(mask.Select(v => v == 3 ? 3 : 0).ToArray(), 40, 20));
    }

    [Fact]
    public void Should_read_a_rods_thickness_across_it_and_a_discs_as_its_diameter()
    {
        // Given a 120x60 map with a disc 21 px across, two 7x81 rods touching along their length, and a square cut by the border
        const int width = 120, height = 60;
        var mask = new int[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (((x - 15) * (x - 15)) + ((y - 15) * (y - 15)) <= 100)
                    mask[(y * width) + x] = 1;
                else if (x is >= 30 and < 111 && y is >= 40 and < 47)
                    mask[(y * width) + x] = 2;
                else if (x is >= 30 and < 111 && y is >= 47 and < 54)
                    mask[(y * width) + x] = 3;
                else if (x >= 112 && y < 20)
                    mask[(y * width) + x] = 4;
            }
        }

        // When the objects are measured by their thickness and by their equivalent diameter
        var disc = ObjectScaling.Sizes(mask.Select(v => v == 1 ? 1 : 0).ToArray(), width, height, ObjectMeasure.Thickness);
        var rods = ObjectScaling.Sizes(mask.Select(v => v is 2 or 3 ? v : 0).ToArray(), width, height, ObjectMeasure.Thickness);
        var all = ObjectScaling.MedianSize(mask, width, height, MaskKind.Instances, ObjectMeasure.Thickness);
        var asDiameter = ObjectScaling.MedianSize(mask, width, height, MaskKind.Instances, ObjectMeasure.EquivalentDiameter);

        // Then the disc reads its diameter (less up to two pixels: a digital circle's rim comes closer to its centre in places),
        // the rods their width (each apart from the other it touches), whatever their length
        Assert.InRange(disc.Median!.Value, 19, 21);
        Assert.Null(disc.Spread);
        Assert.Equal(7, rods.Median!.Value, 0);
        Assert.Equal(0, rods.Spread!.Value, 9);
        // And the border-cut square is left out: the median of 21, 7 and 7 is 7, where equivalent diameters read the rods as 27 px
        Assert.Equal(7, all!.Value, 0);
        Assert.Equal(ObjectScaling.MedianDiameter(mask, width, height, MaskKind.Instances), asDiameter);
        Assert.Equal(Math.Sqrt(4 * 7 * 81 / Math.PI), asDiameter!.Value, 9);
        Assert.Null(ObjectScaling.MedianSize(new int[100], 10, 10, MaskKind.Instances, ObjectMeasure.Thickness));

        // And an object that fills the whole image reads as wide as the image
        Assert.Equal(10, ObjectScaling.Sizes(Enumerable.Repeat(5, 100).ToArray(), 10, 10, ObjectMeasure.Thickness).Median!.Value, 9);
    }

    [Fact]
    public void Should_write_a_segmenter_scaled_by_thickness_as_format_4_and_refuse_it_as_format_3()
    {
        var thickness = ObjectScale.Fit(ObjectSize, [0.5, 1, 2], measure: ObjectMeasure.Thickness);
        var info = new UNetSegmenterInfo
        {
            Model = "unet",
            Scheme = OutputScheme.Instance,
            ChannelNames = [.. InteriorBoundaryScheme.ChannelNames],
            ClassNames = ["background", "particle"],
            Depth = 2,
            BaseWidth = 4,
            Residual = false,
            PostProcessing = new InstancePostProcessing(),
            Format = UNetSegmenterInfo.FormatFor(ObjectMeasure.Thickness),
            ObjectScale = thickness,
        };

        Assert.Equal(4, info.Format);
        Assert.Equal(UNetSegmenterInfo.ScaledFormat, UNetSegmenterInfo.FormatFor(ObjectMeasure.EquivalentDiameter));
        Assert.Equal(ObjectMeasure.EquivalentDiameter, ObjectScale.Fit(ObjectSize, [1.0]).Measure);
        Assert.Null(info.FindProblem());
        Assert.Contains("needs format 4", (info with { Format = 3 }).FindProblem(), StringComparison.Ordinal);
        Assert.Null((info with { Format = 3, ObjectScale = thickness with { Measure = ObjectMeasure.EquivalentDiameter } }).FindProblem());
        Assert.Contains("measure", (info with { ObjectScale = thickness with { Measure = (ObjectMeasure)7 } }).FindProblem(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, 400, 2.0, 1 << 22, 1000, 800, 2.0)]
    [InlineData(1000, 1000, 4.0, 1 << 20, 1024, 1024, 1.024)]
    [InlineData(600, 300, 0.1, 1 << 22, 60, 30, 0.1)]
    public void Should_resize_by_the_factor_within_the_pixel_bound(int width, int height, double factor, int maxPixels, int expectedWidth, int expectedHeight, double expectedFactor)
    {
        var (w, h, f) = ObjectScaling.Size(width, height, factor, maxPixels);

        Assert.Equal((expectedWidth, expectedHeight), (w, h));
        Assert.True((long)w * h <= maxPixels);
        Assert.Equal(expectedFactor, f, 3);
    }

    [Fact]
    public void Should_fit_the_probe_and_the_widened_range_on_the_training_factors()
    {
        var scale = ObjectScale.Fit(24, [0.5, 1, 2, 0.01]);

        Assert.Equal(ObjectScaling.SmallestFactor, scale.MinFactor);
        Assert.Equal(4, scale.MaxFactor, 9);
        Assert.Equal(Math.Sqrt(0.5), scale.ProbeFactor, 9);
        Assert.Null(scale.FindProblem());
        Assert.Throws<ArgumentException>(() => ObjectScale.Fit(24, []));
    }

    [Fact]
    public void Should_name_object_size_and_long_side_together_as_a_problem()
    {
        var problems = new UNetOptions { ObjectSize = 32, InputLongSide = 256 }.Problems();

        Assert.Contains(problems, p => p.Contains("ObjectSize", StringComparison.Ordinal) && p.Contains("InputLongSide", StringComparison.Ordinal));
        Assert.Contains(new UNetOptions { ObjectSize = 2 }.Problems(), p => p.StartsWith("ObjectSize must lie in", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_estimate_each_images_scale_and_segment_scales_it_never_saw_better_than_without_scaling()
    {
        // Given discs drawn at scales 1 and 3 for training (diameters about 18 and 54 px)
        var training = new SegmentationData
        {
            Samples = [.. Enumerable.Range(0, 6).Select(i => Scaled(72, i % 2 == 0 ? 1 : 3, pairs: 3, seed: 300 + i))],
            Kind = MaskKind.Instances,
            ClassNames = ["background", "particle"],
        };
        var context = new TrainingContext { Seed = 11, Threads = 2 };

        // When one U-Net trains with object scaling (its selection weights tuned) and the same U-Net without it
        var summary = new SegmenterTrainingSummary();
        using var scaled = new UNetTrainer(TrainedDiscsFixture.Small with { ObjectSize = ObjectSize, TuneScaleSelection = true, Augmentation = TrainedDiscsFixture.Small.Augmentation with { ScaleRange = 0.25 } })
            .Train(training, context, summary);
        using var plain = new UNetTrainer(TrainedDiscsFixture.Small with { Augmentation = TrainedDiscsFixture.Small.Augmentation with { ScaleRange = 0.25 } })
            .Train(training, context, new SegmenterTrainingSummary());

        // Then on unseen fields between (1.8) and beyond (4.5) the training scales the estimated factor is within 1.5x
        // of the one the true mask gives: the network learnt objects spread over about that band (disc radii ±22 %
        // within a field, scale jitter up to 25 %), so it segments alike across it and the estimator only asks the
        // objects to fall inside it; and the scaled network's instance F1 beats the plain one's
        var fields = new[] { 1.8, 1.8, 4.5, 4.5 }.Select((s, i) => Scaled(72, s, pairs: 3, seed: 700 + i)).ToArray();
        var scaledScores = new List<(double F1, int Matched, int Predicted, int Truth)>();
        var plainScores = new List<(double F1, int Matched, int Predicted, int Truth)>();
        foreach (var field in fields)
        {
            var truth = ObjectScaling.Factor(ObjectScaling.MedianDiameter(field.Mask, field.Width, field.Height, MaskKind.Instances)!.Value, ObjectSize);
            var prediction = scaled.Predict(field.Image);
            var ratio = prediction.ScaleFactor!.Value / truth;
            scaledScores.Add(TouchingDiscs.InstanceF1(field.Mask, prediction.Instances!));
            plainScores.Add(TouchingDiscs.InstanceF1(field.Mask, plain.Predict(field.Image).Instances!));
            output.WriteLine($"{field.Width}x{field.Height}: true factor {truth:F3}, estimated {prediction.ScaleFactor:F3} (ratio {ratio:F2}); F1 scaled {scaledScores[^1].F1:F2}, plain {plainScores[^1].F1:F2}");
            Assert.InRange(ratio, 1 / 1.5, 1.5);
            Assert.Equal((field.Width, field.Height), (prediction.Width, prediction.Height));
        }
        double Pooled(List<(double F1, int Matched, int Predicted, int Truth)> s) => 2.0 * s.Sum(x => x.Matched) / s.Sum(x => x.Truth + x.Predicted);
        output.WriteLine($"pooled instance F1: scaled {Pooled(scaledScores):F3}, plain {Pooled(plainScores):F3}");
        Assert.True(Pooled(scaledScores) >= 0.8, $"Instance F1 with object scaling was {Pooled(scaledScores):F3}.");
        Assert.True(Pooled(scaledScores) >= Pooled(plainScores) + 0.1, $"Object scaling gave {Pooled(scaledScores):F3} against {Pooled(plainScores):F3} without.");
        Assert.Equal("18", summary.Facts["object_size"]);
        Assert.Equal("equivalent diameter", summary.Facts["object_measure"]);
        Assert.Equal(6, summary.Facts["object_scale_training_factors"].Split(',').Length);
        Assert.Equal(scaled.Info.ObjectScale!.Selection.Summary(), summary.Facts["scale_selection"]);
        Assert.Contains("paired gain", summary.Facts["scale_selection_best_candidate"], StringComparison.Ordinal);

        // And with test-time flips the ladder still sees each field alone, so the same rung is chosen, and only that
        // rung runs again averaged over the flips
        var flipped = fields[2];
        var alone = scaled.Predict(flipped.Image);
        var ladderAlone = scaled.Ladder(flipped.Image, default).Select(p => p.Rung).ToArray();
        SegmentationPrediction withFlips;
        try
        {
            scaled.TestTimeFlips = 4;
            Assert.Equal(ladderAlone, scaled.Ladder(flipped.Image, default).Select(p => p.Rung).ToArray());
            Assert.NotEqual(ladderAlone, scaled.Ladder(flipped.Image, default, withFlips: true).Select(p => p.Rung).ToArray());
            withFlips = scaled.Predict(flipped.Image);
            Assert.Equal(scaled.Probabilities(flipped.Image), withFlips.Probabilities);
        }
        finally
        {
            scaled.TestTimeFlips = 1;
        }
        Assert.Equal(alone.ScaleFactor, withFlips.ScaleFactor);
        Assert.True(alone.Probabilities!.Select((a, i) => Math.Abs(a - withFlips.Probabilities![i])).Max() > 1e-3, "The flips changed nothing at the chosen rung.");

        // And the scale survives saving and loading, as format 3, with the same predictions
        var directory = Directory.CreateTempSubdirectory("ac-object-scaling-");
        try
        {
            scaled.Save(directory.FullName);
            using var loaded = UNetSegmenter.Load(directory.FullName, threads: 2);
            Assert.Equal(UNetSegmenterInfo.ScaledFormat, loaded.Info.Format);
            Assert.Equal(scaled.Info.ObjectScale, loaded.Info.ObjectScale);
            var again = loaded.Predict(fields[2].Image);
            Assert.Equal(scaled.Predict(fields[2].Image).Instances, again.Instances);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    // A field of touching discs drawn at 1x and resized by scale (the mask by nearest neighbour).
    static SegmentationSample Scaled(int side, double scale, int pairs, int seed)
    {
        var (image, mask) = TouchingDiscs.Generate(side, side, pairs, seed);
        var size = (int)Math.Round(side * scale);
        var resized = size == side ? image : ImageOps.Resize(image, size, size, size < side ? ResizeInterpolation.Area : ResizeInterpolation.Linear);
        return new SegmentationSample($"discs-{seed}-x{scale}.png", resized, InputScaling.Labels(mask, side, side, size, size), seed);
    }
}
