using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Preprocessing;
using AutoClassify.Tests.Support;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Packaging;

/// <summary>train --banner: the package is trained on the treated images, records the mode, and prediction treats new images alike.</summary>
[Collection(PackagingTests.Name)]
public sealed class BannerPackageTests : IDisposable
{
    readonly TempDirectory temp = new("banner-package");

    public void Dispose() => temp.Dispose();

    // 320x272 fields with a 24-row data bar at the bottom: 248 rows once the bar is cropped.
    string WriteFields()
    {
        var root = temp.Combine("fields");
        for (var c = 0; c < 2; c++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, $"class{c}")).FullName;
            for (var i = 0; i < 4; i++)
                ImageCodec.Save(BannerImages.WithBanner(320, 272, 24, BannerEdge.Bottom, bright: c == 1, seed: 10 * c + i, scaleBar: 80), Path.Combine(dir, $"img{i}.png"));
        }
        return root;
    }

    [Theory]
    [InlineData(BannerMode.Crop, "crop", 4 * 5)]
    [InlineData(BannerMode.Reflect, "reflect", 5 * 5)]
    [InlineData(BannerMode.Keep, "keep", 5 * 5)]
    public void Should_train_on_images_treated_as_banner_says_and_predict_new_images_the_same_way(BannerMode mode, string name, int tilesPerImage)
    {
        // Given fields with a data bar, trained as a tiled svm-field package with the banner mode
        var data = WriteFields();
        using var trained = PackageTrainer.Train(new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = "svm-field",
            Seed = 3,
            Threads = 2,
            ValidationShare = 0,
            Banner = mode,
            Tile = new TileSpec(64, 64),
            ModelSettings = new ModelSettings { Grid = "coarse" },
            CommandLine = "test",
        });
        var path = temp.Combine($"{name}.acpkg");
        using (var stream = File.Create(path))
            trained.WriteTo(stream);

        // Then the manifest records the mode, and training cut 64-px tiles from 248 rows (banner cropped) or 272 (kept or reflected)
        Assert.Equal(name, trained.Manifest.Preprocessing.BannerMode);
        Assert.Equal((8 * tilesPerImage).ToString(System.Globalization.CultureInfo.InvariantCulture), trained.Manifest.Provenance.Facts["training_tiles"]);

        // And prediction on a new field of the same kind cuts the same tiles
        var fresh = temp.Combine("new.png");
        ImageCodec.Save(BannerImages.WithBanner(320, 272, 24, BannerEdge.Bottom, bright: true, seed: 99, scaleBar: 80), fresh);
        using var package = ModelPackage.Open(path);
        var row = Assert.Single(PackagePredictor.Predict(package, [fresh], new PredictionOptions { Threads = 2 }));
        Assert.Null(row.Error);
        Assert.Equal(tilesPerImage, row.Map!.Tiles.Count);
    }

    [Fact]
    public void Should_take_the_banner_mode_from_the_command_line_and_warn_when_the_banner_is_kept()
    {
        var data = WriteFields();
        var registry = temp.Combine("models");

        var (code, output, error) = CliRunner.Run("train", data, "--model", "svm-field", "--name", "bars", "--registry", registry,
            "--grid", "coarse", "--threads", "2", "--validation", "0", "--banner", "keep");

        Assert.True(code == 0, error);
        Assert.Contains("data banners were kept", output + error, StringComparison.Ordinal);
        Assert.Equal("keep", ModelPackage.ReadManifest(new ModelRegistry(registry).ResolveChampion("bars")).Preprocessing.BannerMode);
        var (bad, _, badError) = CliRunner.Run("train", data, "--name", "bars", "--registry", registry, "--banner", "blur");
        Assert.Equal(2, bad);
        Assert.Contains("blur", badError, StringComparison.Ordinal);
    }
}
