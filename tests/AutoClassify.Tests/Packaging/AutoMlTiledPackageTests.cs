using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Svm;
using AutoClassify.Native;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Models.AutoMl;
using AutoClassify.Tests.Support;
using AutoClassify.Tiling;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Packaging;

/// <summary>A tiled AutoML pipeline in a package: as the winner of <c>train --auto</c>, and as an ensemble member.</summary>
[Collection(PackagingTests.Name)]
public sealed class AutoMlTiledPackageTests : IDisposable
{
    readonly TempDirectory temp = new("autotile-pkg");

    public void Dispose() => temp.Dispose();

    static AutoMlOptions Search => new()
    {
        TimeBudget = null,
        Space = AutoMlTestData.SmallSpace with { ImageFamilies = [], FeatureInputs = [ModelInput.FieldFeatures] },
    };

    static (string[] Files, int[] Labels, List<PreparedImage> Prepared) Read(string root)
    {
        var files = PackagePredictor.CollectInputs([root]).ToArray();
        var labels = files.Select(f => Array.IndexOf(TiledSearchFields.PatchyClasses, Path.GetFileName(Path.GetDirectoryName(f)))).ToArray();
        return (files, labels, files.Select(f => ImagePreparation.Prepare(f, null, default)).ToList());
    }

    [Fact]
    public void Should_package_a_tiled_winner_of_train_auto_with_its_tiling_and_predict_new_fields_with_it()
    {
        // Given patchy and even fields on disk, whose class only tiles show, and other fields of the same classes
        var data = TiledSearchFields.WritePatchy(temp.Combine("data"), perClass: 8);
        var fresh = TiledSearchFields.WritePatchy(temp.Combine("fresh"), perClass: 5, seed: 700);

        // When train --auto's trainer packages the search's winner, and the package is written, opened and run
        using var trained = PackageTrainer.Train(new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = AutoMlTrainer.ModelName,
            Seed = 3,
            Threads = 2,
            ValidationShare = 0,
            ModelSettings = new ModelSettings { AutoMl = Search },
            CommandLine = "test",
        });
        var path = temp.File("tiled.acpkg");
        trained.WriteTo(path);
        using var package = ModelPackage.Open(path);
        var (files, labels, prepared) = Read(fresh);
        var predictions = PackagePredictor.Predict(package, files).ToList();
        var inMemory = PackagePredictor.PredictPrepared(trained.Model, trained.Manifest.Preprocessing.Tiling, prepared, 2);
        var csv = temp.File("p.csv");
        var (code, output, error) = Run("predict", path, fresh, "--out", csv);

        // Then the package holds the tile SVM under its own kind with the search's tiling, and predicts the new fields
        // as the fitted model did, well above chance, also through the predict command
        Assert.Equal("svm-field", package.Manifest.ModelKind);
        Assert.Equal("tiles 64 px", package.Manifest.AutoMl!.Representation);
        var tiling = Assert.IsType<PackageTiling>(package.Manifest.Preprocessing.Tiling);
        Assert.Equal((64, 64, "mean"), (tiling.Size, tiling.Stride, tiling.Aggregation));
        Assert.All(predictions, p => Assert.Null(p.Error));
        var accuracy = predictions.Select((p, i) => p.PredictedClass == labels[i] ? 1.0 : 0.0).Average();
        Assert.True(accuracy >= 0.9, $"accuracy {accuracy:F3}");
        for (var i = 0; i < files.Length; i++)
        {
            for (var k = 0; k < TiledSearchFields.PatchyClasses.Length; k++)
                Assert.Equal(inMemory[i][k], predictions[i].Probabilities[k], 9);
        }
        Assert.True(code == 0, output + error);
        Assert.Contains($"{files.Length} images, 0 failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_predict_an_ensemble_with_a_tiled_member_after_packaging_it()
    {
        // Given a tile SVM and a whole-field SVM fitted on the same fields, averaged into an ensemble
        var root = TiledSearchFields.WritePatchy(temp.Combine("data"), perClass: 6);
        var (files, labels, prepared) = Read(root);
        var data = TrainingData.FromPrepared(TiledSearchFields.PatchyClasses, labels, prepared, [ModelInput.FieldFeatures, ModelInput.Images], threads: 2);
        var all = Enumerable.Range(0, labels.Length).ToArray();
        var context = new TrainingContext { Seed = 4, Threads = 2 };
        var tiled = new SvmCandidate(0, "test", ModelInput.FieldFeatures, LibSvmKernel.Rbf, 3, -5, AutoMlSampler.ClassWeights, 0.5,
            new AutoMlTiling(new TileSpec(64, 64), 8)).Fit(data, all, context);
        var field = new SvmCandidate(1, "test", ModelInput.FieldFeatures, LibSvmKernel.Rbf, 3, -5, AutoMlSampler.ClassWeights, 0.5).Fit(data, all, context);
        Assert.IsType<TiledModel>(tiled);
        using var ensemble = new EnsembleModel([tiled, field], ["svm-field", "svm-field"], labels.Max() + 1);
        var expected = ensemble.PredictProbabilities(data, all);

        // When it is packaged, written and opened
        using var packaged = PackagedModelKinds.Find(EnsembleModel.Kind)!.Wrap(ensemble);
        var path = temp.File("ensemble.acpkg");
        TestPackages.Write(path, packaged, seed: 4);
        using var package = ModelPackage.Open(path);
        var loaded = package.Model.PredictProbabilities(prepared, 2);

        // Then the first member reads 64-px tiles, the package itself reads whole images, and it predicts what the fitted ensemble did
        var members = Assert.IsType<EnsemblePackagedModel>(package.Model).Members;
        var member = Assert.IsType<TiledPackagedModel>(members[0]);
        Assert.Equal(64, member.Tiling.Size);
        Assert.IsType<SvmPackagedModel>(members[1]);
        Assert.Null(package.Manifest.Preprocessing.Tiling);
        for (var i = 0; i < all.Length; i++)
        {
            for (var k = 0; k < expected[i].Length; k++)
                Assert.Equal(expected[i][k], loaded[i][k], 9);
        }
        var accuracy = all.Select(i => SvmModel.ArgMax(loaded[i]) == labels[i] ? 1.0 : 0.0).Average();
        Assert.True(accuracy >= 0.9, $"accuracy {accuracy:F3}");
    }
}
