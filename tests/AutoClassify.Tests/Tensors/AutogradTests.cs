using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class AutogradTests
{
    [Fact]
    public void Should_match_the_closed_form_gradient_of_a_least_squares_loss()
    {
        // Given X (n x d), y (n) and w (d): L = |Xw - y|² / n, so dL/dw = 2/n · Xᵀ(Xw - y).
        const int n = 6, d = 3;
        var random = new Random(7);
        var x = Enumerable.Range(0, n * d).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using var scope = DisposeScope.Begin();
        var xt = Tensor.FromArray(x, [n, d]);
        var yt = Tensor.FromArray(y, [n]);
        var wt = Tensor.FromArray(w, [d]);
        wt.RequiresGrad = true;
        Assert.Null(wt.Grad);

        // When
        var loss = (xt.MatMul(wt) - yt).Square().Mean();
        loss.Backward();

        // Then
        var residual = new double[n];
        for (var i = 0; i < n; i++)
        {
            double prediction = 0;
            for (var j = 0; j < d; j++)
                prediction += x[i * d + j] * w[j];
            residual[i] = prediction - y[i];
        }
        var gradient = wt.Grad!.ToArray<float>();
        for (var j = 0; j < d; j++)
        {
            double expected = 0;
            for (var i = 0; i < n; i++)
                expected += 2.0 / n * x[i * d + j] * residual[i];
            Assert.Equal(expected, gradient[j], 5);
        }
        Assert.Equal(residual.Sum(r => r * r) / n, loss.ToDouble(), 5);
    }

    [Fact]
    public void Should_accumulate_gradients_until_zeroed()
    {
        using var scope = DisposeScope.Begin();
        var w = Tensor.FromArray(new float[] { 3 }, [1]);
        w.RequiresGrad = true;

        (w * w).Sum().Backward();
        (w * w).Sum().Backward();
        var accumulated = w.Grad!.ToSingle();
        w.ZeroGrad();

        Assert.Equal(12f, accumulated);
        Assert.Equal(0f, w.Grad!.ToSingle());
    }

    [Fact]
    public void Should_not_record_operations_inside_no_grad()
    {
        using var scope = DisposeScope.Begin();
        var w = Tensor.Ones([2]);
        w.RequiresGrad = true;

        Tensor inside;
        using (Torch.NoGrad())
        {
            Assert.False(Torch.IsGradEnabled);
            inside = w * 2;
        }
        var outside = w * 2;

        Assert.True(Torch.IsGradEnabled);
        Assert.False(inside.RequiresGrad);
        Assert.True(outside.RequiresGrad);
        Assert.False(outside.IsLeaf);
    }

    [Fact]
    public void Should_run_convolutions_in_bfloat16_inside_autocast_but_not_transposed_ones_and_leave_the_weights_and_their_gradients_float32()
    {
        using var scope = DisposeScope.Begin();
        Torch.ManualSeed(87);
        var x = Tensor.Randn([1, 2, 6, 6]);
        var w = Tensor.Randn([3, 2, 3, 3]);
        w.RequiresGrad = true;

        Tensor inside, nested, afterNested, upsampled;
        using (Torch.Autocast(ScalarType.BFloat16))
        {
            inside = Functional.Conv2d(x, w, padding: 1);
            upsampled = Functional.ConvTranspose2d(x, Tensor.Randn([2, 3, 2, 2]), stride: 2);
            using (Torch.Autocast(ScalarType.BFloat16))
                nested = Functional.Conv2d(x, w, padding: 1);
            afterNested = Functional.Conv2d(x, w, padding: 1);
        }
        var outside = Functional.Conv2d(x, w, padding: 1);
        inside.To(ScalarType.Float32).Sum().Backward();

        Assert.Equal(ScalarType.BFloat16, inside.DType);
        Assert.Equal(ScalarType.BFloat16, nested.DType);
        Assert.Equal(ScalarType.BFloat16, afterNested.DType);
        // Transposed convolutions are not on libtorch 1.13's CPU autocast list: they keep their input's type.
        Assert.Equal(ScalarType.Float32, upsampled.DType);
        Assert.Equal(ScalarType.Float32, outside.DType);
        Assert.Equal(ScalarType.Float32, w.DType);
        Assert.Equal(ScalarType.Float32, w.Grad!.DType);
        // The same numbers to bfloat16's precision (8 significant bits, so rounding costs up to 2^-8 of a value):
        // rounding x and w costs each product up to 2^-7 of its size, so a sum may be off by that much of Σ|x·w|
        // (the convolution of |x| and |w|: products of opposite signs cancel in the sum but not in its error). The
        // bound allows twice that, for the partial sums that CPUs without native bfloat16 round as well, plus the
        // output's own rounding. A fixed share of the sum itself fails where it cancels to near 0.
        var low = inside.To(ScalarType.Float32).ToArray<float>();
        var full = outside.ToArray<float>();
        var magnitude = Functional.Conv2d(x.Abs(), w.Detach().Abs(), padding: 1).ToArray<float>();
        for (var i = 0; i < full.Length; i++)
        {
            var bound = (magnitude[i] / 64) + (Math.Abs(full[i]) / 256) + 1e-6;
            Assert.InRange(low[i], full[i] - bound, full[i] + bound);
        }
    }

    [Fact]
    public void Should_see_a_weight_changed_between_two_autocast_scopes()
    {
        // Autocast caches its bfloat16 copy of a weight within a scope; the scope's end must drop it.
        using var scope = DisposeScope.Begin();
        var x = Tensor.Ones([1, 1, 3, 3]);
        var w = Tensor.Ones([1, 1, 1, 1]);
        w.RequiresGrad = true;

        Tensor before, after;
        using (Torch.Autocast(ScalarType.BFloat16))
            before = Functional.Conv2d(x, w);
        using (Torch.NoGrad())
            w.MultiplyInPlace(3);
        using (Torch.Autocast(ScalarType.BFloat16))
            after = Functional.Conv2d(x, w);

        Assert.All(before.To(ScalarType.Float32).ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(after.To(ScalarType.Float32).ToArray<float>(), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void Should_update_parameters_against_the_gradient_with_sgd()
    {
        using var scope = DisposeScope.Begin();
        var w = Tensor.FromArray(new float[] { 1, -2 }, [2]);
        w.RequiresGrad = true;
        using var sgd = new AutoClassify.Tensors.Optim.Sgd([w], new() { LearningRate = 0.1 });

        sgd.ZeroGrad();
        w.Square().Sum().Backward();
        sgd.Step();

        // w - lr · 2w
        Assert.Equal([0.8f, -1.6f], w.ToArray<float>());
        sgd.LearningRate = 0.5;
        Assert.Equal(0.5, sgd.LearningRate);
    }

    [Fact]
    public void Should_clip_the_joint_gradient_norm()
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.FromArray(new float[] { 3 }, [1]);
        var b = Tensor.FromArray(new float[] { 4 }, [1]);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        (a * a / 2 + b * b / 2).Sum().Backward(); // gradients (3, 4): norm 5

        var norm = Functional.ClipGradNorm([a, b], maxNorm: 1);

        Assert.Equal(5, norm, 4);
        Assert.Equal(0.6f, a.Grad!.ToSingle(), 4);
        Assert.Equal(0.8f, b.Grad!.ToSingle(), 4);
    }
}
