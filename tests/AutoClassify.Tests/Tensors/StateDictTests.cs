using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Tensors;

[Collection(TorchTests.Name)]
public class StateDictTests
{
    sealed class Net : Module
    {
        public Net(int classes = 2)
        {
            Features = RegisterModule("features", new Sequential(new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new AdaptiveAvgPool2d(1)));
            Classifier = RegisterModule("classifier", new Sequential(new Dropout(0.2), new Linear(4, classes)));
        }

        public Sequential Features { get; }

        public Sequential Classifier { get; }

        public override Tensor Forward(Tensor input)
        {
            using var features = Features.Forward(input);
            using var flat = features.Flatten(1);
            return Classifier.Forward(flat);
        }
    }

    [Fact]
    public void Should_name_parameters_and_buffers_like_torchvision()
    {
        using var net = new Net();

        var keys = net.StateDict().Keys.ToList();

        Assert.Equal(
            [
                "features.0.weight", "features.0.bias",
                "features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
                "classifier.1.weight", "classifier.1.bias",
            ],
            keys);
        Assert.Equal(6, net.NamedParameters().Count());
        Assert.Equal(3, net.NamedBuffers().Count());
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Equal(ScalarType.Int64, net.StateDict()["features.1.num_batches_tracked"].DType);
    }

    [Fact]
    public void Should_nest_a_sequential_passed_to_a_sequential_and_splice_only_through_Of()
    {
        // Given a stage of two layers
        using var stage = new Sequential(new Conv2d(1, 2, 3), new ReLU());

        // When it is passed as one layer, and when its layers are spliced on purpose
        using var nested = new Sequential(stage, new Linear(2, 2));
        using var spliced = Sequential.Of(new Sequential(new Conv2d(1, 2, 3), new ReLU()).Append(new Linear(2, 2)));

        // Then nesting keeps the stage's prefix (torchvision's "layer1.0.conv1" style) and splicing numbers the layers anew
        Assert.Equal(["0.0.weight", "0.0.bias", "1.weight", "1.bias"], nested.StateDict().Keys);
        Assert.Equal(2, nested.Count);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], spliced.StateDict().Keys);
        Assert.Equal(3, spliced.Count);
    }

    [Fact]
    public void Should_give_identical_logits_after_a_safetensors_round_trip()
    {
        // Given a net trained a little (so batch-norm statistics are non-trivial)
        using var temp = new TempDirectory();
        Torch.ManualSeed(5);
        using var x = Tensor.Randn([4, 1, 8, 8]);
        using var source = new Net();
        for (var i = 0; i < 3; i++)
        {
            using var scope = DisposeScope.Begin();
            source.Forward(x).Sum().Backward();
        }
        source.Eval();
        Torch.ManualSeed(6);
        using var target = new Net();
        target.Eval();
        var path = temp.File("net.safetensors");

        // When
        source.Save(path, new Dictionary<string, string> { ["arch"] = "test-net" });
        var result = target.Load(path);

        // Then
        using var expected = source.Forward(x);
        using var actual = target.Forward(x);
        Assert.Empty(result.MissingKeys);
        Assert.Equal(expected.ToArray<float>(), actual.ToArray<float>());
        Assert.Equal(3L, target.StateDict()["features.1.num_batches_tracked"].ToInt64());
        Assert.Equal("test-net", SafeTensorsFile.ReadMetadata(path)["arch"]);
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Should_refuse_a_state_dict_with_a_wrong_shape_naming_the_key_and_shapes()
    {
        using var net = new Net(classes: 2);
        using var other = new Net(classes: 3);
        var before = net.StateDict()["features.0.weight"].ToArray<float>();

        var ex = Assert.Throws<InvalidOperationException>(() => net.LoadStateDict(other.StateDict()));

        Assert.Contains("'classifier.1.weight'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 4]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 4]", ex.Message, StringComparison.Ordinal);
        // Nothing was copied: the check happens before any tensor changes.
        Assert.Equal(before, net.StateDict()["features.0.weight"].ToArray<float>());
    }

    [Fact]
    public void Should_refuse_a_missing_key_when_strict_and_report_it_otherwise()
    {
        using var net = new Net();
        using var donor = new Net();
        var partial = donor.StateDict();
        partial.Remove("features.1.running_var");

        var ex = Assert.Throws<InvalidOperationException>(() => net.LoadStateDict(partial));
        var result = net.LoadStateDict(partial, strict: false);

        Assert.Contains("'features.1.running_var'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["features.1.running_var"], result.MissingKeys);
        Assert.Equal(donor.StateDict()["classifier.1.weight"].ToArray<float>(), net.StateDict()["classifier.1.weight"].ToArray<float>());
    }

    [Fact]
    public void Should_freeze_parameters_and_switch_modes_recursively()
    {
        using var net = new Net();

        net.SetRequiresGrad(false);
        net.Eval();

        Assert.All(net.Parameters(), p => Assert.False(p.RequiresGrad));
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.IsTraining));
        net.Train();
        Assert.True(net.Classifier[0].IsTraining);
        Assert.Equal(4 * 9 + 4 + 4 + 4 + 4 * 2 + 2, net.ParameterCount());
    }

    [Fact]
    public void Should_initialise_conv_weights_within_pytorchs_default_bounds()
    {
        Torch.ManualSeed(11);
        using var conv = new Conv2d(3, 16, 3);

        // kaiming_uniform(a = √5) gives bound 1/√fan_in, fan_in = 3·3·3.
        var bound = 1 / Math.Sqrt(27);
        var weights = conv.Weight.ToArray<float>();
        Assert.All(weights, w => Assert.InRange(w, -bound, bound));
        Assert.True(weights.Max() > bound * 0.8 && weights.Min() < -bound * 0.8);
        Assert.All(conv.Bias!.ToArray<float>(), b => Assert.InRange(b, -bound, bound));
    }
}
