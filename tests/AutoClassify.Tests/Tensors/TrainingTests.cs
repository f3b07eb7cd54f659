using System.Diagnostics;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tensors.Optim;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class TrainingTests
{
    [Fact]
    public void Should_keep_the_live_tensor_count_flat_over_1000_training_steps()
    {
        // Given a small conv net, an optimiser and a fixed batch, all created outside the step scopes
        Torch.ManualSeed(1);
        var (images, labels) = TinyShapes.Generate(8, 8, seed: 1);
        using var x = Tensor.FromArray(images, [8, 1, 8, 8]);
        using var y = Tensor.FromArray(labels, [8]);
        using var model = new Sequential(
            new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(4 * 4 * 4, 2));
        using var optimizer = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.05, Momentum = 0.9 });
        var before = Tensor.LiveCount;
        var nativeBefore = Tensor.NativeLiveCount;

        // When
        for (var step = 0; step < 1000; step++)
        {
            using var scope = DisposeScope.Begin();
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            optimizer.Step();
            _ = model.Parameters().First().Grad;
        }

        // Then
        Assert.Equal(before, Tensor.LiveCount);
        Assert.Equal(nativeBefore, Tensor.NativeLiveCount);
    }

    [Fact]
    public void Should_learn_squares_versus_disks_well_above_chance()
    {
        // Given
        Torch.ManualSeed(42);
        const int size = 16, trainCount = 256, testCount = 128, batch = 32;
        var (trainImages, trainLabels) = TinyShapes.Generate(trainCount, size, seed: 1);
        var (testImages, testLabels) = TinyShapes.Generate(testCount, size, seed: 2);
        using var xTrain = Tensor.FromArray(trainImages, [trainCount, 1, size, size]);
        using var yTrain = Tensor.FromArray(trainLabels, [trainCount]);
        using var xTest = Tensor.FromArray(testImages, [testCount, 1, size, size]);
        using var yTest = Tensor.FromArray(testLabels, [testCount]);
        using var model = TinyShapes.SmallNet();
        using var optimizer = new Adam(model.Parameters(), new AdamOptions { LearningRate = 0.01 });
        var before = TinyShapes.Accuracy(model, xTest, yTest);
        var clock = Stopwatch.StartNew();

        // When
        var epochLosses = new List<double>();
        for (var epoch = 0; epoch < 12; epoch++)
        {
            double total = 0;
            for (var start = 0; start < trainCount; start += batch)
            {
                using var scope = DisposeScope.Begin();
                optimizer.ZeroGrad();
                var loss = Functional.CrossEntropy(model.Forward(xTrain.Narrow(0, start, batch)), yTrain.Narrow(0, start, batch));
                loss.Backward();
                optimizer.Step();
                total += loss.ToDouble();
            }
            epochLosses.Add(total / (trainCount / batch));
        }
        var after = TinyShapes.Accuracy(model, xTest, yTest);

        // Then
        Assert.True(epochLosses[^1] < epochLosses[0] * 0.5, $"losses: {string.Join(", ", epochLosses.Select(l => l.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.True(after >= 0.85, $"test accuracy {after:P0} (before training {before:P0}) after {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void Should_reduce_the_loss_with_each_optimiser(string name)
    {
        Torch.ManualSeed(3);
        var (images, labels) = TinyShapes.Generate(64, 16, seed: 3);
        using var x = Tensor.FromArray(images, [64, 1, 16, 16]);
        using var y = Tensor.FromArray(labels, [64]);
        using var model = TinyShapes.SmallNet();
        using Optimizer optimizer = name switch
        {
            "sgd" => new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true }),
            "adam" => new Adam(model.Parameters(), new AdamOptions { LearningRate = 0.01 }),
            _ => new AdamW(model.Parameters(), new AdamWOptions { LearningRate = 0.01 }),
        };

        var losses = new List<double>();
        for (var step = 0; step < 40; step++)
        {
            using var scope = DisposeScope.Begin();
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.ToDouble());
        }

        Assert.True(losses.Skip(35).Average() < losses.Take(5).Average() * 0.7,
            $"{name}: first {losses[0]:F3}, last {losses[^1]:F3}");
    }

    [Fact]
    public void Should_refuse_bad_optimiser_settings_by_name()
    {
        using var w = Tensor.Ones([2]);
        w.RequiresGrad = true;

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([w], new AdamOptions { Beta1 = 1.5 }));
        Assert.Equal("Beta1", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], new SgdOptions { LearningRate = double.NaN }));
        Assert.Throws<ArgumentException>(() => new Sgd([w], new SgdOptions { Nesterov = true }));
        Assert.Equal(0.01, new AdamWOptions().WeightDecay);
    }
}
