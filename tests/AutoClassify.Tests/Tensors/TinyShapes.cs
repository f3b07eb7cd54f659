using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Tests.Tensors;

/// <summary>A tiny two-class image task: a bright square (class 0) or a bright disk (class 1) of similar area, with noise.</summary>
internal static class TinyShapes
{
    public static (float[] Images, long[] Labels) Generate(int count, int size, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * size * size];
        var labels = new long[count];
        for (var n = 0; n < count; n++)
        {
            var label = n % 2;
            labels[n] = label;
            var offset = n * size * size;
            double cx = size / 2.0 + (random.NextDouble() - 0.5) * size * 0.25;
            double cy = size / 2.0 + (random.NextDouble() - 0.5) * size * 0.25;
            var half = size * (0.16 + random.NextDouble() * 0.09);
            var radius = half * 1.128; // same area as the square
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                    var inside = label == 0
                        ? Math.Abs(dx) <= half && Math.Abs(dy) <= half
                        : dx * dx + dy * dy <= radius * radius;
                    images[offset + y * size + x] = (float)((inside ? 0.8 : 0.1) + (random.NextDouble() - 0.5) * 0.2);
                }
            }
        }
        return (images, labels);
    }

    /// <summary>conv-bn-relu-pool, conv-bn-relu, global pool, linear.</summary>
    public static Sequential SmallNet(int classes = 2) => new(
        new Conv2d(1, 8, 3, padding: 1),
        new BatchNorm2d(8),
        new ReLU(),
        new MaxPool2d(2),
        new Conv2d(8, 16, 3, padding: 1),
        new BatchNorm2d(16),
        new ReLU(),
        new AdaptiveAvgPool2d(1),
        new Flatten(),
        new Linear(16, classes));

    public static double Accuracy(Module model, Tensor images, Tensor labels)
    {
        using var scope = DisposeScope.Begin();
        using var noGrad = new NoGrad();
        model.Eval();
        var predicted = model.Forward(images).ArgMax(1);
        var accuracy = predicted.Eq(labels).To(ScalarType.Float32).Mean().ToDouble();
        model.Train();
        return accuracy;
    }
}
