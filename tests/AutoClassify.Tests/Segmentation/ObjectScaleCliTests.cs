using System.Globalization;
using AutoClassify.Cli;
using AutoClassify.Models.Segmenters;
using AutoClassify.Packaging;
using AutoClassify.Tests.Models.Segmenters;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Segmentation;

/// <summary><c>--object-size</c> on <c>train-segmenter</c>, <c>segment --model</c> and <c>segment-benchmark</c>.</summary>
[Collection(TorchTests.Name)]
public sealed class ObjectScaleCliTests(ITestOutputHelper log) : IDisposable
{
    readonly TempDirectory temp = new("object-scale-cli");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_record_the_object_scale_in_the_package_and_each_images_factor_in_summary_csv()
    {
        // Given annotated touching discs (median diameter about 18 px)
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 3, size: 64, pairs: 3, seed: 640);

        // When a U-Net is trained with its objects brought to 12 px, and segments the same folder
        var (package, summary) = TrainAndSegment(data, "scaled", ["--scale-jitter", "0.25", "--steps-per-epoch", "3", "--epochs", "2", "--seed", "5"]);

        // Then the package's facts give the object size and each training image's factor (about 12 / 18)
        var facts = ModelPackage.ReadManifest(package).Provenance.Facts;
        Assert.Equal("12", facts["object_size"]);
        Assert.Equal("equivalent diameter", facts["object_measure"]);
        var factors = facts["object_scale_training_factors"].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, factors.Length);
        Assert.All(factors, f => Assert.InRange(f, 0.5, 0.85));
        // And summary.csv gives every image the factor the network worked at, within the package's range
        Assert.Equal(3, summary.Length);
        Assert.All(summary, f => Assert.InRange(f, factors.Min() / 2.2, factors.Max() * 2.2));
    }

    [Fact]
    public void Should_scale_by_thickness_when_asked_and_write_the_package_as_format_4()
    {
        // Given annotated touching discs (about 18 px across, so thickness and equivalent diameter agree within a few pixels)
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 2, size: 64, pairs: 3, seed: 660);

        // When a U-Net is trained with the objects' thickness brought to 12 px, and segments the same folder with that package
        var (package, summary) = TrainAndSegment(data, "thick", ["--object-measure", "thickness", "--steps-per-epoch", "2", "--epochs", "1", "--seed", "6"]);

        // Then the facts name the measure, the segmenter inside is format 4, and every image got a factor
        Assert.Equal("thickness", ModelPackage.ReadManifest(package).Provenance.Facts["object_measure"]);
        using (var opened = ModelPackage.Open(package))
        {
            var segmenter = Assert.IsType<SegmenterPackagedModel>(opened.Model).Segmenter;
            Assert.Equal(4, segmenter.Info.Format);
            Assert.Equal(ObjectMeasure.Thickness, segmenter.Info.ObjectScale!.Measure);
        }
        Assert.Equal(2, summary.Length);
        Assert.All(summary, f => Assert.True(f > 0, $"factor {f}"));
    }

    [Fact]
    public void Should_package_the_size_network_with_the_unet_as_format_5_and_segment_with_its_estimate()
    {
        // Given annotated touching discs
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 3, size: 64, pairs: 3, seed: 680);

        // When a U-Net is trained with a size CNN beside it (a few steps), and segments the same folder with that package
        var (package, summary) = TrainAndSegment(data, "sized", ["--size-estimate-steps", "20", "--steps-per-epoch", "2", "--epochs", "1", "--seed", "7"]);

        // Then the package holds both networks' weights, the segmenter inside is format 5 and weighs the estimate, and
        // the facts describe the size CNN
        var facts = ModelPackage.ReadManifest(package).Provenance.Facts;
        Assert.Contains("20 steps of 32", facts["size_estimate"], StringComparison.Ordinal);
        Assert.Equal("0.5", facts["size_estimate_weight"]);
        using (var opened = ModelPackage.Open(package))
        {
            var segmenter = Assert.IsType<SegmenterPackagedModel>(opened.Model).Segmenter;
            Assert.Equal(UNetSegmenterInfo.EstimatedFormat, segmenter.Info.Format);
            Assert.NotNull(segmenter.Info.SizeEstimate);
            Assert.Equal(0.5, segmenter.Info.ObjectScale!.Selection.EstimateWeight);
        }
        Assert.Equal(3, summary.Length);
        Assert.All(summary, f => Assert.True(f > 0, $"factor {f}"));
    }

    // Trains a small U-Net at object size 12 px on data with the given options, segments data with it, and gives the
    // champion package's path and each image's scale factor from summary.csv.
    (string Package, double[] Factors) TrainAndSegment(string data, string name, string[] options)
    {
        var registry = temp.Combine("registry");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(["train-segmenter", data, "--model", "unet", "--name", name, "--registry", registry, "--object-size", "12", .. options,
            "--depth", "2", "--width", "4", "--patch-size", "32", "--batch-size", "2", "--tile-size", "64", "--tile-overlap", "8", "--threads", "2"], stdout, stderr);
        log.WriteLine(stdout.ToString() + stderr);
        Assert.Equal(ExitCodes.Success, code);
        var output = temp.Combine("out-" + name);
        Assert.Equal(ExitCodes.Success, CliApp.Run(["segment", data, "--out", output, "--model", name, "--registry", registry], stdout, stderr));
        var lines = File.ReadAllLines(Path.Combine(output, "summary.csv"));
        var column = Array.IndexOf(lines[0].Split(','), "scale_factor");
        Assert.True(column >= 0, lines[0]);
        return (new ModelRegistry(registry).ResolveChampion(name), [.. lines.Skip(1).Select(l => double.Parse(l.Split(',')[column], CultureInfo.InvariantCulture))]);
    }

    [Fact]
    public void Should_refuse_object_size_with_input_long_side_and_exit_2_before_training()
    {
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 2, size: 48, pairs: 3, seed: 650);
        foreach (var command in new[] { "train-segmenter", "segment-benchmark" })
        {
            using var stdout = new StringWriter(CultureInfo.InvariantCulture);
            using var stderr = new StringWriter(CultureInfo.InvariantCulture);
            string[] specific = command == "train-segmenter"
                ? ["--model", "unet", "--name", "bad", "--registry", temp.Combine("registry")]
                : ["--models", "unet", "--out", temp.Combine("bench")];

            var code = CliApp.Run([command, data, .. specific, "--object-size", "16", "--input-long-side", "64"], stdout, stderr);

            log.WriteLine(command + ": " + stderr);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("ObjectSize and InputLongSide exclude each other", stderr.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr.ToString(), StringComparison.Ordinal);
        }
    }
}
