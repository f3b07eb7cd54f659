using System.Globalization;
using AutoClassify.Cli;
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
        var registry = temp.Combine("registry");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When a U-Net is trained with its objects brought to 12 px, and segments the same folder
        var code = CliApp.Run(["train-segmenter", data, "--model", "unet", "--name", "scaled", "--registry", registry, "--object-size", "12", "--scale-jitter", "0.25",
            "--depth", "2", "--width", "4", "--patch-size", "32", "--batch-size", "2", "--steps-per-epoch", "3", "--epochs", "2", "--tile-size", "64", "--tile-overlap", "8",
            "--threads", "2", "--seed", "5"], stdout, stderr);
        log.WriteLine(stdout.ToString() + stderr);
        Assert.Equal(ExitCodes.Success, code);
        var segmentCode = CliApp.Run(["segment", data, "--out", temp.Combine("out"), "--model", "scaled", "--registry", registry], stdout, stderr);

        // Then the package's facts give the object size and each training image's factor (about 12 / 18)
        Assert.Equal(ExitCodes.Success, segmentCode);
        var facts = ModelPackage.ReadManifest(new ModelRegistry(registry).ResolveChampion("scaled")).Provenance.Facts;
        Assert.Equal("12", facts["object_size"]);
        var factors = facts["object_scale_training_factors"].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, factors.Length);
        Assert.All(factors, f => Assert.InRange(f, 0.5, 0.85));
        // And summary.csv gives every image the factor the network worked at, within the package's range
        var lines = File.ReadAllLines(temp.Combine("out", "summary.csv"));
        var column = Array.IndexOf(lines[0].Split(','), "scale_factor");
        Assert.True(column >= 0, lines[0]);
        Assert.Equal(3, lines.Length - 1);
        Assert.All(lines.Skip(1), l => Assert.InRange(double.Parse(l.Split(',')[column], CultureInfo.InvariantCulture), factors.Min() / 2.2, factors.Max() * 2.2));
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
