using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Transfer;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tensors;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Models.Transfer.TransferTestData;

namespace AutoClassify.Tests.Models.Transfer;

/// <summary>ML.NET's ImageNet ResNet-18 from the NuGet cache, run by ONNX Runtime: no download, real graphs.</summary>
[Collection(TorchTests.Name)]
public sealed class MLNetResNet18Tests : IDisposable
{
    readonly TempDirectory temp = new("mlnet-resnet18");

    public void Dispose() => temp.Dispose();

    TransferOptions Options => new() { FeatureCacheDirectory = temp.Combine("cache") };

    static BackboneSource Source => BackboneSource.Named(MLNetResNet18.Name);

    [Fact]
    public void Should_find_the_pinned_graphs_in_the_nuget_cache_without_a_network()
    {
        // Given a restored solution (PackageDownload put the package into the NuGet cache)
        // When the graphs are located
        var folder = MLNetResNet18.Locate();

        // Then both files are there with their pinned hashes, and the catalog offers the frozen arms and fine-tuning
        Assert.True(File.Exists(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx")));
        Assert.Contains("resnet18-mlnet-frozen", ModelCatalog.Names);
        Assert.Contains("resnet18-mlnet-frozen-svm", ModelCatalog.Names);
        Assert.Contains("resnet18-mlnet-finetune", ModelCatalog.Names);
        Assert.Equal("resnet18-mlnet-frozen", new AutoMlSearchSpace().AvailableImageFamilies()[0].Model);
    }

    [Fact]
    public void Should_give_finite_rectified_features_that_tell_shapes_apart_and_repeat_exactly()
    {
        // Given three grey images at 224 px: a disk, the same disk again, and a square
        var data = ShapeImages.Create(perClass: 1, size: 224, seed: 5);
        using var backbone = BackboneArchitectures.Require(MLNetResNet18.Name).Create(new BackboneRequest());
        var input = BackboneInputSpec.For(backbone, new TransferOptions(), Fast(1));
        var preparer = new BackboneInputPreparer(input);
        var (pixels, _) = preparer.PrepareGrey(data, [0, 0, 2]);

        // When ONNX Runtime runs them through both graphs
        float[] features;
        using (var grey = Tensor.FromArray(pixels, [3, 1, 224, 224]))
        using (var x = preparer.ToNetworkInput(grey))
        using (var output = backbone.Features(x))
        {
            Assert.Equal([3L, 512], output.Shape);
            features = output.ToFloatArray();
        }

        // Then the pooled ReLU outputs are finite and non-negative, equal for equal images and different for different ones
        Assert.All(features, v => Assert.True(float.IsFinite(v) && v >= 0));
        var disk = features.AsSpan(0, 512).ToArray();
        Assert.Equal(disk, features.AsSpan(512, 512).ToArray());
        var square = features.AsSpan(1024, 512).ToArray();
        var distance = Math.Sqrt(disk.Zip(square, (a, b) => (double)(a - b) * (a - b)).Sum());
        Assert.True(distance > 0.05 * Math.Sqrt(disk.Sum(v => (double)v * v)), $"disk and square features are too close ({distance})");
        Assert.Contains(disk, v => v > 0);
    }

    [Fact]
    public void Should_import_the_graphs_weights_into_the_csharp_resnet_and_give_onnx_runtimes_features()
    {
        // Given a disk, a ring and a square at 224 px, ONNX Runtime's backbone and the C# ResNet with the imported weights
        var data = ShapeImages.Create(perClass: 1, size: 224, seed: 9);
        using var onnx = MLNetResNet18.Open(threads: 2);
        using var torch = MLNetResNet18Torch.Create(pretrained: true);
        torch.Network.Eval();
        var preparer = new BackboneInputPreparer(BackboneInputSpec.For(torch, new TransferOptions(), Fast(1)));
        var (pixels, _) = preparer.PrepareGrey(data, [0, 1, 2]);

        // When both compute the features
        float[] expected, actual;
        using (Torch.NoGrad())
        using (var grey = Tensor.FromArray(pixels, [3, 1, 224, 224]))
        using (var x = preparer.ToNetworkInput(grey))
        using (var fromOnnx = onnx.Features(x))
        using (var fromTorch = torch.Features(x))
        {
            expected = fromOnnx.ToFloatArray();
            actual = fromTorch.ToFloatArray();
        }

        // Then they agree to float rounding: the convolutions and batch norms sit where the graph has them
        var scale = expected.Max(Math.Abs);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-4 * scale, $"largest difference {worst} against a largest feature of {scale}");
        Assert.Equal(["resnet.conv1", "resnet.bn1", "resnet.layer1", "resnet.layer2", "resnet.layer3", "resnet.layer4"], torch.StageNames);
        Assert.Contains(torch.Network.StateDict(), p => p.Key == "resnet.layer4.2.conv2.weight");
    }

    [Fact]
    public void Should_fine_tune_the_imported_network_offline_and_package_it()
    {
        // Given eight images and fine-tuning of the last stage only
        var data = RoundVersusSquare(perClass: 4, seed: 8);
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        var options = Options with { UnfreezeStages = 1, WarmupEpochs = 1 };
        Dictionary<string, float[]> before;
        using (var start = MLNetResNet18Torch.Create(pretrained: true))
            before = start.Network.StateDict().Where(p => p.Key.Contains("layer3.1.conv2", StringComparison.Ordinal) || p.Key.Contains("layer4.2.conv2", StringComparison.Ordinal))
                .ToDictionary(p => p.Key, p => p.Value.ToFloatArray());

        // When it is fine-tuned for two epochs, packaged and opened again
        using var trained = (TransferModel)new FineTuneTrainer("resnet18-mlnet-finetune", Source, options, Fast(epochs: 2)).Train(data, all, Context());
        var after = trained.Backbone.Network.StateDict().Where(p => before.ContainsKey(p.Key)).ToDictionary(p => p.Key, p => p.Value.ToFloatArray());
        using var packaged = new TransferPackagedModel(trained);
        var images = data.Images!.Select((image, i) => new PreparedImage(image, data.Masks?[i])).ToList();
        var expected = packaged.PredictProbabilities(images, 2);
        var path = temp.Combine("finetuned.acpkg");
        TestPackages.Write(path, packaged);
        using var opened = ModelPackage.Open(path);
        var actual = opened.Model.PredictProbabilities(images, 2);

        // Then the backbone is the C# network, only its last stage moved, and the package predicts the same
        Assert.IsType<MLNetResNet18Torch>(trained.Backbone);
        Assert.Equal(before["resnet.layer3.1.conv2.weight"], after["resnet.layer3.1.conv2.weight"]);
        Assert.NotEqual(before["resnet.layer4.2.conv2.weight"], after["resnet.layer4.2.conv2.weight"]);
        Assert.Equal("resnet.layer4", trained.Summary.Facts["unfrozen_stages"]);
        for (var i = 0; i < images.Count; i++)
            Assert.Equal(expected[i][1], actual[i][1], 5);
    }

    [Fact]
    public void Should_learn_shapes_from_cached_features_and_extract_nothing_the_second_time()
    {
        // Given disks, rings and squares and a frozen ML.NET ResNet-18 with an SVM head
        var data = ShapeImages.Create(perClass: 8, size: 32, seed: 11);
        var (train, test) = Fold(data);
        var first = new FrozenTrainer("resnet18-mlnet-frozen-svm", Source, FrozenHead.Svm, Options, Fast(1), new AutoClassify.Models.Svm.SvmOptions { InnerFolds = 3 });

        // When it is trained on one fold and a second trainer runs the same fold
        double accuracy;
        Dictionary<string, string> facts;
        using (var model = first.Train(data, train, Context()))
        {
            accuracy = Accuracy(model.PredictProbabilities(data, test), data.Labels, test);
            facts = model.Summary.Facts;
        }
        var second = new FrozenTrainer("resnet18-mlnet-frozen-svm", Source, FrozenHead.Svm, Options, Fast(1), new AutoClassify.Models.Svm.SvmOptions { InnerFolds = 3 });
        using (second.Train(data, train, Context()))
        {
        }

        // Then ImageNet features separate the shapes well above chance (1/3), the facts name the pinned graph, and the cache answers the rerun
        Assert.True(accuracy >= 0.66, $"accuracy {accuracy}");
        Assert.Equal(MLNetResNet18.NetworkSha256, facts["backbone_onnx_sha256"]);
        Assert.StartsWith("resnet18-mlnet@", facts["backbone_identity"], StringComparison.Ordinal);
        Assert.Equal(train.Length + test.Length, first.Cache.Misses);
        Assert.Equal(0, second.Cache.Misses);
    }

    [Fact]
    public void Should_package_a_frozen_model_that_predicts_the_same_and_refuses_another_graph()
    {
        // Given a frozen softmax model on two classes
        var data = RoundVersusSquare(perClass: 6, seed: 4);
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        var trained = new FrozenTrainer("resnet18-mlnet-frozen", Source, FrozenHead.Softmax, Options, Fast(epochs: 3)).Train(data, all, Context());
        using var packaged = new TransferPackagedModel((TransferModel)trained);
        var images = data.Images!.Select((image, i) => new PreparedImage(image, data.Masks?[i])).ToList();
        var expected = packaged.PredictProbabilities(images, 2);

        // When it is packaged and opened again
        var path = temp.Combine("frozen.acpkg");
        var manifest = TestPackages.Write(path, packaged);
        using (var opened = ModelPackage.Open(path))
        {
            // Then the 64 MB graph is not inside (only its hash), and the probabilities are the same
            Assert.True(new FileInfo(path).Length < 1_000_000, $"package of {new FileInfo(path).Length} bytes");
            Assert.Equal("resnet18-mlnet-frozen", opened.Manifest.ModelKind);
            var actual = opened.Model.PredictProbabilities(images, 2);
            for (var i = 0; i < images.Count; i++)
                Assert.Equal(expected[i][1], actual[i][1], 6);
        }

        // And a package whose recorded graph hash differs is refused when it runs, naming both hashes
        var transfer = (TransferModel)trained;
        using (var zeros = Tensor.Zeros([32], ScalarType.UInt8))
            transfer.Backbone.Network.LoadStateDict(new Dictionary<string, Tensor> { ["onnx_sha256"] = zeros });
        var other = temp.Combine("other.acpkg");
        TestPackages.Write(other, packaged);
        using (var opened = ModelPackage.Open(other))
        {
            var error = Assert.Throws<InvalidDataException>(() => opened.Model.PredictProbabilities(images, 2));
            Assert.Contains(MLNetResNet18.NetworkSha256, error.Message, StringComparison.Ordinal);
            Assert.Contains(new string('0', 64), error.Message, StringComparison.Ordinal);
        }
        Assert.Single(manifest.Payload, p => p.Name == "payload/backbone.safetensors");
    }

    [Fact]
    public void Should_refuse_a_graph_whose_hash_differs_and_any_weights_option()
    {
        // Given a folder (named by the environment variable) with a changed network file
        var folder = temp.Combine("models");
        Directory.CreateDirectory(Path.Combine(folder, "ResNet18Onnx"));
        Directory.CreateDirectory(Path.Combine(folder, "ResNetPrepOnnx"));
        File.WriteAllText(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"), "not the network");
        File.Copy(Path.Combine(MLNetResNet18.Locate(), "ResNetPrepOnnx", "ResNetPreprocess.onnx"), Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        var previous = Environment.GetEnvironmentVariable(MLNetResNet18.FolderVariable);
        try
        {
            // When the graphs are located
            Environment.SetEnvironmentVariable(MLNetResNet18.FolderVariable, folder);
            var changed = Assert.Throws<InvalidDataException>(() => MLNetResNet18.Locate());

            // Then the changed file is refused by name, and so is --weights none (its weights are the graph's)
            Assert.Contains(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"), changed.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => BackboneArchitectures.LocateWeights(MLNetResNet18.Name, "none"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(MLNetResNet18.FolderVariable, previous);
        }
    }
}
