using AutoClassify.MLNet;
using AutoClassify.Models;
using AutoClassify.Packaging;

namespace AutoClassify.Tests.MLNet;

public sealed class ModelCatalogRegistrationTests
{
    static readonly string[] MLNetNames = ["lightgbm", "lightgbm-field", "maxent", "maxent-field", "forest", "forest-field"];

    [Fact]
    public void Should_keep_the_built_in_models_first_and_in_order_when_mlnet_registers()
    {
        // Given the catalog after the ML.NET baselines registered (twice, as a CLI and a test may both do)
        MLNetModels.Register();
        MLNetModels.Register();

        // Then the built-in names lead in their old order, and each ML.NET name appears once after them
        var names = ModelCatalog.Names;
        Assert.Equal(["svm", "svm-linear", "svm-field", "lipnet1"], names.Take(4));
        var auto = names.ToList().IndexOf("auto");
        Assert.All(MLNetNames, n => Assert.True(names.ToList().IndexOf(n) > auto, n));
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Should_describe_the_mlnet_models_by_their_input()
    {
        MLNetModels.Register();
        Assert.Equal(ModelInput.Features, ModelCatalog.InputOf("lightgbm"));
        Assert.Equal(ModelInput.FieldFeatures, ModelCatalog.InputOf("forest-field"));
        Assert.False(ModelCatalog.IsFeatureSvm("maxent"));
        Assert.True(ModelCatalog.IsFeatureModel("maxent"));
        Assert.True(ModelCatalog.IsFeatureSvm("svm-field"));
        Assert.All(MLNetNames, n => Assert.Equal(n, ModelCatalog.Create(n).Name));
        Assert.All(MLNetNames, n => Assert.NotNull(PackagedModelKinds.Find(n)));
        Assert.Equal(["maxent", "svm"], ModelCatalog.ParseList("MaxEnt, svm"));
    }

    [Fact]
    public void Should_refuse_to_replace_a_built_in_model_or_an_unusable_name()
    {
        var svm = ModelCatalog.Family("svm");
        Assert.Throws<ArgumentException>(() => ModelCatalog.Register(svm with { Description = "other" }));
        Assert.Throws<ArgumentException>(() => ModelCatalog.Register(svm with { Name = "Upper" }));
        Assert.Throws<ArgumentException>(() => ModelCatalog.Register(svm with { Name = "a,b" }));
        Assert.Equal("C-SVC, RBF kernel, on the handcrafted features (LIBSVM)", ModelCatalog.Describe("svm"));
    }

    [Fact]
    public void Should_name_the_registered_models_in_the_unknown_model_error()
    {
        MLNetModels.Register();
        var error = Assert.Throws<ArgumentException>(() => ModelCatalog.ParseList("svm,nope"));
        Assert.Contains("Unknown model 'nope'", error.Message, StringComparison.Ordinal);
        Assert.Contains("lightgbm", error.Message, StringComparison.Ordinal);
    }
}
