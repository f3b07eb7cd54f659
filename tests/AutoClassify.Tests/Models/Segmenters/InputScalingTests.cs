using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Tensors;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Models.Segmenters;

[Collection(TorchTests.Name)]
public class InputScalingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(600, 400, 256, 256, 171)]
    [InlineData(100, 300, 150, 50, 150)]
    [InlineData(97, 33, 97, 97, 33)]
    public void Should_size_the_longer_side_to_the_working_resolution(int width, int height, int longSide, int expectedWidth, int expectedHeight) =>
        Assert.Equal((expectedWidth, expectedHeight), InputScaling.Size(width, height, longSide));

    [Fact]
    public void Should_keep_every_instance_id_when_a_mask_is_resized()
    {
        // Given a 6x4 map of three objects
        int[] mask =
        [
            0, 0, 7, 7, 0, 0,
            0, 0, 7, 7, 0, 0,
            300, 300, 0, 0, 65535, 65535,
            300, 300, 0, 0, 65535, 65535,
        ];

        // When it is enlarged three times and shrunk back
        var large = InputScaling.Labels(mask, 6, 4, 18, 12);
        var back = InputScaling.Labels(large, 18, 12, 6, 4);

        // Then no value is invented, none lost, and the round trip is exact
        Assert.Equal([0, 7, 300, 65535], large.Distinct().Order());
        Assert.Equal(mask, back);
    }

    [Fact]
    public void Should_train_at_the_working_resolution_and_give_instances_at_the_images_own_size()
    {
        // Given touching discs drawn 2.5 times larger than a 48-px patch sees comfortably
        var data = Enlarged(TouchingDiscs.Data(count: 6, width: 96, height: 96, pairs: 4, seed: 100), 240);
        var options = TrainedDiscsFixture.Small with { InputLongSide = 96 };

        // When a U-Net trains with its working resolution at a 96-px long side, and predicts unseen large fields
        var summary = new SegmenterTrainingSummary();
        using var segmenter = new UNetTrainer(options).Train(data, new TrainingContext { Seed = 7, Threads = 2 }, summary);
        var fields = Enumerable.Range(0, 3).Select(i => Enlarge(TouchingDiscs.Generate(96, 96, pairs: 4, seed: 900 + i), 240)).ToArray();
        var predictions = fields.Select(f => segmenter.Predict(f.Image)).ToArray();

        // Then the output has the image's size, probabilities still sum to one, and the discs come apart
        Assert.All(predictions, p => Assert.Equal((240, 240, 240 * 240), (p.Width, p.Height, p.Instances!.Length)));
        var n = 240 * 240;
        var p = predictions[0].Probabilities!;
        Assert.All(Enumerable.Range(0, n).Where(i => i % 97 == 0), i => Assert.InRange(p[i] + p[n + i] + p[(2 * n) + i], 0.999, 1.001));
        var scores = fields.Zip(predictions, (f, p) => TouchingDiscs.InstanceF1(f.Mask, p.Instances!)).ToArray();
        var pooled = 2.0 * scores.Sum(s => s.Matched) / scores.Sum(s => s.Truth + s.Predicted);
        output.WriteLine($"pooled instance F1 {pooled:F3}; " + string.Join("; ", scores.Select(s => $"{s.Matched} of {s.Truth} true, {s.Predicted} predicted")));
        Assert.True(pooled >= 0.9, $"Instance F1 at IoU 0.5 was {pooled:F3}.");
        Assert.Equal("96", summary.Facts["input_long_side"]);

        // And the working resolution survives saving and loading
        var directory = Directory.CreateTempSubdirectory("ac-input-scaling-");
        try
        {
            segmenter.Save(directory.FullName);
            using var loaded = UNetSegmenter.Load(directory.FullName, threads: 2);
            Assert.Equal(96, loaded.Info.InputLongSide);
            Assert.Equal(predictions[0].Instances, loaded.Predict(fields[0].Image).Instances);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    static SegmentationData Enlarged(SegmentationData data, int side) => new()
    {
        Samples = data.Samples.Select(s =>
        {
            var (image, mask) = Enlarge((s.Image, s.Mask), side);
            return s with { Image = image, Mask = mask };
        }).ToArray(),
        Kind = data.Kind,
        ClassNames = data.ClassNames,
    };

    static (GrayImage Image, int[] Mask) Enlarge((GrayImage Image, int[] Mask) field, int side) =>
        (ImageOps.Resize(field.Image, side, side, ResizeInterpolation.Linear), InputScaling.Labels(field.Mask, field.Image.Width, field.Image.Height, side, side));
}
