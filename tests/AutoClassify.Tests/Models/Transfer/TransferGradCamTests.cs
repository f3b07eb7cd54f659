using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Models.Transfer.TransferTestData;

namespace AutoClassify.Tests.Models.Transfer;

/// <summary>Noisy grey images with one spot at a random place: bright for class 0, dark for class 1; the spot is the only signal.</summary>
internal static class SpotImages
{
    public static readonly string[] ClassNames = ["bright", "dark"];

    /// <summary>The images, their labels and each spot's centre in pixels.</summary>
    public static (TrainingData Data, (double X, double Y)[] Centres) Create(int perClass, int size, int seed)
    {
        var random = new Random(seed);
        var radius = size / 9.0;
        var images = new List<GrayImage>();
        var labels = new List<int>();
        var centres = new List<(double, double)>();
        for (var n = 0; n < perClass; n++)
        {
            for (var label = 0; label < 2; label++)
            {
                double cx = radius + 2 + random.NextDouble() * (size - 2 * radius - 4), cy = radius + 2 + random.NextDouble() * (size - 2 * radius - 4);
                var image = new GrayImage(size, size);
                for (var y = 0; y < size; y++)
                {
                    for (var x = 0; x < size; x++)
                    {
                        double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                        var spot = dx * dx + dy * dy <= radius * radius ? (label == 0 ? 0.35 : -0.35) : 0;
                        image[x, y] = (float)Math.Clamp(0.5 + spot + Gaussian(random) * 0.06, 0, 1);
                    }
                }
                images.Add(image);
                labels.Add(label);
                centres.Add((cx, cy));
            }
        }
        return (new TrainingData { ClassNames = ClassNames, Labels = [.. labels], Images = images }, [.. centres]);
    }

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

[Collection(TorchTests.Name)]
public sealed class TransferGradCamTests
{
    /// <summary>torchvision's ResNet-18 layout at an eighth of its width, "pretrained" from a fixed seed.</summary>
    const string TinyResNet = "tiny-resnet18";

    const int Size = 112;

    public TransferGradCamTests() =>
        BackboneArchitectures.Register(new BackboneArchitecture(TinyResNet, "ResNet-18 at 1/8 width", request =>
        {
            Torch.ManualSeed(request.Pretrained ? 4321 : 98);
            var network = ResNet.ResNet18(baseChannels: 8);
            network.Eval();
            return network;
        }));

    static TransferOptions Options => new() { InputSize = Size, DisableDiskCache = true, WarmupEpochs = 1, BackboneLearningRateFactor = 1 };

    static CnnOptions Regime(int epochs) => Fast(epochs, learningRate: 3e-3) with { ValidationFraction = 0, Augmentation = AugmentationOptions.None };

    [Fact]
    public void Should_draw_a_fine_tuned_resnets_maps_at_layer4_that_add_up_to_its_scores()
    {
        // Given a ResNet-18-shaped network briefly fine-tuned on spot images
        var (data, _) = SpotImages.Create(perClass: 6, size: Size, seed: 4);
        var (train, test) = Fold(data, folds: 2);
        using var model = (TransferModel)new FineTuneTrainer("tiny-resnet18-finetune", BackboneSource.Named(TinyResNet), Options, Regime(2))
            .Train(data, train, Context(seed: 3));
        var probabilities = model.PredictProbabilities(data, test);
        var predicted = test.Select((item, row) => (item, Array.IndexOf(probabilities[row], probabilities[row].Max()))).ToList();

        // When the maps of its predicted classes are drawn
        var explanation = model.GradCam(data, predicted);

        // Then they are layer4's 4 x 4 maps (112 / 32, rounded up) with the input beside them, averaged down to 56 px
        Assert.Null(explanation.Unavailable);
        Assert.Equal(("layer4", Size), (explanation.Layer, explanation.InputSize));
        Assert.Equal(predicted, explanation.GradCam.Select(m => (m.Item, m.TargetClass)));
        Assert.All(explanation.GradCam, m => Assert.Equal((4, 4, 56 * 56), (m.Height, m.Width, m.Input.Length)));
        // and the locations' sum is the head's logit less its constant (pooling and the linear head are linear),
        // so a map is empty exactly when that sum is not positive
        var offsets = HeadOffsets(model.Head);
        Assert.All(explanation.GradCam, m => Assert.Equal(m.Logit - offsets[m.TargetClass], m.Total, 3));
        Assert.All(explanation.GradCam, m => Assert.True(m.Total <= 0 || !m.IsEmpty, $"item {m.Item}: sum {m.Total} but an empty map"));
        Assert.Contains(explanation.GradCam, m => m.Values.Distinct().Count() > 2);
    }

    [Fact]
    public void Should_put_a_fine_tuned_lipnet_backbones_map_on_the_blob_that_decides_the_class()
    {
        // Given a LipNet-4 pretrained on shapes, fine-tuned to tell on which side of the image a blob lies
        using var registry = new AutoClassify.Tests.Support.TempDirectory("lipnet-backbone-cam");
        var source = BackboneSource.FromPackage(PretrainShapesPackage(registry.Combine("models"), epochs: 4));
        var (data, blobX) = BlobImages.Create(perClass: 40, seed: 5);
        var (train, test) = Fold(data, folds: 4);
        using var model = (TransferModel)new FineTuneTrainer("lipnet-backbone-finetune", source, new TransferOptions { DisableDiskCache = true, WarmupEpochs = 1, BackboneLearningRateFactor = 1 },
            Regime(10)).Train(data, train, Context(seed: 11));
        var probabilities = model.PredictProbabilities(data, test);
        var right = test.Where((item, row) => Array.IndexOf(probabilities[row], probabilities[row].Max()) == data.Labels[item]).ToList();
        Assert.True(right.Count >= 0.9 * test.Length, $"held-out accuracy {right.Count}/{test.Length}; the blob side should be easy");

        // When the maps of its right answers are drawn
        var explanation = model.GradCam(data, [.. right.Select(i => (i, data.Labels[i]))]);

        // Then they are at the backbone's last ReLU, none is empty, and their mass lies in the blob's columns
        Assert.Equal("features.9", explanation.Layer);
        Assert.All(explanation.GradCam, m => Assert.Equal((8, 8), (m.Height, m.Width)));
        Assert.All(explanation.GradCam, m => Assert.False(m.IsEmpty, $"item {m.Item}: logit {m.Logit}, sum {m.Total}"));
        var shares = explanation.GradCam.Select(m =>
        {
            var up = AutoClassify.Reporting.AttentionImages.Upsample(m.Values, m.Height, m.Width, BlobImages.Size);
            var x0 = (int)Math.Floor(blobX[m.Item] - 3);
            return Enumerable.Range(0, up.Length).Where(i => i % BlobImages.Size >= x0 && i % BlobImages.Size < x0 + 6).Sum(i => (double)up[i]) / up.Sum(v => (double)v);
        }).ToList();
        var text = string.Join(", ", shares.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(shares.Average() > 0.7, $"mean share in the blob's 6 columns {shares.Average():F3}, chance {6.0 / BlobImages.Size:F3}; {text}");
        Assert.True(shares.Count(s => s > 0.5) >= 0.8 * shares.Count, text);
    }

    [Fact]
    public void Should_draw_a_frozen_models_maps_through_its_linear_head_with_the_scores_it_predicts_with()
    {
        // Given a frozen ResNet-shaped backbone with a softmax head trained on its cached features
        var (data, _) = SpotImages.Create(perClass: 8, size: Size, seed: 6);
        var (train, test) = Fold(data, folds: 2);
        using var model = (TransferModel)new FrozenTrainer("tiny-resnet18-frozen", BackboneSource.Named(TinyResNet), FrozenHead.Softmax, Options, Regime(5))
            .Train(data, train, Context());
        var probabilities = model.PredictProbabilities(data, test);
        var trainable = model.Backbone.Network.Parameters().Concat(model.Head.Parameters()).Select(p => p.RequiresGrad).ToList();
        var live = Tensor.LiveCount;

        // When both classes' maps of every test image are drawn
        var explanation = model.GradCam(data, [.. test.SelectMany(i => new[] { (i, 0), (i, 1) })]);

        // Then their logits are the ones the cached features gave: the softmax of the pair is the model's prediction
        for (var row = 0; row < test.Length; row++)
        {
            var (first, second) = (explanation.GradCam[2 * row], explanation.GradCam[2 * row + 1]);
            Assert.Equal((test[row], test[row]), (first.Item, second.Item));
            var p = 1 / (1 + Math.Exp(second.Logit - first.Logit));
            Assert.Equal(probabilities[row][0], p, 4);
        }
        // and the maps are not flat, the sums follow the head, no tensor handle leaked and every weight trains as before
        Assert.Contains(explanation.GradCam, m => m.Values.Distinct().Count() > 1);
        var offsets = HeadOffsets(model.Head);
        Assert.All(explanation.GradCam, m => Assert.Equal(m.Logit - offsets[m.TargetClass], m.Total, 3));
        Assert.Equal(0, Tensor.LiveCount - live);
        Assert.Equal(trainable, model.Backbone.Network.Parameters().Concat(model.Head.Parameters()).Select(p => p.RequiresGrad));
    }

    [Fact]
    public void Should_name_the_reason_instead_of_a_map_for_a_frozen_svm()
    {
        // Given an SVM on frozen features
        var (data, _) = SpotImages.Create(perClass: 6, size: Size, seed: 7);
        var (train, test) = Fold(data, folds: 2);
        using var trained = new FrozenTrainer("tiny-resnet18-frozen-svm", BackboneSource.Named(TinyResNet), FrozenHead.Svm, Options, Regime(1),
            new AutoClassify.Models.Svm.SvmOptions { InnerFolds = 2 }).Train(data, train, Context());
        var model = Assert.IsAssignableFrom<IGradCamModel>(trained);

        // When it is asked for maps
        var explanation = model.GradCam(data, [.. test.Select(i => (i, 0))]);

        // Then it gives none, and says why
        Assert.Empty(explanation.GradCam);
        Assert.Contains("RBF SVM", explanation.Unavailable, StringComparison.Ordinal);
    }

    // The part of each logit that no location carries: bias minus the weighted, scaled feature means the head subtracts.
    static float[] HeadOffsets(TransferHead head)
    {
        float[] weight, bias, mean, scale;
        using (var w = head.Linear.Weight.Detach())
            weight = w.ToArray<float>();
        using (var b = head.Linear.Bias!.Detach())
            bias = b.ToArray<float>();
        using (var m = head.Mean.Detach())
            mean = m.ToArray<float>();
        using (var s = head.Scale.Detach())
            scale = s.ToArray<float>();
        return [.. Enumerable.Range(0, head.ClassCount).Select(c => bias[c] - Enumerable.Range(0, head.FeatureDim).Sum(k => weight[c * head.FeatureDim + k] * scale[k] * mean[k]))];
    }
}
