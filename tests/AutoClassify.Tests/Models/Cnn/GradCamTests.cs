using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Cnn;

/// <summary>Noisy 16 px images whose only class signal is a bright blob in the left or the right third.</summary>
internal static class BlobImages
{
    public static readonly string[] ClassNames = ["left", "right"];

    public const int Size = 16;

    /// <summary>The images, their labels and each blob's centre column.</summary>
    public static (TrainingData Data, double[] BlobX) Create(int perClass, int seed)
    {
        var random = new Random(seed);
        var images = new List<GrayImage>();
        var labels = new List<int>();
        var centres = new List<double>();
        for (var n = 0; n < perClass; n++)
        {
            for (var label = 0; label < 2; label++)
            {
                var cx = (label == 0 ? 2.5 : Size - 2.5) + (random.NextDouble() - 0.5) * 2;
                var cy = 3 + random.NextDouble() * (Size - 6);
                var image = new GrayImage(Size, Size);
                for (var y = 0; y < Size; y++)
                {
                    for (var x = 0; x < Size; x++)
                    {
                        double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                        var blob = dx * dx + dy * dy <= 2.2 * 2.2 ? 0.5 : 0;
                        image[x, y] = (float)Math.Clamp(0.3 + blob + Gaussian(random) * 0.08, 0, 1);
                    }
                }
                images.Add(image);
                labels.Add(label);
                centres.Add(cx);
            }
        }
        return (new TrainingData { ClassNames = ClassNames, Labels = [.. labels], Images = images }, [.. centres]);
    }

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

[Collection(TorchTests.Name)]
public class GradCamTests
{
    static CnnOptions Fast => new()
    {
        Model = "lipnet4",
        InputSize = BlobImages.Size,
        MaxEpochs = 12,
        Patience = 12,
        BatchSize = 16,
        Threads = 2,
        LearningRate = 3e-3,
        // Flips would move the class signal to the other side.
        Augmentation = AugmentationOptions.None,
    };

    static TrainingContext Context => new() { Seed = 11, Threads = 2 };

    [Fact(Skip = "Half of the maps of this tiny LipNet come out all zero; the cause (under-training or the gradient path) is open in issue #14.")]
    public void Should_put_the_grad_cam_mass_on_the_blob_that_decides_the_class()
    {
        // Given a LipNet-4 trained on images whose class is the side their blob is on
        var (data, blobX) = BlobImages.Create(perClass: 40, seed: 5);
        var (train, test) = StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, 4, 1), 0);
        using var model = new CnnTrainer(Fast).Train(data, train, Context);
        var probabilities = model.PredictProbabilities(data, test);
        var right = test.Where((item, row) => ModelResultBuilder.Decide(probabilities[row]) == data.Labels[item]).ToList();
        Assert.True(right.Count >= 0.9 * test.Length, $"held-out accuracy {right.Count}/{test.Length}; the blob side should be easy");

        // When Grad-CAM explains each correctly classified test image's class
        var explanation = model.GradCam(data, [.. right.Select(i => (i, data.Labels[i]))]);

        // Then the map's mass lies in the blob's third of the image far above the third chance gives it
        Assert.Equal("features.9", explanation.Layer);
        Assert.All(explanation.GradCam, m => Assert.Equal((8, 8), (m.Height, m.Width)));
        Assert.All(explanation.GradCam, m => Assert.All(m.Values, v => Assert.True(v >= 0)));
        // A map is all zero where every weighted sum was negative (the ReLU); most images must have one that is not.
        var nonZero = explanation.GradCam.Where(m => m.Values.Sum() > 0).ToList();
        Assert.True(nonZero.Count >= 0.8 * explanation.GradCam.Count, $"{explanation.GradCam.Count - nonZero.Count} of {explanation.GradCam.Count} maps are all zero");
        var shares = new List<double>();
        foreach (var map in nonZero)
        {
            var up = UpsampleToInput(map);
            var total = up.Sum();
            var x0 = (int)Math.Floor(blobX[map.Item] - 3);
            var inBlobThird = Enumerable.Range(0, BlobImages.Size * BlobImages.Size)
                .Where(i => i % BlobImages.Size >= x0 && i % BlobImages.Size < x0 + 6).Sum(i => up[i]);
            shares.Add(inBlobThird / total);
        }
        var share = shares.Average();
        Assert.True(share > 0.7, $"mean Grad-CAM share in the blob's 6 columns {share:F3}; chance is {6.0 / BlobImages.Size:F3}");
        Assert.True(shares.Count(s => s > 0.5) >= 0.8 * shares.Count, $"shares: {string.Join(", ", shares.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public void Should_explain_only_the_folds_test_images_repeatably_and_leave_the_weights_and_handles_as_they_were()
    {
        // Given a small trained LipNet-4 and its fold
        var (data, _) = BlobImages.Create(perClass: 12, seed: 8);
        var (train, test) = StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, 3, 2), 0);
        using var model = new CnnTrainer(Fast with { MaxEpochs = 2, Patience = 2 }).Train(data, train, Context);
        var probabilities = model.PredictProbabilities(data, test);
        var gradients = Gradients(model);
        var live = Tensor.LiveCount;

        // When the benchmark's step explains the fold twice
        var first = CnnExplanations.Compute(model, data, test, probabilities, firstLayer: true);
        var second = CnnExplanations.Compute(model, data, test, probabilities, firstLayer: true);
        var leaked = Tensor.LiveCount - live;

        // Then only test images are explained: every wrong one (up to the cap) for its predicted class, and the surest right one per class
        var decided = test.Select((item, row) => (Item: item, Predicted: ModelResultBuilder.Decide(probabilities[row]))).ToList();
        var wrong = decided.Where(d => d.Predicted != data.Labels[d.Item]).ToList();
        Assert.All(first.GradCam, m => Assert.Contains(m.Item, test));
        Assert.Equal(Math.Min(wrong.Count, CnnExplanations.TopLossesPerFold) + decided.Where(d => d.Predicted == data.Labels[d.Item]).Select(d => d.Predicted).Distinct().Count(), first.GradCam.Count);
        Assert.All(first.GradCam, m => Assert.Equal(decided.Single(d => d.Item == m.Item).Predicted, m.TargetClass));
        // and the same model gives the same maps
        Assert.Equal(first.GradCam.Select(m => m.Values), second.GradCam.Select(m => m.Values));
        // and the first layer is its 32 kernels of 3 x 3 and 32 maps per class example, from test images of that class
        Assert.NotNull(first.Filters);
        Assert.Equal((32, 3, 32 * 9), (first.Filters!.Count, first.Filters.KernelSize, first.Filters.Weights.Length));
        var conv = (AutoClassify.Tensors.NN.Conv2d)model.Network.Features[0];
        using (var weight = conv.Weight.Detach())
        using (var contiguous = weight.Contiguous())
            Assert.Equal(contiguous.ToArray<float>(), first.Filters.Weights);
        Assert.Equal(2, first.Activations.Count);
        Assert.All(first.Activations, a =>
        {
            Assert.Contains(a.Item, test);
            Assert.Equal(data.Labels[a.Item], a.TrueClass);
            Assert.Equal((32, BlobImages.Size, 32 * 16 * 16), (a.Channels, a.Side, a.Values.Length));
            Assert.Equal(255, a.Values.Max());
            Assert.Equal(16 * 16, a.Input.Length);
        });
        Assert.Equal([0, 1], first.Activations.Select(a => a.TrueClass));
        // and no weight's gradient changed, every weight still trains, and no tensor handle leaked
        Assert.All(model.Network.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Equal(gradients, Gradients(model));
        Assert.Equal(0, leaked);
    }

    static List<float[]?> Gradients(CnnModel model) => model.Network.Parameters().Select(p =>
    {
        using var grad = p.Grad;
        return grad?.ToArray<float>();
    }).ToList();

    // Bilinear with centres aligned, as the report draws it.
    static double[] UpsampleToInput(GradCamMap map)
    {
        var size = BlobImages.Size;
        var result = new double[size * size];
        for (var y = 0; y < size; y++)
        {
            var sy = Math.Clamp((y + 0.5) * map.Height / size - 0.5, 0, map.Height - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, map.Height - 1);
            for (var x = 0; x < size; x++)
            {
                var sx = Math.Clamp((x + 0.5) * map.Width / size - 0.5, 0, map.Width - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, map.Width - 1);
                double fx = sx - x0, fy = sy - y0;
                result[y * size + x] = (map.Values[y0 * map.Width + x0] * (1 - fx) + map.Values[y0 * map.Width + x1] * fx) * (1 - fy)
                    + (map.Values[y1 * map.Width + x0] * (1 - fx) + map.Values[y1 * map.Width + x1] * fx) * fy;
            }
        }
        return result;
    }
}
