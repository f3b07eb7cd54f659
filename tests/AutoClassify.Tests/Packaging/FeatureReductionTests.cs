using AutoClassify.Evaluation;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Support;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Packaging;

/// <summary>The whole-image reduction rule for feature (SVM) packages: recorded, applied in predict, a no-op for normal-sized data.</summary>
[Collection(PackagingTests.Name)]
public sealed class FeatureReductionTests : IDisposable
{
    readonly TempDirectory temp = new("featreduce");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_record_the_bound_in_an_svm_package_and_reduce_only_images_above_it_in_predict()
    {
        // Given an SVM package trained on 32 x 32 disks
        var data = PackagingTestData.WriteDataset(temp.Combine("data"));
        using var trained = PackagingTestData.Train(data);
        var files = PackagePredictor.CollectInputs([data]);

        // Then it records the default bound, and reduced no training image
        Assert.Equal(ImageReduction.DefaultReduceAbovePixels, trained.Manifest.Preprocessing.ReduceAbovePixels);
        Assert.False(trained.Manifest.Provenance.Facts.ContainsKey("reduced_images"));

        // And when a folder of images under the bound is predicted, the probabilities are those of the full-resolution images
        var path = temp.File("svm.acpkg");
        trained.WriteTo(path);
        using (var package = ModelPackage.Open(path))
        {
            var rows = PackagePredictor.Predict(package, files).ToList();
            var full = trained.Model.PredictProbabilities([.. files.Select(f => ImagePreparation.Prepare(f, null, default))], 2);
            Assert.All(rows, r => Assert.Equal(1, r.Reduction));
            Assert.Equal(full, rows.Select(r => r.Probabilities));
        }

        // And with the bound lowered to 1,024 pixels, a 100 x 100 image is predicted from its image reduced by 4 (25 x 25; by 3 it would be 34² > 1,024)
        var folder = temp.Combine("in");
        Directory.CreateDirectory(folder);
        var big = Path.Combine(folder, "big.png");
        PngWriter.Write(big, TestImages.Disk(100, 30, seed: 9));
        const long bound = 1_024;
        var lowered = temp.File("lowered.acpkg");
        ModelPackage.Write(lowered, trained.Manifest with { Preprocessing = trained.Manifest.Preprocessing with { ReduceAbovePixels = bound } }, trained.Model);
        var reduced = ImagePreparation.Prepare(big, null, default, BannerMode.Crop, bound);
        Assert.Equal((25, 25, 4), (reduced.Image.Width, reduced.Image.Height, reduced.Reduction));
        using (var package = ModelPackage.Open(lowered))
        {
            var summary = PackagePredictor.PredictToCsv(package, [big], temp.File("p.csv"));
            var row = Assert.Single(PackagePredictor.Predict(package, [big]));
            Assert.Equal(4, row.Reduction);
            Assert.Equal((big, 4), Assert.Single(summary.Reduced));
            Assert.Equal(trained.Model.PredictProbabilities([reduced], 1)[0], row.Probabilities);
        }
        Assert.NotEqual(FeatureSet.Handcrafted.Extract(reduced), FeatureSet.Handcrafted.Extract(ImagePreparation.Prepare(big, null, default)));

        // And the CLI's summary names the reduced image and its factor
        var (code, output, _) = CliRunner.Run("predict", lowered, folder, "--out", temp.File("cli.csv"));
        Assert.Equal(0, code);
        Assert.Contains("1 image above 1,024 pixels was reduced (block means): " + big + " by 4", output, StringComparison.Ordinal);

        // And a package written before the field existed (none recorded) still opens and reads the image at full resolution
        var old = temp.File("old.acpkg");
        ModelPackage.Write(old, trained.Manifest with { Preprocessing = trained.Manifest.Preprocessing with { ReduceAbovePixels = null } }, trained.Model);
        using (var package = ModelPackage.Open(old))
        {
            var row = Assert.Single(PackagePredictor.Predict(package, [big]));
            Assert.Equal(1, row.Reduction);
            Assert.Equal(trained.Model.PredictProbabilities([ImagePreparation.Prepare(big, null, default)], 1)[0], row.Probabilities);
        }
    }

    [Fact]
    public void Should_leave_the_features_of_liposome_crops_identical_under_the_bound()
    {
        // Given real liposome crops, all far below 2^24 pixels
        var data = temp.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 6);
        var files = PackagePredictor.CollectInputs([data]);

        // When they are prepared with the bound train and predict apply, and without any
        var bounded = files.Select(f => ImagePreparation.Prepare(f, null, default, BannerMode.Crop, ImageReduction.DefaultReduceAbovePixels)).ToList();
        var plain = files.Select(f => ImagePreparation.Prepare(f, null, default)).ToList();

        // Then no image is reduced and every feature is bit-identical
        Assert.All(bounded, p => Assert.Equal(1, p.Reduction));
        for (var i = 0; i < files.Count; i++)
            Assert.Equal(FeatureSet.Handcrafted.Extract(plain[i].Image, plain[i].Mask), FeatureSet.Handcrafted.Extract(bounded[i]));
    }

    [Fact]
    public void Should_measure_a_reduced_field_at_its_reduced_pixel_size()
    {
        // Given the whole-field set at 2 nm per pixel and the handcrafted set (in pixels)
        var field = FeatureSet.Field(2.0);

        // Then an image reduced by 3 is measured at 6 nm per pixel; sets in pixels measure the reduced pixels as they are
        Assert.Equal(6.0, field.At(3).NmPerPixel);
        Assert.Same(field, field.At(1));
        Assert.Same(FeatureSet.Handcrafted, FeatureSet.Handcrafted.At(3));
        var inPixels = FeatureSet.Field(null);
        Assert.Same(inPixels, inPixels.At(4));

        // And a batch with one reduced image gives that image the row of the set at its pixel size, the others the set's own
        var images = new[] { TestImages.Disk(48, 12, seed: 1), TestImages.Disk(48, 8, seed: 2) };
        var rows = field.ExtractAll(images, null, [1, 3], threads: 1);
        Assert.Equal(field.Extract(images[0]), rows.Rows[0]);
        Assert.Equal(field.At(3).Extract(images[1]), rows.Rows[1]);
    }

    [Fact]
    public void Should_apply_the_same_rule_in_the_cross_validation_benchmark_as_in_train()
    {
        // Given the disks and a benchmark of the SVM, on whole images and on tiles
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 6);
        BenchmarkOptions Options(TileSpec? tile) => new()
        {
            DatasetPath = data,
            Folds = 2,
            Seed = 3,
            Models = ["svm"],
            Threads = 1,
            Tile = tile,
            ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
        };

        // When both run
        var whole = BenchmarkRunner.Run(Options(null));
        var tiled = BenchmarkRunner.Run(Options(TileSpec.Parse("16")));

        // Then the whole-image run reduces above the bound train records, and the tiled run (as a tiled package) does not reduce
        Assert.Equal(ImageReduction.BoundFor(tiled: false, resampled: false), ImageReduction.DefaultReduceAbovePixels);
        Assert.Equal("above 16,777,216 pixels (none this large)", whole.Settings.Extra["reduce_images"]);
        Assert.StartsWith("off (tiles", tiled.Settings.Extra["reduce_images"], StringComparison.Ordinal);
    }
}
