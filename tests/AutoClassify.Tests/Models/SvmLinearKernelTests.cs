using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.Svm;
using AutoClassify.Native;

namespace AutoClassify.Tests.Models;

public class SvmLinearKernelTests
{
    [Fact]
    public void Should_search_only_C_and_separate_linearly_separable_classes()
    {
        // Given blobs that a hyperplane separates
        var data = SvmTestData.Blobs(count: 90, dimension: 4, shares: [0.5, 0.5], seed: 13, separation: 5);
        var (train, test) = StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, 3, 2), 0);
        var trainer = (SvmTrainer)ModelCatalog.Create("svm-linear", new ModelSettings { Grid = "coarse" });

        // When
        using var model = trainer.Train(data, train, new TrainingContext { Seed = 1, Threads = 2 });
        var probabilities = model.PredictProbabilities(data, test);

        // Then the grid had one cell per C, the facts say linear and carry no gamma, and the test items are separated
        Assert.Equal("svm-linear", trainer.Name);
        Assert.Equal(LibSvmKernel.Linear, trainer.Options.Kernel);
        Assert.Equal(trainer.Options.Log2CGrid.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), model.Summary.Facts["grid_cells"]);
        Assert.Equal("linear", model.Summary.Facts["kernel"]);
        Assert.DoesNotContain("gamma", model.Summary.Facts.Keys);
        Assert.DoesNotContain("log2_gamma", model.Summary.Facts.Keys);
        var accuracy = test.Select((item, row) => SvmModel.ArgMax(probabilities[row]) == data.Labels[item] ? 1.0 : 0.0).Average();
        Assert.True(accuracy > 0.95, $"held-out accuracy {accuracy:F3}");
    }

    [Fact]
    public void Should_reject_a_kernel_the_arm_does_not_support()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SvmTrainer(new SvmOptions { Kernel = LibSvmKernel.Sigmoid }));

        Assert.Equal("Kernel", error.ParamName);
    }
}
