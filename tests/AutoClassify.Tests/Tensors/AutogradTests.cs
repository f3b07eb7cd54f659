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
