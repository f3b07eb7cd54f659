using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.Cnn;

[Collection(TorchTests.Name)]
public class LipNetTests
{
    public static TheoryData<string, int> ModelsAndClassCounts()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in LipNet.Names)
        {
            data.Add(name, 2);
            data.Add(name, 5);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ModelsAndClassCounts))]
    public void Should_give_one_logit_per_class_for_batches_of_one_and_five(string name, int classes)
    {
        var spec = LipNet.Find(name);
        using var scope = DisposeScope.Begin();
        using var model = LipNet.Build(spec, classes, spec.DefaultInputSize, 0.25, 0.5);
        model.Eval();

        foreach (var batch in new[] { 1, 5 })
        {
            var x = Tensor.Randn([batch, 1, spec.DefaultInputSize, spec.DefaultInputSize]);

            var logits = model.Forward(x);

            Assert.Equal(new long[] { batch, classes }, logits.Shape);
            Assert.All(logits.ToArray<float>(), v => Assert.True(float.IsFinite(v)));
        }
    }

    [Theory]
    [InlineData("lipnet4", 16)]
    [InlineData("lipnet4c", 20)]
    [InlineData("lipnet6", 24)]
    [InlineData("lipnet1", 17)]
    public void Should_accept_other_input_sizes(string name, int size)
    {
        using var scope = DisposeScope.Begin();
        using var model = LipNet.Build(LipNet.Find(name), 3, size, 0.25, 0.5);

        var logits = model.Forward(Tensor.Randn([2, 1, size, size]));

        Assert.Equal(new long[] { 2, 3 }, logits.Shape);
    }

    [Fact]
    public void Should_name_parameters_as_pytorch_would_and_count_them()
    {
        using var model = LipNet.Build(LipNet.Find("lipnet4"), 3, 28, 0.25, 0.5);

        var names = model.NamedParameters().Select(p => p.Name).ToList();

        // conv, relu, conv, relu, pool, dropout, conv, relu, conv, relu, pool, dropout | flatten, linear
        Assert.Equal(
            ["features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias", "features.6.weight", "features.6.bias",
             "features.8.weight", "features.8.bias", "classifier.1.weight", "classifier.1.bias"],
            names);
        var convs = (1 * 32 * 9 + 32) + 3 * (32 * 32 * 9 + 32);
        Assert.Equal(convs + 32 * 7 * 7 * 3 + 3, model.ParameterCount());
    }

    [Fact]
    public void Should_build_lipnet4c_without_pooling_or_fully_connected_layers()
    {
        using var model = LipNet.Build(LipNet.Find("lipnet4c"), 4, 28, 0.25, 0.5);

        var modules = model.NamedModules().Select(m => m.Module.GetType().Name).ToList();

        Assert.DoesNotContain("MaxPool2d", modules);
        Assert.DoesNotContain("Linear", modules);
        Assert.Contains(model.NamedParameters(), p => p.Name.StartsWith("classifier.0.", StringComparison.Ordinal) && p.Tensor.Shape.SequenceEqual(new long[] { 4, 32, 1, 1 }));
    }

    [Fact]
    public void Should_name_the_known_models_when_a_name_is_unknown()
    {
        var ex = Assert.Throws<ArgumentException>(() => LipNet.Find("lipnet5"));

        Assert.Contains("lipnet4c", ex.Message, StringComparison.Ordinal);
        Assert.Equal("lipnet6", LipNet.Find(" LipNet6 ").Name);
        Assert.Equal(32, LipNet.Find("lipnet6").DefaultInputSize);
    }
}
