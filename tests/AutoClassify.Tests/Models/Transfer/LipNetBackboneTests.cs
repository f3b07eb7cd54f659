using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Models.Transfer.TransferTestData;

namespace AutoClassify.Tests.Models.Transfer;

/// <summary>Domain transfer: AutoClassify CNN packages as backbones. One pretrained package serves every test.</summary>
[Collection(TorchTests.Name)]
public sealed class LipNetBackboneTests : IClassFixture<LipNetBackboneTests.Pretrained>
{
    readonly Pretrained pretrained;

    public LipNetBackboneTests(Pretrained pretrained) => this.pretrained = pretrained;

    /// <summary>A registry holding a LipNet-4 trained on disks, rings and squares.</summary>
    public sealed class Pretrained : IDisposable
    {
        readonly TempDirectory temp = new("lipnet-backbone");

        public Pretrained() => VersionFolder = PretrainShapesPackage(temp.Combine("models"));

        /// <summary>The fixture's scratch folder.</summary>
        public string Root => temp.Path;

        /// <summary><c>models/shapes/v1</c>.</summary>
        public string VersionFolder { get; }

        public string Combine(params string[] parts) => temp.Combine(parts);

        public void Dispose() => temp.Dispose();
    }

    TransferOptions Options => new() { Backbone = pretrained.VersionFolder, FeatureCacheDirectory = pretrained.Combine("cache") };

    [Fact]
    public void Should_open_a_package_file_a_registry_version_and_a_registry_model_alike()
    {
        var folder = pretrained.VersionFolder;
        var file = Path.Combine(folder, ModelRegistry.PackageFileName);
        var model = Path.GetDirectoryName(folder)!;

        var paths = new[] { file, folder, model }.Select(LipNetBackbone.ResolvePackagePath).ToList();
        using var backbone = LipNetBackbone.Open(model);

        Assert.All(paths, p => Assert.Equal(Path.GetFullPath(file), p));
        Assert.Equal("lipnet4", backbone.Name);
        Assert.Equal(1, backbone.InputChannels);
        Assert.Equal(16, backbone.DefaultInputSize);
        Assert.Equal(32 * 4 * 4, backbone.FeatureDim);
        Assert.Equal(["features.0", "features.2", "features.6", "features.8"], backbone.StageNames);
    }

    [Fact]
    public void Should_cut_the_network_just_before_its_last_layer()
    {
        // Given the package opened both as a model and as a backbone
        var data = ShapeImages.Create(perClass: 3, size: 20, seed: 9);
        var items = Enumerable.Range(0, data.Labels.Length).ToArray();
        using var package = ModelPackage.Open(LipNetBackbone.ResolvePackagePath(pretrained.VersionFolder));
        var cnn = ((CnnPackagedModel)package.Model).Model;
        var logits = cnn.Logits(data, items);
        using var backbone = LipNetBackbone.Open(pretrained.VersionFolder);

        // When the backbone's features go through the package's own last layer
        var preparer = new BackboneInputPreparer(BackboneInputSpec.For(backbone, new TransferOptions(), new CnnOptions()));
        var (pixels, _) = preparer.PrepareGrey(data, items);
        using var scope = DisposeScope.Begin();
        using var noGrad = Torch.NoGrad();
        var features = backbone.Features(Tensor.FromArray(pixels, [items.Length, 1, 16, 16]));
        var last = (Linear)((LipNetModule)backbone.Network).Classifier[^1];
        var rebuilt = last.Forward(features).ToFloatArray();

        // Then they give the package's logits
        Assert.Equal([items.Length, (long)backbone.FeatureDim], features.Shape);
        for (var i = 0; i < items.Length; i++)
        {
            for (var k = 0; k < 3; k++)
                Assert.Equal(logits[i][k], rebuilt[i * 3 + k], 4);
        }
    }

    [Fact]
    public void Should_beat_chance_clearly_on_a_new_task_with_frozen_features_and_with_fine_tuning()
    {
        // Given a new two-class task (round against square) on fresh images, 40 of each: with 20 a fold held 20
        // training images, too few for a frozen head on this small backbone (0.70 on one CPU, 0.75 or more on another)
        var data = RoundVersusSquare(perClass: 40, seed: 21);
        var (train, test) = Fold(data, folds: 2);
        var source = BackboneSource.FromPackage(pretrained.VersionFolder);

        // When the pretrained LipNet serves as a frozen and as a fine-tuned backbone
        using var frozen = new FrozenTrainer("lipnet-backbone-frozen", source, FrozenHead.Softmax, Options, Fast(epochs: 20, learningRate: 1e-2))
            .Train(data, train, Context());
        using var tuned = new FineTuneTrainer("lipnet-backbone-finetune", source, Options with { WarmupEpochs = 2 }, Fast(epochs: 8))
            .Train(data, train, Context());

        // Then both classify the held-out images far above the 0.5 of chance
        var frozenAccuracy = Accuracy(frozen.PredictProbabilities(data, test), data.Labels, test);
        var tunedAccuracy = Accuracy(tuned.PredictProbabilities(data, test), data.Labels, test);
        Assert.True(frozenAccuracy >= 0.75, $"frozen accuracy {frozenAccuracy:F3}, fine-tuned {tunedAccuracy:F3}, chance 0.5");
        Assert.True(tunedAccuracy >= 0.75, $"fine-tuned accuracy {tunedAccuracy:F3}, chance 0.5");
    }

    [Fact]
    public void Should_predict_identically_after_packaging_a_fine_tuned_model()
    {
        // Given a briefly fine-tuned domain-transfer model
        var data = RoundVersusSquare(perClass: 6, seed: 22);
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        var trained = new FineTuneTrainer("lipnet-backbone-finetune", BackboneSource.FromPackage(pretrained.VersionFolder), Options with { WarmupEpochs = 1 }, Fast(epochs: 2))
            .Train(data, all, Context());
        using var packaged = new TransferPackagedModel(trained);
        var images = data.Images!.Select((image, i) => new PreparedImage(image, data.Masks?[i])).ToList();
        var expected = packaged.PredictProbabilities(images, 2);

        // When it is packaged and opened again
        var path = pretrained.Combine($"tuned-{Guid.NewGuid():N}.acpkg");
        var manifest = TestPackages.Write(path, packaged);
        using var opened = ModelPackage.Open(path);

        // Then it is self-contained and gives the same probabilities
        Assert.Equal(["payload/backbone.safetensors", "payload/head.safetensors", "payload/transfer.json"], manifest.Payload.Select(p => p.Name));
        Assert.Equal("lipnet-backbone-finetune", opened.Manifest.ModelKind);
        var actual = opened.Model.PredictProbabilities(images, 2);
        for (var i = 0; i < images.Count; i++)
        {
            for (var k = 0; k < 2; k++)
                Assert.Equal(expected[i][k], actual[i][k], 6);
        }
    }

    [Fact]
    public void Should_refuse_an_svm_package_and_an_empty_folder_as_backbones_naming_the_path()
    {
        // Given an SVM package and a folder with no package
        var dataset = PackagingTestData.WriteDataset(pretrained.Combine("svm-data"), perClass: 6);
        using var svm = PackagingTestData.Train(dataset);
        var svmPath = pretrained.Combine("svm.acpkg");
        svm.WriteTo(svmPath);

        // When either is opened as a backbone
        var notCnn = Assert.Throws<ArgumentException>(() => LipNetBackbone.Open(svmPath));
        var empty = Assert.Throws<FileNotFoundException>(() => LipNetBackbone.Open(pretrained.Combine("svm-data")));

        // Then the errors say what is wrong with which path
        Assert.Contains(svmPath, notCnn.Message, StringComparison.Ordinal);
        Assert.Contains("only CNN packages", notCnn.Message, StringComparison.Ordinal);
        Assert.Contains(ModelRegistry.PackageFileName, empty.Message, StringComparison.Ordinal);
    }
}
