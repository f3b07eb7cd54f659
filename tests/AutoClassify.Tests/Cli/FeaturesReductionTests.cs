using System.Globalization;
using AutoClassify.Cli;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.MLNet;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Cli;

/// <summary><c>features</c> and the ML.NET features transform apply the reduce rule of <c>benchmark</c>, <c>train</c> and <c>predict</c>, one image at a time.</summary>
[Collection(PackagingTests.Name)]
public sealed class FeaturesReductionTests : IDisposable
{
    readonly TempDirectory temp = new("features-reduce");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_export_the_features_of_an_image_above_the_bound_from_its_reduced_image_in_data_set_order()
    {
        // Given 2 x 5 disks of 32 x 32 and one 100 x 100 image among the large ones
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 5);
        var big = Path.Combine(root, "large", "big.png");
        PngWriter.Write(big, TestImages.Disk(100, 30, seed: 9));
        var data = DatasetLoader.Load(root, new DatasetOptions { Folds = 1 });
        var csv = temp.File("features.csv");

        // When the features are exported on two workers under a bound of 1,024 pixels
        var summary = FeaturesCommand.Export(data, csv, default, BannerMode.Crop, workers: 2, scales: null, resampleNm: null, reduceAbovePixels: 1_024);

        // Then every row is in data set order, the big image's row is that of its image reduced by 4 (as predict reads it),
        // the others are those of the full-resolution images, and the summary names the reduction
        var lines = File.ReadAllLines(csv);
        Assert.Equal(data.Items.Select(i => i.RelativePath), lines.Skip(1).Select(l => l.Split(',')[0]));
        for (var i = 0; i < data.Items.Count; i++)
        {
            var prepared = ImagePreparation.Prepare(data.Items[i].FullPath, null, default, BannerMode.Crop, 1_024);
            Assert.Equal(data.Items[i].FullPath == big ? 4 : 1, prepared.Reduction);
            var expected = HandcraftedFeatures.Extract(prepared.Image, prepared.Mask);
            Assert.Equal(expected, lines[i + 1].Split(',').Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
        }
        Assert.Equal(11, summary.Rows);
        Assert.Contains("big.png by 4", summary.Reduced, StringComparison.Ordinal);
        Assert.Empty(summary.Failed);
    }

    [Fact]
    public void Should_reduce_an_image_above_2_to_the_24_pixels_in_the_features_command_as_predict_does()
    {
        // Given two classes of 32 x 32 disks and one 4,100 x 4,100 field (16.8 Mpx, just above 2^24)
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 3);
        var big = Path.Combine(root, "large", "field.png");
        PngWriter.Write(big, TestImages.Disk(4_100, 1_200, seed: 3, noise: 0));
        var csv = temp.File("features.csv");

        // When the features command runs
        var (code, stdout, stderr) = Run("features", root, "--out", csv, "--threads", "2");

        // Then it says the field was reduced by 2, and its row is that of the package's reading of it
        Assert.True(code == 0, stderr);
        Assert.Contains("large/field.png by 2", stdout, StringComparison.Ordinal);
        var row = File.ReadAllLines(csv).Single(l => l.StartsWith("large/field.png,", StringComparison.Ordinal));
        var prepared = ImagePreparation.Prepare(big, null, default, BannerMode.Crop, ImageReduction.BoundFor(tiled: false, resampled: false));
        Assert.Equal((2_050, 2_050, 2), (prepared.Image.Width, prepared.Image.Height, prepared.Reduction));
        Assert.Equal(HandcraftedFeatures.Extract(prepared.Image, prepared.Mask), row.Split(',').Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Should_reduce_images_above_the_bound_in_the_mlnet_features_transform()
    {
        // Given an image folder with one 100 x 100 image among 32 x 32 disks
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 3);
        var big = Path.Combine(root, "small", "big.png");
        PngWriter.Write(big, TestImages.Disk(100, 30, seed: 5));
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadImageFolder(root, new ImageFolderOptions { Folds = 2 });

        // When the features transform runs with a bound of 1,024 pixels, and with the default bound
        var lowered = ml.Transforms.HandcraftedFeatures(options: new ImagePreparationOptions { ReduceAbovePixels = 1_024 }).Fit(data).Transform(data);
        var byDefault = ml.Transforms.HandcraftedFeatures().Fit(data).Transform(data);

        // Then the big image's vector is that of its image reduced by 4 under the lowered bound, and at full resolution by default
        var paths = lowered.GetColumn<string>("ImagePath").ToArray();
        var at = Array.IndexOf(paths, big);
        var reduced = ImagePreparation.Prepare(big, null, default, BannerMode.Crop, 1_024);
        var full = ImagePreparation.Prepare(big, null, default);
        Assert.Equal(4, reduced.Reduction);
        Assert.Equal(HandcraftedFeatures.Extract(reduced.Image, null).Select(v => (float)v), lowered.GetColumn<float[]>("Features").ElementAt(at));
        Assert.Equal(HandcraftedFeatures.Extract(full.Image, null).Select(v => (float)v), byDefault.GetColumn<float[]>("Features").ElementAt(at));
        Assert.Equal(ImageReduction.DefaultReduceAbovePixels, new ImagePreparationOptions().ReduceAbovePixels);
    }
}
