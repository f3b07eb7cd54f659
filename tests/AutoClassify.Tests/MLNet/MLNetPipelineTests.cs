using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.MLNet;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Svm;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AutoClassify.Tests.MLNet;

/// <summary>The AutoClassify parts composed in real ML.NET pipelines, on small generated image folders.</summary>
[Collection(PackagingTests.Name)]
public sealed class MLNetPipelineTests : IDisposable
{
    readonly TempDirectory temp = new("mlnet-pipeline");

    public void Dispose() => temp.Dispose();

    sealed class ImageRow
    {
        public string Label { get; set; } = "";

        public string ImagePath { get; set; } = "";

        public string MaskPath { get; set; } = "";

        public string Group { get; set; } = "";
    }

    sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];

        public string Error { get; set; } = "";
    }

    [Fact]
    public void Should_load_every_image_of_a_folder_and_report_every_problem_at_once()
    {
        // Given a valid folder, and a broken one with an empty file and a class too small for the folds
        var good = PackagingTestData.WriteDataset(temp.Combine("good"), perClass: 6);
        var bad = PackagingTestData.WriteDataset(temp.Combine("bad"), perClass: 6);
        File.WriteAllBytes(Path.Combine(bad, "small", "empty.png"), []);
        var tiny = Path.Combine(bad, "tiny");
        Directory.CreateDirectory(tiny);
        File.Copy(Path.Combine(bad, "large", "large_000.png"), Path.Combine(tiny, "one.png"));
        var ml = new MLContext(seed: 1);

        // When both are loaded
        var rows = ml.Data.CreateEnumerable<ImageRow>(ml.Data.LoadImageFolder(good), reuseRowObject: false).ToList();
        var error = Assert.Throws<DatasetValidationException>(() => ml.Data.LoadImageFolder(bad, new ImageFolderOptions { Folds = 3 }));

        // Then the good one gives a labeled row per image, and the bad one names both problems
        Assert.Equal(12, rows.Count);
        Assert.Equal(6, rows.Count(r => r.Label == "large"));
        Assert.All(rows, r => Assert.True(File.Exists(r.ImagePath)));
        Assert.All(rows, r => Assert.Equal(r.ImagePath, r.Group));
        Assert.Contains(error.Problems, p => p.Location.Contains("empty.png", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Location.Contains("tiny", StringComparison.Ordinal) || p.Message.Contains("tiny", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_compute_the_same_handcrafted_features_as_the_core_as_a_named_vector_column()
    {
        // Given an image folder
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 3);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadImageFolder(root, new ImageFolderOptions { Folds = 2 });

        // When the features transform runs
        var transformed = ml.Transforms.HandcraftedFeatures().Fit(data).Transform(data);

        // Then the column is a known-size vector named slot by slot, with the core's values for each image
        var column = transformed.Schema["Features"];
        var names = FeatureSet.Handcrafted.Names;
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, names.Count), column.Type);
        var slots = default(VBuffer<ReadOnlyMemory<char>>);
        column.GetSlotNames(ref slots);
        Assert.Equal(names, slots.DenseValues().Select(s => s.ToString()));
        var paths = transformed.GetColumn<string>("ImagePath").ToArray();
        var vectors = transformed.GetColumn<float[]>("Features").ToArray();
        for (var i = 0; i < paths.Length; i++)
        {
            var prepared = ImagePreparation.Prepare(paths[i], null, default);
            var expected = FeatureSet.Handcrafted.Extract(prepared.Image, prepared.Mask).Select(v => (float)v);
            Assert.Equal(expected, vectors[i]);
        }
    }

    [Fact]
    public void Should_cross_validate_libsvm_with_stratified_folds_that_keep_groups_whole()
    {
        // Given 2 × 9 images, the "large" ones paired into groups (as slices of one stack would be)
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 9);
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<ImageRow>(ml.Data.LoadImageFolder(root, new ImageFolderOptions { Folds = 3 }), reuseRowObject: false).ToList();
        foreach (var row in rows.Where(r => r.Label == "large"))
            row.Group = "pair " + (int.Parse(Path.GetFileNameWithoutExtension(row.ImagePath)[^3..], CultureInfo.InvariantCulture) / 2).ToString(CultureInfo.InvariantCulture);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.HandcraftedFeatures())
            .Append(ml.MulticlassClassification.Trainers.LibSvm(new SvmOptions { Log2CGrid = SvmOptions.Log2Range(1, 7, 2) }, seed: 3, threads: 2));

        // When it is cross-validated in three folds, twice with the same seed
        var results = ml.MulticlassClassification.StratifiedCrossValidate(data, pipeline, numberOfFolds: 3, samplingKeyColumnName: "Group", seed: 7);
        var again = StratifiedCrossValidation.AssignFolds(data, 3, samplingKeyColumnName: "Group", seed: 7);
        try
        {
            // Then the test folds partition the rows, hold 2–4 of each class, never split a group, and the SVM learns
            Assert.Equal(Enumerable.Range(0, rows.Count), results.SelectMany(r => r.TestRows).Order());
            foreach (var result in results)
            {
                var labels = result.TestRows.Select(i => rows[i].Label).ToList();
                Assert.InRange(labels.Count(l => l == "large"), 2, 4);
                Assert.Equal(3, labels.Count(l => l == "small"));
                var facts = ((IEnumerable<ITransformer>)result.Model).OfType<AutoClassifyTransformer>().Single().Facts;
                Assert.True(result.Metrics.MacroAccuracy >= 0.8,
                    $"fold {result.Fold}: macro accuracy {result.Metrics.MacroAccuracy}; {string.Join(", ", facts.Select(f => f.Key + "=" + f.Value))}; {string.Join(" ", result.ScoredTestData.GetColumn<float[]>("Score").Select(v => v[0].ToString("F2", CultureInfo.InvariantCulture)))}");
                Assert.Equal(labels.Count, result.ScoredTestData.GetColumn<float[]>("Score").Count());
            }
            foreach (var group in rows.Select((r, i) => (r.Group, i)).GroupBy(g => g.Group))
                Assert.Single(group.Select(g => again[g.i]).Distinct());
            Assert.Equal(again, results.SelectMany(r => r.TestRows.Select(i => (i, r.Fold))).OrderBy(p => p.i).Select(p => p.Fold));
        }
        finally
        {
            foreach (var result in results)
                result.Dispose();
        }
    }

    [Fact]
    public void Should_train_a_lipnet_that_learns_and_marks_an_unreadable_image_instead_of_stopping()
    {
        // Given 2 × 10 images and a LipNet-4 estimator at 24 px
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 10, size: 24);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadImageFolder(root, new ImageFolderOptions { Folds = 2 });
        var options = new CnnOptions { Model = "lipnet4", InputSize = 24, MaxEpochs = 15, Patience = 15, BatchSize = 8, Threads = 2, LearningRate = 3e-3, Augmentation = AugmentationOptions.Parse("hflip,vflip") };
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data);
        var keyed = keys.Transform(data);

        // When it is fitted and predicts the images and one broken file through a PredictionEngine
        using var model = ml.MulticlassClassification.Trainers.LipNet(options, seed: 4).Fit(keyed);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keyed));
        var engine = ml.Model.CreatePredictionEngine<ImageRow, Prediction>(model);
        var broken = temp.File("broken.png");
        File.WriteAllText(broken, "not a png");
        var failed = engine.Predict(new ImageRow { ImagePath = broken });

        // Then it fits its own data well above chance (1/2), and the broken file gives the missing key and its reason
        Assert.True(metrics.MacroAccuracy >= 0.8, $"macro accuracy {metrics.MacroAccuracy}");
        Assert.Equal(["large", "small"], model.ClassNames);
        Assert.Equal(0u, failed.PredictedLabel);
        Assert.Contains("broken.png", failed.Error, StringComparison.Ordinal);
        Assert.All(failed.Score, s => Assert.True(float.IsNaN(s)));
    }

    [Fact]
    public void Should_open_a_package_as_a_transformer_that_predicts_as_the_cli_does()
    {
        // Given an SVM package trained on a folder
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 8);
        var path = temp.File("svm.acpkg");
        using (var trained = PackagingTestData.Train(root))
            trained.WriteTo(path);
        var files = PackagePredictor.CollectInputs([root]);
        List<AutoClassify.Packaging.ImagePrediction> expected;
        using (var package = ModelPackage.Open(path))
            expected = [.. PackagePredictor.Predict(package, files)];

        // When ML.NET opens it and a PredictionEngine predicts every file
        var ml = new MLContext(seed: 1);
        using var model = ml.Model.LoadAutoClassifyPackage(path, threads: 2);
        var engine = ml.Model.CreatePredictionEngine<ImageRow, Prediction>(model);
        var predictions = files.Select(f => engine.Predict(new ImageRow { ImagePath = f })).ToList();

        // Then it names the classes and gives the CLI's probabilities and classes
        Assert.Equal("svm", model.Kind);
        Assert.Equal(PackagingTestData.Classes, model.ClassNames);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal((uint)expected[i].PredictedClass + 1, predictions[i].PredictedLabel);
            Assert.Equal(expected[i].Probabilities.Select(p => (float)p), predictions[i].Score);
            Assert.Equal("", predictions[i].Error);
        }
    }

    [Fact]
    public async Task Should_build_and_run_the_sample_and_print_its_folds_and_a_prediction()
    {
        // Given the sample, built with the solution, and a small image folder
        var dll = Path.Combine(RepoPaths.Root, "samples", "MLNetPipeline", "bin", "Release", "net10.0", "MLNetPipeline.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution in Release first (dotnet build AutoClassify.sln -c Release).");
        var root = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 6);

        // When it runs with three folds
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, root, "3" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            await process.WaitForExitAsync(limit.Token);
        var stdout = await output;
        var stderr = await error;

        // Then it succeeds, prints each fold and a mean that beats chance, and predicts an image's class
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Count(l => l.StartsWith("fold ", StringComparison.Ordinal)));
        var mean = double.Parse(lines.Single(l => l.StartsWith("mean macro accuracy ", StringComparison.Ordinal))["mean macro accuracy ".Length..], CultureInfo.InvariantCulture);
        Assert.True(mean >= 0.8, $"mean macro accuracy {mean}");
        Assert.Matches(@"^pipeline: large_000\.png \(large\) is (large|small) \(p = 0\.\d{3}\)$", lines.Last().TrimEnd('\r'));
    }
}
