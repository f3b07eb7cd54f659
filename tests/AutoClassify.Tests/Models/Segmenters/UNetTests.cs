using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Segmenters;

[Collection(TorchTests.Name)]
public class UNetTests
{
    [Theory]
    [InlineData(false, 64, 48)]
    [InlineData(true, 37, 53)]
    [InlineData(false, 5, 3)]
    public void Should_give_one_logit_per_class_at_every_input_pixel(bool residual, int height, int width)
    {
        using var scope = DisposeScope.Begin();
        Torch.ManualSeed(1);
        using var network = new UNet(1, 3, depth: 3, baseWidth: 4, residual: residual);
        network.Eval();

        var logits = network.Forward(Tensor.Randn([2, 1, height, width]));

        Assert.Equal([2L, 3L, (long)height, (long)width], logits.Shape);
        Assert.True(double.IsFinite(logits.Abs().Sum().ToDouble()));
    }

    [Fact]
    public void Should_name_its_layers_by_level_and_double_the_width_at_each()
    {
        using var network = new UNet(1, 2, depth: 2, baseWidth: 8, residual: true);

        var names = network.NamedParameters().Select(p => p.Name).ToList();

        Assert.Contains("down0.conv1.weight", names);
        Assert.Contains("down2.conv2.weight", names);
        Assert.Contains("down1.shortcut.0.weight", names);
        Assert.Contains("up1.weight", names);
        Assert.Contains("dec0.bn2.bias", names);
        Assert.Contains("head.weight", names);
        Assert.Equal([32L, 32L, 3L, 3L], network.StateDict()["down2.conv2.weight"].Shape);
        Assert.Equal([32L, 16L, 2L, 2L], network.StateDict()["up1.weight"].Shape);
        Assert.Equal(4, network.SizeMultiple);
    }

    [Fact]
    public void Should_mark_only_the_pixels_near_another_object_as_boundary()
    {
        // Given two squares touching along a vertical edge, and a third one on its own
        const int width = 12, height = 6;
        var ids = new int[width * height];
        for (var y = 1; y < 5; y++)
        {
            for (var x = 0; x < 4; x++)
                ids[(y * width) + x] = 1;
            for (var x = 4; x < 8; x++)
                ids[(y * width) + x] = 2;
            for (var x = 9; x < 12; x++)
                ids[(y * width) + x] = 3;
        }

        // When
        var targets = SegmentationTargets.InstanceTargets(ids, width, height, boundaryWidth: 1);

        // Then
        var row = targets.AsSpan(2 * width, width).ToArray();
        Assert.Equal(new byte[] { 1, 1, 1, 2, 2, 1, 1, 1, 0, 1, 1, 1 }, row);
        Assert.All(targets.AsSpan(0, width).ToArray(), t => Assert.Equal(0, t));
    }

    [Fact]
    public void Should_split_touching_objects_at_the_predicted_boundary_with_the_watershed()
    {
        // Given probabilities of two discs touching along x = 20, with a boundary band between them
        const int width = 40, height = 24;
        var n = width * height;
        var probabilities = TouchingDiscs.TwoDiscProbabilities(width, height);

        // When
        var instances = SegmentationTargets.SplitInstances(probabilities, width, height, minArea: 4);

        // Then there are two objects, each covering its disc, and the boundary band is shared between them
        Assert.Equal(2, instances.Max());
        var left = instances[(12 * width) + 12];
        var right = instances[(12 * width) + 28];
        Assert.NotEqual(0, left);
        Assert.NotEqual(0, right);
        Assert.NotEqual(left, right);
        Assert.Equal(0, instances[0]);
        Assert.All(Enumerable.Range(0, n).Where(i => probabilities[i] == 0), i => Assert.NotEqual(0, instances[i]));
    }

    [Fact]
    public void Should_mirror_indices_beyond_the_image_without_repeating_the_edge()
    {
        Assert.Equal([2, 1, 0, 1, 2, 3, 2, 1, 0, 1], Enumerable.Range(-2, 10).Select(i => SegmenterInput.Mirror(i, 4)));
        Assert.Equal(0, SegmenterInput.Mirror(-5, 1));
    }
}

[Collection(TorchTests.Name)]
public class FoldedUNetTests
{
    [Theory]
    [InlineData(false, 3, 64, 48)]
    [InlineData(true, 3, 37, 53)]
    [InlineData(false, 2, 5, 3)]
    public void Should_give_the_networks_logits_with_batch_norm_folded_and_shuffled_upsampling(bool residual, int depth, int height, int width)
    {
        // Given a network in evaluation mode whose batch norms have learnt statistics and affine maps
        using var scope = DisposeScope.Begin();
        using var network = LearntLookingNetwork(depth, residual);
        network.Eval();
        network.UseChannelsLast();
        var input = Tensor.Randn([2, 1, height, width]);

        // When it runs as it is and folded
        Tensor expected, actual;
        using (Torch.NoGrad())
        {
            expected = network.Forward(input);
            using var folded = network.Fold();
            actual = folded.Forward(input);
        }

        // Then the logits agree to float rounding
        Assert.Equal(expected.Shape, actual.Shape);
        var difference = (expected - actual).Abs().Max().ToDouble();
        var scale = expected.Abs().Max().ToDouble();
        Assert.True(difference <= 1e-4 * Math.Max(1, scale), $"max difference {difference} at logits up to {scale}");
    }

    [Fact]
    public void Should_fold_once_per_precision_and_predict_the_same_after_switching_back()
    {
        // Given a segmenter over a network with learnt-looking batch norms, and a field
        using var segmenter = new UNetSegmenter(LearntLookingNetwork(depth: 2, residual: true), Info(depth: 2, residual: true), threads: 1);
        var (image, _) = TouchingDiscs.Generate(70, 54, pairs: 2, seed: 5);

        // When it predicts twice in float32, once in bfloat16 (emulated where the CPU lacks it), and in float32 again
        var first = segmenter.Probabilities(image);
        var again = segmenter.Probabilities(image);
        segmenter.Precision = InferencePrecision.BFloat16;
        var brain = segmenter.Probabilities(image);
        segmenter.Precision = InferencePrecision.Float32;
        var back = segmenter.Probabilities(image);

        // Then float32 gives the same probabilities bit for bit each time, and bfloat16 its own, close ones
        Assert.Equal(first, again);
        Assert.Equal(first, back);
        Assert.NotEqual(first, brain);
        Assert.True(first.Zip(brain, (a, b) => Math.Abs(a - b)).Average() < 0.02);
    }

    [Fact]
    public void Should_leave_a_borrowed_network_to_its_owner_when_the_borrower_is_disposed()
    {
        // Given a network and a segmenter borrowing it, as the trainer's probes do
        var network = LearntLookingNetwork(depth: 2, residual: false);
        var info = Info(depth: 2, residual: false);
        var (image, _) = TouchingDiscs.Generate(48, 40, pairs: 1, seed: 6);
        float[] borrowed;
        using (var probe = UNetSegmenter.Borrowing(network, info, threads: 1))
            borrowed = probe.Probabilities(image);

        // When the borrower is gone and the owner predicts
        using var owner = new UNetSegmenter(network, info, threads: 1);
        var owned = owner.Probabilities(image);

        // Then the network still runs, and gives the same probabilities
        Assert.Equal(borrowed, owned);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 37)]
    [InlineData(3, 1000)]
    [InlineData(4, 67)]
    public void Should_label_each_pixel_with_its_first_most_probable_channel(int channels, int n)
    {
        // Given maps with ties (values on a coarse grid) and a NaN, at pixel counts that are not a whole number of vectors
        var random = new Random(channels * n);
        var probabilities = Enumerable.Range(0, channels * n).Select(_ => random.Next(4) / 4f).ToArray();
        probabilities[(channels - 1) * n] = float.NaN;

        // When labelled
        var labels = UNetSegmenter.ArgMax(probabilities, channels, n);

        // Then each label is the first channel no later channel strictly beats, as a plain loop finds it
        for (var i = 0; i < n; i++)
        {
            var best = 0;
            for (var c = 1; c < channels; c++)
            {
                if (probabilities[(c * n) + i] > probabilities[(best * n) + i])
                    best = c;
            }
            Assert.Equal(best, labels[i]);
        }
    }

    // A network whose batch norms have statistics and affine maps far from their initial ones, so folding them matters.
    static UNet LearntLookingNetwork(int depth, bool residual)
    {
        Torch.ManualSeed(3);
        var network = new UNet(1, 3, depth, baseWidth: 4, residual: residual);
        using var scope = DisposeScope.Begin();
        using (Torch.NoGrad())
        {
            foreach (var (name, tensor) in network.NamedParameters().Concat(network.NamedBuffers()))
            {
                if (name.EndsWith("running_var", StringComparison.Ordinal) || (name.Contains(".bn", StringComparison.Ordinal) && name.EndsWith("weight", StringComparison.Ordinal)))
                    tensor.CopyFrom(Tensor.Randn(tensor.Shape).Abs() + 0.5);
                else if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("bias", StringComparison.Ordinal))
                    tensor.CopyFrom(Tensor.Randn(tensor.Shape) * 0.3);
            }
        }
        return network;
    }

    static UNetSegmenterInfo Info(int depth, bool residual) => new()
    {
        Model = residual ? "resunet" : "unet",
        Scheme = OutputScheme.Instance,
        ChannelNames = SegmentationTargets.InstanceChannels,
        ClassNames = ["background", "foreground"],
        Depth = depth,
        BaseWidth = 4,
        Residual = residual,
        PostProcessing = new InstancePostProcessing(),
    };
}
