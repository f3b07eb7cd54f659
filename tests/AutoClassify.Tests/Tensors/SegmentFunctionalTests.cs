using AutoClassify.Native;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class SegmentFunctionalTests
{
    [Fact]
    public void Should_spread_each_input_pixel_over_a_block_when_a_stride_2_transposed_convolution_has_a_ones_kernel()
    {
        using var scope = DisposeScope.Begin();
        var input = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);
        var weight = Tensor.Ones([1, 1, 2, 2]);

        var output = Functional.ConvTranspose2d(input, weight, stride: 2);

        Assert.Equal([1L, 1L, 4L, 4L], output.Shape);
        Assert.Equal([1f, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], output.ToArray<float>());
    }

    [Fact]
    public void Should_be_the_adjoint_of_the_convolution_with_the_same_weight()
    {
        // Given <conv(x), y> for a strided, padded convolution
        using var scope = DisposeScope.Begin();
        Torch.ManualSeed(3);
        var x = Tensor.Randn([2, 3, 9, 9]);
        var weight = Tensor.Randn([4, 3, 3, 3]);
        var convolved = Functional.Conv2d(x, weight, stride: 2, padding: 1);
        var y = Tensor.Randn(convolved.Shape);

        // When the transposed convolution takes y back to x's shape
        var back = Functional.ConvTranspose2d(y, weight, stride: 2, padding: 1);

        // Then <conv(x), y> = <x, convᵀ(y)>
        Assert.Equal(x.Shape, back.Shape);
        var left = (convolved * y).Sum().ToDouble();
        var right = (x * back).Sum().ToDouble();
        Assert.Equal(left, right, 3);
    }

    [Fact]
    public void Should_double_the_size_of_a_map_in_a_ConvTranspose2d_layer_and_train_its_weights()
    {
        using var scope = DisposeScope.Begin();
        Torch.ManualSeed(4);
        using var layer = new ConvTranspose2d(8, 4, 2, stride: 2);
        var input = Tensor.Randn([2, 8, 5, 7]);

        var output = layer.Forward(input);
        output.Sum().Backward();

        Assert.Equal([2L, 4L, 10L, 14L], output.Shape);
        Assert.Equal([8L, 4L, 2L, 2L], layer.Weight.Shape);
        Assert.Equal(["weight", "bias"], layer.NamedParameters().Select(p => p.Name));
        Assert.NotNull(layer.Weight.Grad);
        Assert.True(layer.Weight.Grad!.Abs().Sum().ToDouble() > 0);
    }

    [Fact]
    public void Should_repeat_pixels_when_upsampling_by_nearest_and_interpolate_between_them_when_bilinear()
    {
        using var scope = DisposeScope.Begin();
        var input = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);
        var row = Tensor.FromArray(new float[] { 0, 1 }, [1, 1, 1, 2]);

        var nearest = Functional.Interpolate(input, 4, 4, InterpolationMode.Nearest);
        var bilinear = Functional.Interpolate(row, 1, 3, InterpolationMode.Bilinear, alignCorners: true);
        using var upsample = new Upsample(2);

        Assert.Equal([1f, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], nearest.ToArray<float>());
        Assert.Equal([0f, 0.5f, 1f], bilinear.ToArray<float>());
        Assert.Equal(nearest.ToArray<float>(), upsample.Forward(input).ToArray<float>());
    }

    [Theory]
    [InlineData(PaddingMode.Reflect, new float[] { 3, 2, 1, 2, 3, 2 })]
    [InlineData(PaddingMode.Replicate, new float[] { 1, 1, 1, 2, 3, 3 })]
    [InlineData(PaddingMode.Constant, new float[] { 9, 9, 1, 2, 3, 9 })]
    public void Should_pad_the_last_two_dimensions_as_the_mode_says(PaddingMode mode, float[] expected)
    {
        using var scope = DisposeScope.Begin();
        var input = Tensor.FromArray(new float[] { 1, 2, 3 }, [1, 1, 1, 3]);

        var output = Functional.Pad2d(input, 2, 1, 0, 0, mode, value: 9);

        Assert.Equal(expected, output.ToArray<float>());
    }

    [Fact]
    public void Should_refuse_a_reflection_as_wide_as_the_input_naming_the_sizes()
    {
        using var scope = DisposeScope.Begin();
        var input = Tensor.Zeros([1, 1, 4, 3]);

        var error = Assert.Throws<NativeException>(() => Functional.Pad2d(input, 3, 0, 0, 0, PaddingMode.Reflect));

        Assert.Contains("smaller than the input (4 x 3)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_give_every_group_zero_mean_and_unit_variance_per_sample_under_group_norm()
    {
        // Given 4 channels in 2 groups, with different scales per sample and group
        using var scope = DisposeScope.Begin();
        Torch.ManualSeed(5);
        var input = (Tensor.Randn([3, 4, 5, 6]) * 7) + 2;
        using var layer = new GroupNorm(2, 4);

        // When
        var output = layer.Forward(input).Reshape(3, 2, 2 * 5 * 6);

        // Then
        var mean = output.Mean(2).ToArray<float>();
        var variance = output.Square().Mean(2).ToArray<float>();
        Assert.All(mean, m => Assert.Equal(0, m, 4));
        Assert.All(variance, v => Assert.Equal(1, v, 3));
        Assert.Throws<NativeException>(() => Functional.GroupNorm(input, 3));
    }

    [Fact]
    public void Should_put_the_classes_second_in_a_one_hot_encoding()
    {
        using var scope = DisposeScope.Begin();
        var indices = Tensor.FromArray(new long[] { 0, 2, 1, 0 }, [1, 2, 2]);

        var hot = Functional.OneHot(indices, 3);

        Assert.Equal([1L, 3L, 2L, 2L], hot.Shape);
        Assert.Equal(ScalarType.Float32, hot.DType);
        Assert.Equal([1f, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0], hot.ToArray<float>());
        Assert.Equal(indices.ToArray<long>(), hot.ArgMax(1).ToArray<long>());
    }
}
