using AutoClassify.Imaging;
using AutoClassify.Native;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class TensorTests
{
    [Fact]
    public void Should_round_trip_values_shape_and_dtype_through_native_memory()
    {
        float[] values = [1, 2, 3, 4, 5, 6];

        using var tensor = Tensor.FromArray(values, [2, 3]);

        Assert.Equal([2L, 3L], tensor.Shape);
        Assert.Equal(ScalarType.Float32, tensor.DType);
        Assert.Equal(Device.Cpu, tensor.Device);
        Assert.Equal(values, tensor.ToArray<float>());
        using var longs = Tensor.FromArray(new long[] { 7, -8 }, [2]);
        Assert.Equal([7L, -8L], longs.ToArray<long>());
        Assert.Equal([7f, -8f], longs.ToFloatArray());
        using var bytes = Tensor.FromArray(new byte[] { 0, 255 }, [1, 2]);
        Assert.Equal(ScalarType.UInt8, bytes.DType);
        Assert.Equal([0, 255], bytes.ToArray<byte>());
    }

    [Fact]
    public void Should_apply_relu_in_place_as_relu_does()
    {
        using var tensor = Tensor.FromArray(new[] { -2f, -0.5f, 0f, 1.5f, float.NaN, -0f }, [2, 3]);
        using var expected = tensor.Relu();

        var result = tensor.ReluInPlace();

        Assert.Same(tensor, result);
        Assert.Equal(expected.ToArray<float>(), tensor.ToArray<float>());
        Assert.Equal([0f, 0f, 0f, 1.5f, float.NaN, 0f], tensor.ToArray<float>());
    }

    [Fact]
    public void Should_stack_gray_images_into_an_n_1_h_w_batch()
    {
        var first = new GrayImage(3, 2, [0, 1, 2, 3, 4, 5]);
        var second = new GrayImage(3, 2, [6, 7, 8, 9, 10, 11]);

        using var batch = Tensor.FromImages([first, second]);

        Assert.Equal([2L, 1L, 2L, 3L], batch.Shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), batch.ToArray<float>());
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromImages([first, new GrayImage(2, 2)]));
        Assert.Contains("Image 1 is 2x2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_buffer_whose_length_does_not_match_the_shape()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], [2, 3]));
        Assert.Contains("[2, 3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_compute_arithmetic_reductions_and_shape_ops_like_pytorch()
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.FromArray(new float[] { 1, 4, 9, 16 }, [2, 2]);
        var b = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]);

        Assert.Equal([2f, 6f, 12f, 20f], (a + b).ToArray<float>());
        Assert.Equal([0f, 2f, 6f, 12f], (a - b).ToArray<float>());
        Assert.Equal([2f, 8f, 18f, 32f], (a * 2).ToArray<float>());
        Assert.Equal([1f, 2f, 3f, 4f], (a / b).ToArray<float>());
        Assert.Equal([9f, 6f, 1f, -6f], (10 - a).ToArray<float>());
        Assert.Equal([1f, 2f, 3f, 4f], a.Sqrt().ToArray<float>());
        Assert.Equal(30f, a.Sum().ToSingle());
        Assert.Equal(7.5f, a.Mean().ToSingle());
        Assert.Equal([5f, 25f], a.Sum(1).ToArray<float>());
        Assert.Equal([2f, 4f, 4f, 4f], a.Clamp(2, 4).ToArray<float>());
        Assert.Equal([1L, 1L], a.ArgMax(1).ToArray<long>());
        Assert.Equal([1f, 9f, 4f, 16f], a.Permute(1, 0).Contiguous().ToArray<float>());
        Assert.Equal([4L, 1L], a.Reshape(-1, 1).Shape);
        Assert.Equal([9f, 16f], a.Narrow(0, 1, 1).ToArray<float>());
        Assert.Equal([9f, 16f, 1f, 4f], a.IndexSelect(0, Tensor.FromArray(new long[] { 1, 0 }, [2])).ToArray<float>());
        Assert.Equal([true, false, false, false], a.Eq(1).ToArray<bool>());
        Assert.Equal(MathF.Log(9), a.Log().ToArray<float>()[2], 5);
        Assert.Equal(MathF.Exp(2), b.Exp().ToArray<float>()[1], 3);
        Assert.Equal([2L, 4L], Tensor.Cat([a, b], 1).Shape);
    }

    [Fact]
    public void Should_surface_a_libtorch_conv2d_error_with_libtorchs_own_message()
    {
        using var scope = DisposeScope.Begin();
        var input = Tensor.Zeros([1, 1, 8, 8]);
        var weight = Tensor.Zeros([4, 3, 3, 3]);

        var ex = Assert.Throws<NativeException>(() => Functional.Conv2d(input, weight));

        Assert.Contains("expected input[1, 1, 8, 8] to have 3 channels", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("frame #", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_surface_a_matmul_shape_mismatch_as_a_native_exception()
    {
        using var scope = DisposeScope.Begin();
        var left = Tensor.Ones([2, 3]);
        var right = Tensor.Ones([4, 5]);

        var ex = Assert.Throws<NativeException>(() => left.MatMul(right));

        Assert.Contains("cannot be multiplied", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2x3 and 4x5", ex.Message, StringComparison.Ordinal);
        // The thread's error is cleared by the next successful call.
        Assert.Equal(2, left.Dim);
    }

    [Fact]
    public void Should_repeat_random_draws_after_the_same_manual_seed()
    {
        Torch.ManualSeed(1234);
        using var first = Tensor.Randn([16]);
        Torch.ManualSeed(1234);
        using var second = Tensor.Randn([16]);
        Torch.ManualSeed(4321);
        using var third = Tensor.Randn([16]);

        Assert.Equal(first.ToArray<float>(), second.ToArray<float>());
        Assert.NotEqual(first.ToArray<float>(), third.ToArray<float>());
    }

    [Fact]
    public void Should_throw_object_disposed_when_a_disposed_tensor_is_used()
    {
        var tensor = Tensor.Ones([2]);
        tensor.Dispose();
        tensor.Dispose();

        Assert.True(tensor.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => tensor.Shape);
    }

    [Fact]
    public void Should_parse_devices_and_report_thread_settings()
    {
        Assert.Equal(Device.Cpu, Device.Parse("cpu"));
        Assert.Equal(Device.Cuda(1), Device.Parse("cuda:1"));
        Assert.Equal("cuda:1", Device.Cuda(1).ToString());
        Assert.Throws<FormatException>(() => Device.Parse("tpu:7"));
        var threads = Torch.Threads;
        Assert.True(threads >= 1);
        Torch.Threads = 1;
        Assert.Equal(1, Torch.Threads);
        Torch.Threads = threads;
        Assert.Equal(Torch.CudaIsAvailable ? Device.Cuda(0) : Device.Cpu, Torch.DefaultDevice);
    }

    [Fact]
    public void Should_dispose_every_tensor_created_in_a_scope_except_those_kept()
    {
        var before = Tensor.LiveCount;
        Tensor kept;
        Tensor moved;
        Tensor inner;
        using (var outer = DisposeScope.Begin())
        {
            using (var scope = DisposeScope.Begin())
            {
                var a = Tensor.Ones([3]);
                var b = a * 2;
                kept = scope.Keep(b + 1);
                inner = a.Exp();
                moved = (a - 1).MoveToOuterScope();
                Assert.Same(outer, kept.Scope);
                Assert.Equal(3, scope.Count); // a, b and inner
            }
            Assert.True(inner.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal([3f, 3f, 3f], kept.ToArray<float>());
            kept.DetachFromDisposeScope();
        }
        Assert.True(moved.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(before + 1, Tensor.LiveCount);
        kept.Dispose();
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void Should_end_nested_scopes_left_open_when_the_outer_scope_ends()
    {
        var before = Tensor.LiveCount;
        var outer = DisposeScope.Begin();
        _ = Tensor.Ones([2]);
        var forgotten = DisposeScope.Begin();
        _ = Tensor.Ones([2]);

        outer.Dispose();

        Assert.Null(DisposeScope.Current);
        Assert.Equal(0, forgotten.Count);
        Assert.Equal(before, Tensor.LiveCount);
    }
}
