using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Support.BackboneFixtures;

namespace AutoClassify.Tests.Models.Transfer;

[Collection(TorchTests.Name)]
public class BackboneTests
{
    static readonly InvertedResidualSetting[] TinyMobileNetBlocks = [new(1, 16, 1, 1), new(6, 24, 2, 2), new(6, 32, 2, 2)];

    public static TheoryData<string> TinyNetworks => ["resnet18_tiny", "mobilenet_v2_tiny"];

    static IFeatureBackbone Tiny(string fixture) => fixture switch
    {
        "resnet18_tiny" => Backbones.Build("resnet18", classCount: 10, widthMultiplier: 2 / 64.0),
        "mobilenet_v2_tiny" => new MobileNetV2(classCount: 10, widthMultiplier: 0.25, settings: TinyMobileNetBlocks, lastChannel: 32),
        _ => throw new ArgumentOutOfRangeException(nameof(fixture), fixture, null),
    };

    [Theory]
    [MemberData(nameof(TinyNetworks))]
    public void Should_reproduce_the_logits_and_features_pytorch_computed_with_the_same_weights(string fixture)
    {
        // Given the tiny network with the weights PyTorch saved, in evaluation mode (running batch-norm statistics)
        using var backbone = Tiny(fixture);
        Backbones.LoadWeights(backbone, Fixture(fixture + ".pth"));
        backbone.Network.Eval();
        var reference = StateDictFile.Load(Fixture("reference.safetensors"));
        try
        {
            // When
            using var noGrad = Torch.NoGrad();
            using var logits = backbone.Network.Forward(reference["input"]);
            using var features = backbone.Features(reference["input"]);

            // Then both agree with PyTorch's to float rounding
            AssertClose(reference[fixture + ".logits"], logits);
            AssertClose(reference[fixture + ".features"], features);
            Assert.Equal(backbone.FeatureDim, features.Size(1));
        }
        finally
        {
            foreach (var tensor in reference.Values)
                tensor.Dispose();
        }
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("mobilenet_v2")]
    public void Should_name_and_shape_every_tensor_exactly_as_torchvision(string name)
    {
        // Given torchvision's state-dict layout for the full-size network (keys, shapes, dtypes, order)
        var expected = FullSizeKeys(name);

        // When
        using var backbone = Backbones.Build(name);
        var actual = backbone.Network.StateDict()
            .Select(p => (p.Key, p.Value.Shape, p.Value.DType == ScalarType.Int64 ? "int64" : "float32"))
            .ToList();

        // Then
        Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Key));
        Assert.Equal(expected.Select(e => string.Join('x', e.Shape)), actual.Select(a => string.Join('x', a.Shape)));
        Assert.Equal(expected.Select(e => e.DType), actual.Select(a => a.Item3));
        Assert.Equal(Backbones.Find(name).FeatureDim, backbone.FeatureDim);
        Assert.Equal(name, backbone.Name);
    }

    [Fact]
    public void Should_list_stages_from_input_to_output_that_prefix_every_backbone_parameter()
    {
        // Given
        using var resnet = Backbones.Build("resnet18", widthMultiplier: 0.125);
        using var mobilenet = Backbones.Build("mobilenet_v2", widthMultiplier: 0.25);

        // When
        var lastTwo = Backbones.StageParameters(resnet, 2);

        // Then every parameter but the classifier's belongs to exactly one stage
        Assert.Equal(["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"], resnet.StageNames);
        Assert.Equal(19, mobilenet.StageNames.Count);
        Assert.Equal("features.18", mobilenet.StageNames[^1]);
        foreach (var backbone in new[] { resnet, mobilenet })
        {
            var backboneParameters = backbone.Network.NamedParameters().Where(p => !p.Name.StartsWith("fc.", StringComparison.Ordinal) && !p.Name.StartsWith("classifier.", StringComparison.Ordinal));
            Assert.All(backboneParameters, p => Assert.Single(backbone.StageNames, s => p.Name.StartsWith(s + ".", StringComparison.Ordinal)));
        }
        var expected = resnet.Network.NamedParameters().Where(p => p.Name.StartsWith("layer3.", StringComparison.Ordinal) || p.Name.StartsWith("layer4.", StringComparison.Ordinal)).Select(p => p.Tensor);
        Assert.Equal(expected, lastTwo);
    }

    [Fact]
    public void Should_extract_features_from_other_input_sizes_and_keep_the_batch()
    {
        // Given a narrow ResNet-50 (bottleneck blocks) in evaluation mode
        Torch.ManualSeed(3);
        using var backbone = Backbones.Build("resnet50", classCount: 5, widthMultiplier: 0.125);
        backbone.Network.Eval();
        using var noGrad = Torch.NoGrad();
        using var x = Tensor.Randn([3, 3, 40, 40]);

        // When
        using var features = backbone.Features(x);
        using var logits = backbone.Network.Forward(x);
        using var one = x.Narrow(0, 1, 1);
        using var single = backbone.Features(one);

        // Then each image's features do not depend on the rest of the batch
        Assert.Equal([3L, 256L], features.Shape);
        Assert.Equal([3L, 5L], logits.Shape);
        using var second = features.Narrow(0, 1, 1);
        AssertClose(second, single);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("mobilenet_v2")]
    public void Should_release_every_intermediate_tensor_of_a_forward_pass(string name)
    {
        // Given a narrow network and an input, with autograd on (as fine-tuning runs it)
        using var backbone = Backbones.Build(name, classCount: 3, widthMultiplier: 0.125);
        using var x = Tensor.Randn([2, 3, 32, 32]);
        var live = Tensor.LiveCount;

        // When
        using (var logits = backbone.Network.Forward(x))
        using (var features = backbone.Features(x))
        using (var logitSum = logits.Sum())
        using (var featureSum = features.Sum())
        using (var total = logitSum.Add(featureSum))
            total.Backward();

        // Then gradients reached every parameter and no managed handle is left behind
        var gradients = backbone.Network.Parameters().Count(p => { using var g = p.Grad; return g is not null; });
        Assert.Equal(backbone.Network.Parameters().Count(), gradients);
        Assert.Equal(live, Tensor.LiveCount);
    }

    [Fact]
    public void Should_fill_missing_num_batches_tracked_as_pytorch_does_for_old_checkpoints_but_reject_other_gaps()
    {
        // Given the tiny ResNet's weights without any num_batches_tracked (as pre-0.4.1 files), and without a weight
        using var temp = new TempDirectory("backbone");
        var state = StateDictFile.Load(Fixture("resnet18_tiny.pth"));
        try
        {
            var old = temp.File("old.safetensors");
            var broken = temp.File("broken.safetensors");
            StateDictFile.Save(old, state.Where(p => !p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)));
            StateDictFile.Save(broken, state.Where(p => p.Key != "layer2.0.downsample.0.weight"));
            using var backbone = Tiny("resnet18_tiny");

            // When
            var result = Backbones.LoadWeights(backbone, old);
            var error = Assert.Throws<InvalidDataException>(() => Backbones.LoadWeights(backbone, broken));

            // Then
            Assert.Empty(result.MissingKeys);
            Assert.Equal(0, backbone.Network.StateDict()["bn1.num_batches_tracked"].ToInt64());
            AssertClose(state["layer4.1.conv2.weight"], backbone.Network.StateDict()["layer4.1.conv2.weight"]);
            Assert.Contains(broken, error.Message, StringComparison.Ordinal);
            Assert.Contains("'layer2.0.downsample.0.weight'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var tensor in state.Values)
                tensor.Dispose();
        }
    }

    [Fact]
    public void Should_load_a_weights_file_given_by_path_and_use_random_weights_only_when_asked()
    {
        // Given the tiny ResNet's weights as an explicit file, and the same network asked for with weights "none"
        var options = new BackboneOptions { Weights = Fixture("resnet18_tiny.pth"), ClassCount = 10, WidthMultiplier = 2 / 64.0 };
        Torch.ManualSeed(11);

        // When
        using var loaded = Backbones.Create("resnet18", options);
        using var random = Backbones.Create("resnet18", new BackboneOptions { Weights = "none", ClassCount = 10, WidthMultiplier = 2 / 64.0 });

        // Then
        var expected = StateDictEntries("resnet18_tiny.pth").Single(e => e.Key == "fc.bias");
        Assert.Equal(expected.First, loaded.Network.StateDict()["fc.bias"].ToFloatArray()[0]);
        Assert.NotEqual(expected.First, random.Network.StateDict()["fc.bias"].ToFloatArray()[0]);
    }

    [Fact]
    public void Should_refuse_imagenet_weights_for_a_network_they_cannot_fit()
    {
        // Given / When
        var error = Assert.Throws<ArgumentException>(() => Backbones.Create("mobilenet_v2", new BackboneOptions { ClassCount = 6 }));

        // Then
        Assert.Contains("1000 classes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_known_backbones_when_asked_for_an_unknown_one()
    {
        var error = Assert.Throws<ArgumentException>(() => Backbones.Find("vgg16"));

        Assert.Contains("resnet18, resnet50, mobilenet_v2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_replicate_grey_into_three_channels_with_imagenet_normalisation()
    {
        // Given two 1 x 2 grey images
        using var grey = Tensor.FromArray([0f, 1f, 0.5f, 0.25f], [2, 1, 1, 2]);

        // When
        using var input = ImageNetInput.FromGray(grey);

        // Then each channel holds the same pixels, normalised with that channel's mean and SD
        Assert.Equal([2L, 3L, 1L, 2L], input.Shape);
        var values = input.ToArray<float>();
        float[] pixels = [0f, 1f, 0.5f, 0.25f];
        for (var n = 0; n < 2; n++)
        {
            for (var c = 0; c < 3; c++)
            {
                for (var x = 0; x < 2; x++)
                {
                    var expected = (pixels[(n * 2) + x] - ImageNetInput.Mean[c]) / ImageNetInput.Std[c];
                    Assert.Equal(expected, values[(n * 6) + (c * 2) + x], 5);
                }
            }
        }
        Assert.Throws<ArgumentException>(() => ImageNetInput.FromGray(input));
    }

    [Theory]
    [InlineData(32 * 1.0, 8, 32)]
    [InlineData(16 * 0.25, 8, 8)]
    [InlineData(24 * 0.5, 8, 16)]
    [InlineData(96 * 0.75, 8, 72)]
    [InlineData(1280 * 1.0, 8, 1280)]
    [InlineData(10.0, 8, 16)]
    [InlineData(35.0, 8, 32)]
    public void Should_round_channels_as_torchvision_make_divisible(double value, int divisor, int expected) =>
        Assert.Equal(expected, MobileNetV2.MakeDivisible(value, divisor));

    static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToFloatArray();
        var a = actual.ToFloatArray();
        for (var i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 + (1e-4 * Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }
}
