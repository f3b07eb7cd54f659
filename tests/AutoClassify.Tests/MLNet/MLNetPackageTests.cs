using System.IO.Compression;
using AutoClassify.MLNet;
using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Retraining;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.MLNet;

[Collection(PackagingTests.Name)]
public sealed class MLNetPackageTests : IDisposable
{
    readonly TempDirectory temp = new("mlnet-pkg");

    public MLNetPackageTests() => MLNetModels.Register();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("lightgbm")]
    [InlineData("maxent")]
    [InlineData("forest")]
    public void Should_store_mlnets_own_model_zip_and_predict_identically_after_loading(string model)
    {
        // Given an ML.NET baseline trained into a package on two separable classes
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 10);
        using var trained = PackageTrainer.Train(new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = model,
            Seed = 5,
            Threads = 2,
            ValidationShare = 0.2,
            ModelSettings = new ModelSettings { Grid = "coarse" },
            CommandLine = "test",
        });
        var files = PackagePredictor.CollectInputs([data]);
        var expected = trained.Model.PredictProbabilities([.. files.Select(f => AutoClassify.Preprocessing.ImagePreparation.Prepare(f, null, default))], 2);

        // When it is written and opened again
        var path = temp.File(model + ".acpkg");
        trained.WriteTo(path);
        using var package = ModelPackage.Open(path);
        var rows = PackagePredictor.Predict(package, files).ToList();

        // Then the package holds ML.NET's model.zip beside the metadata, records the tuned settings, and predicts the same
        Assert.Equal(model, package.Manifest.ModelKind);
        Assert.Equal(["payload/" + MLNetModel.MetadataFileName, "payload/" + MLNetModel.ModelFileName], package.Manifest.Payload.Select(p => p.Name));
        using (var zip = ZipFile.OpenRead(path))
        {
            using var inner = new ZipArchive(zip.GetEntry("payload/" + MLNetModel.ModelFileName)!.Open());
            Assert.Contains(inner.Entries, e => e.FullName.StartsWith("TransformerChain", StringComparison.Ordinal));
        }
        var facts = package.Manifest.Provenance.Facts;
        Assert.Equal("coarse", facts["grid"]);
        Assert.False(facts.ContainsKey("svm_tune_max"));
        Assert.Equal(MLNetTrainer.MLNetVersion, facts["mlnet"]);
        Assert.StartsWith("6.", facts["mlnet"], StringComparison.Ordinal);
        Assert.Equal(expected, rows.Select(r => r.Probabilities).ToArray());
        Assert.True(rows.Count(r => package.Manifest.ClassNames[r.PredictedClass] == Path.GetFileName(Path.GetDirectoryName(r.Path))) >= 18);
    }

    [Fact]
    public void Should_train_predict_and_retrain_an_mlnet_package_from_the_command_line()
    {
        // Given a data set, a registry and a later batch
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 10, seed: 500_000);
        var registry = temp.Combine("models");
        var batch = temp.Combine("batch");
        RetrainTestData.Write(batch, "large", large: true, count: 6, seed: 510_000, prefix: "new");
        RetrainTestData.Write(batch, "small", large: false, count: 6, seed: 520_000, prefix: "new");

        // When lightgbm is trained, predicts and is retrained through the CLI
        var train = Run("train", data, "--model", "lightgbm", "--name", "disks", "--registry", registry, "--grid", "coarse", "--validation", "0",
            "--threads", "2", "--seed", "4");
        var csv = temp.File("p.csv");
        var predict = Run("predict", "disks", batch, "--registry", registry, "--out", csv, "--threads", "2");
        var retrain = Run("retrain", "disks", "--add", batch, "--registry", registry, "--threads", "2", "--force");

        // Then each step succeeds, predictions beat chance clearly, and the challenger is a lightgbm with the champion's grid
        Assert.True(train.Code == 0, train.Err);
        Assert.True(predict.Code == 0, predict.Err);
        Assert.True(retrain.Code == 0, retrain.Err + retrain.Out);
        // Paths here hold no commas, so the rows split plainly.
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',').ToList();
        var predictions = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(12, predictions.Count);
        var correct = predictions.Count(r => r[header.IndexOf("path")].Contains($"/{r[header.IndexOf("predicted_class")]}/", StringComparison.Ordinal));
        Assert.True(correct >= 10, $"{correct} of 12 correct");
        var manifest = ModelPackage.ReadManifest(new ModelRegistry(registry).PackagePath("disks", 2));
        Assert.Equal("lightgbm", manifest.ModelKind);
        Assert.Equal("coarse", manifest.Provenance.Facts["grid"]);
        Assert.Contains("refitted from scratch", manifest.Provenance.Facts["retrain_warm_start"], StringComparison.Ordinal);
    }
}
