using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class FunctionalTests
{
    [Theory]
    [InlineData(false, GridSamplePadding.Zeros)]
    [InlineData(true, GridSamplePadding.Zeros)]
    [InlineData(false, GridSamplePadding.Border)]
    [InlineData(true, GridSamplePadding.Reflection)]
    public void Should_reproduce_the_input_through_an_identity_affine_grid(bool alignCorners, GridSamplePadding padding)
    {
        using var scope = DisposeScope.Begin();
        Torch.ManualSeed(9);
        var input = Tensor.Rand([2, 3, 7, 5]);
        var identity = Tensor.FromArray(new float[] { 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0 }, [2, 2, 3]);

        var grid = Functional.AffineGrid(identity, [2, 3, 7, 5], alignCorners);
        var output = Functional.GridSample(input, grid, GridSampleMode.Bilinear, padding, alignCorners);

        Assert.Equal([2L, 7L, 5L, 2L], grid.Shape);
        var expected = input.ToArray<float>();
        var actual = output.ToArray<float>();
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void Should_shift_the_image_when_the_affine_matrix_translates()
    {
        using var scope = DisposeScope.Begin();
        var input = Tensor.FromArray(new float[] { 0, 1, 2, 3 }, [1, 1, 1, 4]);
        // x_in = x_out + 0.5 moves the picture left by one pixel in normalised units of 2/4.
        var shift = Tensor.FromArray(new float[] { 1, 0, 0.5f, 0, 1, 0 }, [1, 2, 3]);

        var output = Functional.GridSample(input, Functional.AffineGrid(shift, [1, 1, 1, 4]), padding: GridSamplePadding.Border);

        Assert.Equal([1f, 2f, 3f, 3f], output.ToArray<float>());
    }

    [Fact]
    public void Should_match_the_label_smoothing_formula_on_a_hand_example()
    {
        using var scope = DisposeScope.Begin();
        double[][] logits = [[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]];
        long[] targets = [0, 1];
        const double epsilon = 0.2;

        var loss = Functional.CrossEntropy(
            Tensor.FromArray(logits.SelectMany(r => r.Select(v => (float)v)).ToArray(), [2, 3]),
            Tensor.FromArray(targets, [2]),
            labelSmoothing: epsilon);

        // Per sample: (1 - ε)·(-log p_y) + ε/C · Σ_c (-log p_c); the mean over the batch.
        double expected = 0;
        for (var i = 0; i < 2; i++)
        {
            var logZ = Math.Log(logits[i].Sum(Math.Exp));
            var nll = logits[i].Select(z => logZ - z).ToArray();
            expected += (1 - epsilon) * nll[targets[i]] + epsilon / 3 * nll.Sum();
        }
        Assert.Equal(expected / 2, loss.ToDouble(), 5);
        // The same loss from explicit soft targets (the form mixup uses).
        var soft = Tensor.FromArray(new float[] { 1 - 0.2f + 0.2f / 3, 0.2f / 3, 0.2f / 3, 0.2f / 3, 1 - 0.2f + 0.2f / 3, 0.2f / 3 }, [2, 3]);
        var fromSoft = Functional.CrossEntropy(Tensor.FromArray(logits.SelectMany(r => r.Select(v => (float)v)).ToArray(), [2, 3]), soft);
        Assert.Equal(expected / 2, fromSoft.ToDouble(), 5);
    }

    [Fact]
    public void Should_weight_each_sample_by_its_class_weight_in_the_mean()
    {
        using var scope = DisposeScope.Begin();
        var logits = Tensor.FromArray(new float[] { 1, 0, 1, 0, 0, 1 }, [3, 2]);
        var targets = Tensor.FromArray(new long[] { 0, 1, 1 }, [3]);
        var nll = Functional.CrossEntropy(logits, targets, reduction: Reduction.None).ToArray<float>();

        var plain = Functional.CrossEntropy(logits, targets).ToDouble();
        var weighted = Functional.CrossEntropy(logits, targets, Tensor.FromArray(new float[] { 1, 3 }, [2])).ToDouble();

        // Mean reduction divides by the summed weights of the targets: (1·l0 + 3·l1 + 3·l2) / 7.
        Assert.Equal(nll.Average(), plain, 1e-5);
        Assert.Equal((nll[0] + 3 * nll[1] + 3 * nll[2]) / 7, weighted, 1e-5);
        // Class 1 is the badly predicted one in sample 1, so weighting it up raises the loss.
        Assert.True(weighted > plain);
    }

    [Fact]
    public void Should_use_batch_statistics_in_training_and_running_ones_in_eval()
    {
        using var scope = DisposeScope.Begin();
        using var bn = new BatchNorm2d(1, momentum: 0.5);
        var input = Tensor.FromArray(new float[] { 1, 3, 5, 7 }, [1, 1, 2, 2]);

        var trained = bn.Forward(input);
        bn.Eval();
        var evaluated = bn.Forward(input);

        // Batch mean 4, biased variance 5: outputs (x - 4)/√5. Running mean 0.5·4, variance 0.5·1 + 0.5·(20/3).
        Assert.Equal((1 - 4) / Math.Sqrt(5 + 1e-5), trained.ToArray<float>()[0], 4);
        Assert.Equal(2f, bn.RunningMean!.ToSingle(), 5);
        Assert.Equal(0.5 + 0.5 * 20.0 / 3, bn.RunningVar!.ToDouble(), 4);
        Assert.Equal(1L, bn.NumBatchesTracked!.ToInt64());
        Assert.Equal((1 - 2) / Math.Sqrt(0.5 + 0.5 * 20.0 / 3 + 1e-5), evaluated.ToArray<float>()[0], 4);
    }

    [Fact]
    public void Should_pool_and_drop_out_with_the_expected_shapes()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.Arange(0, 16).Reshape(1, 1, 4, 4);

        Assert.Equal([5f, 7f, 13f, 15f], Functional.MaxPool2d(x, 2).ToArray<float>());
        Assert.Equal([2.5f, 4.5f, 10.5f, 12.5f], Functional.AvgPool2d(x, 2).ToArray<float>());
        Assert.Equal([7.5f], Functional.AdaptiveAvgPool2d(x, 1, 1).ToArray<float>());
        Assert.Equal(x.ToArray<float>(), Functional.Dropout(x, 0.5, training: false).ToArray<float>());
        var dropped = Functional.Dropout(Tensor.Ones([1000]), 0.5, training: true).ToArray<float>();
        Assert.All(dropped, v => Assert.True(v == 0f || v == 2f));
        Assert.InRange(dropped.Count(v => v == 0f), 400, 600);
        Assert.Equal([0f, 6f, 6f], Tensor.FromArray(new float[] { -1, 6, 9 }, [3]).Relu6().ToArray<float>());
        var probabilities = Tensor.FromArray(new float[] { 1, 2, 3 }, [1, 3]).Softmax(1).ToArray<float>();
        Assert.Equal(1f, probabilities.Sum(), 5);
    }
}
