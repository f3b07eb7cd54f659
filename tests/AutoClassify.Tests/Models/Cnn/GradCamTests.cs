using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Reporting;
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

    [Fact]
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

        // Then every map is at the last convolution's 8 x 8 and no value is negative
        Assert.Equal("features.9", explanation.Layer);
        Assert.All(explanation.GradCam, m => Assert.Equal((8, 8), (m.Height, m.Width)));
        Assert.All(explanation.GradCam, m => Assert.All(m.Values, v => Assert.True(v >= 0)));
        // and, with only max-pooling and one linear layer after that layer, the locations account for the whole score:
        // the map before the ReLU sums to the logit minus the class's bias, so a gradient reached every image
        var logits = model.Logits(data, right);
        float[] bias;
        using (var b = ((AutoClassify.Tensors.NN.Linear)model.Network.Classifier[model.Network.Classifier.Count - 1]).Bias!.Detach())
            bias = b.ToArray<float>();
        for (var i = 0; i < right.Count; i++)
        {
            var m = explanation.GradCam[i];
            Assert.Equal(logits[i][m.TargetClass], m.Logit, 4);
            Assert.Equal(m.Logit - bias[m.TargetClass], m.Total, 3);
        }
        // so a map is empty only where the score minus its bias is not positive; here every confident right answer has one
        Assert.All(explanation.GradCam, m => Assert.True(m.Logit - bias[m.TargetClass] > 0 && !m.IsEmpty, $"item {m.Item}: logit {m.Logit}, sum {m.Total}"));
        // and the map's mass lies in the blob's columns far above the share chance gives them
        var shares = explanation.GradCam.Select(map =>
        {
            var up = AttentionImages.Upsample(map.Values, map.Height, map.Width, BlobImages.Size);
            var x0 = (int)Math.Floor(blobX[map.Item] - 3);
            var inBlobColumns = Enumerable.Range(0, up.Length).Where(i => i % BlobImages.Size >= x0 && i % BlobImages.Size < x0 + 6).Sum(i => (double)up[i]);
            return inBlobColumns / up.Sum(v => (double)v);
        }).ToList();
        var share = shares.Average();
        Assert.True(share > 0.7, $"mean Grad-CAM share in the blob's 6 columns {share:F3}; chance is {6.0 / BlobImages.Size:F3}");
        Assert.True(shares.Count(s => s > 0.5) >= 0.8 * shares.Count, $"shares: {string.Join(", ", shares.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public void Should_show_which_side_counts_where_grad_cams_channel_average_would_not()
    {
        // Given the same LipNet-4, whose dense layer reads each channel's flattened map, so one blob detector serves
        // both classes and only where it fires decides the class
        var (data, _) = BlobImages.Create(perClass: 40, seed: 5);
        var (train, test) = StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, 4, 1), 0);
        using var model = new CnnTrainer(Fast).Train(data, train, Context);
        var probabilities = model.PredictProbabilities(data, test);
        var right = test.Where((item, row) => ModelResultBuilder.Decide(probabilities[row]) == data.Labels[item]).ToList();

        // When both the maps and Grad-CAM's per-channel weights (the mean gradient of each channel) are taken for the right images
        var maps = model.GradCam(data, [.. right.Select(i => (i, data.Labels[i]))]).GradCam;
        var averaged = ChannelAveragedGradCam(model, data, right);

        // Then the channel average cut at zero leaves at least one class's maps empty (its weighted sum is negative at
        // every location: the cause of the empty maps this test once skipped for), while every map kept per location shows the blob
        var emptyAveraged = Enumerable.Range(0, right.Count).Where(i => averaged[i].All(v => v <= 0)).Select(i => data.Labels[right[i]]).Distinct().ToList();
        Assert.NotEmpty(emptyAveraged);
        Assert.All(maps, m => Assert.False(m.IsEmpty));
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

    // Grad-CAM as Selvaraju et al. define it: each channel weighted by its mean gradient, before the ReLU.
    static List<float[]> ChannelAveragedGradCam(CnnModel model, TrainingData data, IReadOnlyList<int> items)
    {
        var net = model.Network;
        var preparer = new CnnInputPreparer(InputModes.Parse(model.Info.InputMode), model.Info.InputSize, model.Info.CropMargin);
        var result = new List<float[]>();
        net.SetRequiresGrad(false);
        foreach (var item in items)
        {
            using var scope = DisposeScope.Begin();
            var (pixels, _) = preparer.PrepareBatch(data, [item]);
            Tensor activations;
            using (Torch.NoGrad())
            {
                var h = Tensor.FromArray(pixels, [1, 1, model.Info.InputSize, model.Info.InputSize]);
                for (var i = 0; i <= 9; i++)
                    h = net.Features[i].Forward(h);
                activations = h.Detach();
            }
            activations.RequiresGrad = true;
            var rest = activations;
            for (var i = 10; i < net.Features.Count; i++)
                rest = net.Features[i].Forward(rest);
            net.Classifier.Forward(rest).Select(1, data.Labels[item]).Sum().Backward();
            using (Torch.NoGrad())
            {
                var weights = activations.Grad!.Mean([2, 3], keepDim: true);
                result.Add((weights * activations.Detach()).Sum(1).Contiguous().ToArray<float>());
            }
        }
        return result;
    }
}
