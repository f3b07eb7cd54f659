using AutoClassify.Cli;
using AutoClassify.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Packaging;

public class AutoThresholdPackageTests
{
    static PackageTrainingOptions Options(string dataset, double validation, double auto, double threshold = 0)
    {
        var o = PackagingTestData.Options(dataset, threshold, validation);
        return new PackageTrainingOptions
        {
            DatasetPath = o.DatasetPath,
            Model = o.Model,
            Seed = o.Seed,
            Threads = o.Threads,
            ValidationShare = o.ValidationShare,
            DefaultThreshold = o.DefaultThreshold,
            ModelSettings = o.ModelSettings,
            CommandLine = o.CommandLine,
            AutoThresholdPrecision = auto,
        };
    }

    [Fact]
    public void Should_derive_each_class_threshold_on_the_validation_split_and_store_it_with_its_expected_coverage()
    {
        // Given a separable two-class set and train --threshold auto:0.95
        using var dir = new TempDirectory();
        var dataset = PackagingTestData.WriteDataset(dir.File("data"), perClass: 25);
        var options = Options(dataset, validation: 0.2, auto: 0.95);

        // When
        using var trained = PackageTrainer.Train(options);
        var path = dir.File("model.acpkg");
        trained.WriteTo(path);
        using var package = ModelPackage.Open(path);

        // Then every class has a threshold and an estimate from cross-fitting on the 10 validation images, and both survive the package
        var estimates = package.Manifest.ThresholdEstimates!;
        Assert.Equal(PackagingTestData.Classes, estimates.Keys.Order());
        foreach (var (name, e) in estimates)
        {
            Assert.Equal(0.95, e.TargetPrecision);
            Assert.InRange(e.Threshold, 0.0, 1.0);
            Assert.Equal(e.Threshold, package.Manifest.Thresholds[name]);
            Assert.InRange(e.ExpectedCoverage, 0.5, 1.0);
            Assert.True(e.ExpectedPrecision >= 0.95, $"{name}: expected precision {e.ExpectedPrecision}");
            Assert.InRange(e.Predictions, 1, 10);
        }
        Assert.Equal(10, estimates.Values.Sum(e => e.Predictions));
    }

    [Fact]
    public void Should_refuse_auto_thresholds_without_a_validation_split_or_beside_given_thresholds()
    {
        var noValidation = Assert.Throws<ArgumentException>(() => Options("/nowhere", validation: 0, auto: 0.9).Validate());
        var both = Assert.Throws<ArgumentException>(() => Options("/nowhere", validation: 0.2, auto: 0.9, threshold: 0.5).Validate());

        Assert.Contains("--validation", noValidation.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be combined", both.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_parse_auto_with_a_target_precision_and_name_a_bad_one()
    {
        Assert.Equal(0.95, TrainCommand.ParseAutoThreshold("auto:0.95"));
        Assert.Null(TrainCommand.ParseAutoThreshold("0.6"));
        Assert.Null(TrainCommand.ParseAutoThreshold("uncertain=0.8"));
        var ex = Assert.Throws<FormatException>(() => TrainCommand.ParseAutoThreshold("auto:1.5"));
        Assert.Contains("auto:0.95", ex.Message, StringComparison.Ordinal);
    }
}
