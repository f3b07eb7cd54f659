using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Transfer;
using AutoClassify.Tests.Models.Transfer;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models.AutoMl;

/// <summary>A LipNet package given with <c>--backbone</c>: its frozen features join the search as an image family.</summary>
[Collection(TorchTests.Name)]
public sealed class AutoMlBackboneSearchTests : IDisposable
{
    readonly TempDirectory temp = new("automl-backbone");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_search_the_frozen_features_of_a_backbone_package_first_at_its_own_input_size()
    {
        // Given a LipNet-4 trained at 16 px on the shapes, and a search of image models only with that package as --backbone
        var backbone = TransferTestData.PretrainShapesPackage(temp.Combine("registry"), epochs: 6);
        var data = AutoMlTestData.ShapesWithFeatures(perClass: 10, seed: 8);
        var (train, _) = AutoMlTestData.OuterFold(data);
        var space = AutoMlTestData.SmallSpace.WithoutFeatureModels() with { ImageSizes = [24] };
        var settings = AutoMlTestData.Settings(new AutoMlOptions { TimeBudget = null, MinEpochs = 1, Space = space }, maxEpochs: 2) with
        {
            Transfer = new TransferOptions { Backbone = backbone },
        };
        var log = new List<string>();

        // When
        using var model = new AutoMlTrainer(settings).Train(data, train, AutoMlTestData.Context(log: log.Add));

        // Then the frozen backbone ran first, at the package's 16 px (not the space's 24), and every trial got a score
        var trials = model.Summary.Trials;
        var board = string.Join("\n", log.Concat(trials.Select(t => $"{t.Trial} {t.Family} on {t.Representation} {t.Stage} {t.ValidationMacroF1} {t.Note}")));
        Assert.Equal("lipnet-backbone-frozen", trials[0].Family);
        var frozen = trials.Where(t => t.Family == "lipnet-backbone-frozen").ToList();
        Assert.All(frozen, t => Assert.Equal("LipNet backbone features 16 px", t.Representation));
        Assert.Contains(trials, t => t.Family == "lipnet1" && t.Representation == "image 24 px");
        Assert.All(frozen, t => Assert.True(t.ValidationMacroF1 is double f && double.IsFinite(f), board));
        Assert.Contains(log, l => l.StartsWith($"auto: --backbone {backbone}: its frozen features at 16 px are searched first", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_say_why_a_backbone_that_cannot_be_opened_is_not_searched_and_go_on()
    {
        // Given a --backbone path that holds nothing
        var data = AutoMlTestData.ShapesWithFeatures(perClass: 6, seed: 9);
        var missing = temp.File("no-such.acpkg");
        var settings = AutoMlTestData.Settings(new AutoMlOptions { TimeBudget = null, MaxTrials = 2, Space = AutoMlTestData.SmallSpace with { ImageFamilies = [] } }) with
        {
            Transfer = new TransferOptions { Backbone = missing },
        };
        var log = new List<string>();

        // When
        using var model = new AutoMlTrainer(settings).Train(data, SvmTestData.All(data), AutoMlTestData.Context(log: log.Add));

        // Then the search said so and went on with the feature models
        Assert.Contains(log, l => l.StartsWith($"auto: --backbone {missing} cannot serve as a LipNet backbone (", StringComparison.Ordinal));
        Assert.DoesNotContain(model.Summary.Trials, t => t.Family.StartsWith("lipnet-backbone", StringComparison.Ordinal));
        Assert.Equal("svm", model.WinnerKind);
    }
}
