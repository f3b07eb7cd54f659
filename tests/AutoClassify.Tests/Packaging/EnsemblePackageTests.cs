using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Features;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tiling;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Packaging;

[Collection(PackagingTests.Name)]
public sealed class EnsemblePackageTests : IDisposable
{
    readonly TempDirectory temp = new("ensemblepkg");

    public void Dispose() => temp.Dispose();

    /// <summary>
    /// An object-feature SVM and a whole-field SVM fitted on generated fields, averaged into an ensemble, or stacked by a
    /// combiner fitted on their probabilities; with the data, each member's probabilities and the ensemble's.
    /// </summary>
    sealed record Fitted(string Root, int FileCount, string[] Classes, List<PreparedImage> Prepared, int[] All,
        EnsembleModel Ensemble, StackingCombiner? Stacker, List<double[][]> Separate, double[][] Expected) : IDisposable
    {
        public void Dispose() => Ensemble.Dispose();
    }

    Fitted FitEnsemble(int seed, bool stacked)
    {
        var root = FieldImages.WriteDataset(temp.Combine("data"), perClass: 5);
        var files = PackagePredictor.CollectInputs([root]);
        var classes = TiledFields.Classes.Select(c => c.Name).ToArray();
        var labels = files.Select(f => Array.IndexOf(classes, Path.GetFileName(Path.GetDirectoryName(f)))).ToArray();
        var prepared = files.Select(f => ImagePreparation.Prepare(f, null, default)).ToList();
        var data = TrainingData.FromPrepared(classes, labels, prepared, [ModelInput.Features, ModelInput.FieldFeatures], threads: 2);
        var all = Enumerable.Range(0, labels.Length).ToArray();
        var settings = new ModelSettings { Grid = "coarse" };
        var members = new[] { "svm", "svm-field" }
            .Select(m => ModelCatalog.Create(m, settings).Train(data, all, new TrainingContext { Seed = Seeds.Derive(seed, m), Threads = 2 }))
            .ToList();
        var separate = members.Select(m => m.PredictProbabilities(data, all)).ToList();
        var stacker = stacked ? StackingCombiner.Fit(separate, labels, classes.Length) : null;
        var ensemble = new EnsembleModel(members, ["svm", "svm-field"], classes.Length, stacker);
        return new Fitted(root, files.Count, classes, prepared, all, ensemble, stacker, separate, ensemble.PredictProbabilities(data, all));
    }

    // Packages the ensemble (which hands its members to the package) and writes it to path.
    static ModelPackageManifest WritePackage(EnsembleModel ensemble, string path, int seed)
    {
        using var packaged = PackagedModelKinds.Find(EnsembleModel.Kind)!.Wrap(ensemble);
        return TestPackages.Write(path, packaged, seed: seed);
    }

    [Fact]
    public void Should_predict_the_members_mean_after_packaging_an_ensemble_and_through_the_predict_command()
    {
        // Given an object-feature SVM and a whole-field SVM fitted on generated fields, averaged into an ensemble
        using var fitted = FitEnsemble(seed: 3, stacked: false);
        var (separate, expected, classes) = (fitted.Separate, fitted.Expected, fitted.Classes);

        // When it is packaged, written, opened, and the predict command runs it on the same files
        var path = temp.File("ensemble.acpkg");
        var manifest = WritePackage(fitted.Ensemble, path, seed: 3);
        using var package = ModelPackage.Open(path);
        var loaded = package.Model.PredictProbabilities(fitted.Prepared, 2);
        var csv = temp.File("p.csv");
        var (code, output, error) = Run("predict", path, fitted.Root, "--out", csv);

        // Then the payload holds both members' files and the index, and every prediction is the mean of the members'
        Assert.Equal("ensemble", package.Manifest.ModelKind);
        Assert.Contains("payload/ensemble.json", manifest.Payload.Select(p => p.Name));
        Assert.Contains(manifest.Payload, p => p.Name.StartsWith("payload/m1-", StringComparison.Ordinal));
        Assert.Contains(manifest.Payload, p => p.Name.StartsWith("payload/m2-", StringComparison.Ordinal));
        var ensemblePackage = Assert.IsType<EnsemblePackagedModel>(package.Model);
        Assert.Equal(["svm", "svm-field"], ensemblePackage.Members.Select(m => m.Kind));
        for (var i = 0; i < fitted.All.Length; i++)
        {
            for (var k = 0; k < classes.Length; k++)
            {
                Assert.Equal((separate[0][i][k] + separate[1][i][k]) / 2, expected[i][k], 12);
                Assert.Equal(expected[i][k], loaded[i][k], 9);
            }
        }
        Assert.True(code == 0, output + error);
        Assert.Contains($"{fitted.FileCount} images, 0 failed", output, StringComparison.Ordinal);
        Assert.Equal(fitted.FileCount + 1, File.ReadAllLines(csv).Length);
    }

    [Fact]
    public void Should_predict_the_stacked_combination_after_packaging_a_stacked_ensemble_and_through_the_predict_command()
    {
        // Given the two SVMs of generated fields stacked by a combiner fitted on their probabilities
        using var fitted = FitEnsemble(seed: 4, stacked: true);
        var (separate, expected, classes, stacker) = (fitted.Separate, fitted.Expected, fitted.Classes, fitted.Stacker!);

        // When it is packaged, written, opened, and the predict command runs it
        var path = temp.File("stacked.acpkg");
        WritePackage(fitted.Ensemble, path, seed: 4);
        using var package = ModelPackage.Open(path);
        var loaded = package.Model.PredictProbabilities(fitted.Prepared, 2);
        var csv = temp.File("s.csv");
        var (code, output, error) = Run("predict", path, fitted.Root, "--out", csv);

        // Then the loaded ensemble holds the same combiner and predicts what the fitted one did, which is not the mean
        var ensemblePackage = Assert.IsType<EnsemblePackagedModel>(package.Model);
        Assert.Equal(stacker.Weights.SelectMany(w => w), ensemblePackage.Stacker!.Weights.SelectMany(w => w));
        Assert.Contains("multinomial logistic regression", package.Manifest.Preprocessing.Normalisation, StringComparison.Ordinal);
        var differsFromMean = false;
        for (var i = 0; i < fitted.All.Length; i++)
        {
            for (var k = 0; k < classes.Length; k++)
            {
                Assert.Equal(expected[i][k], loaded[i][k], 9);
                differsFromMean |= Math.Abs(expected[i][k] - ((separate[0][i][k] + separate[1][i][k]) / 2)) > 1e-3;
            }
        }
        Assert.True(differsFromMean);
        Assert.True(code == 0, output + error);
        Assert.Contains($"{fitted.FileCount} images, 0 failed", output, StringComparison.Ordinal);
        var predicted = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(fitted.FileCount, predicted.Count);
    }
}
