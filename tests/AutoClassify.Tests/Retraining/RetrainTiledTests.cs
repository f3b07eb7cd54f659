using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Retraining;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using AutoClassify.Tests.Tiling;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Retraining;

/// <summary>Retraining models trained on tiles of whole fields: tiles in training, images in the comparison.</summary>
[Collection(TorchTests.Name)]
public sealed class RetrainTiledTests : IDisposable
{
    const int TileSize = TiledFields.TileSize;
    const int TilesPerField = (TiledFields.FieldSize / TileSize) * (TiledFields.FieldSize / TileSize);

    readonly TempDirectory temp = new("retrain-tiled");

    public void Dispose() => temp.Dispose();

    static PackageTrainingOptions Options(string dataset, string model, ModelSettings settings) => new()
    {
        DatasetPath = dataset,
        Model = model,
        Seed = 5,
        Threads = 2,
        ValidationShare = 0,
        ReferenceShare = 0.2,
        ModelSettings = settings,
        Tile = new TileSpec(TileSize, TileSize),
        CommandLine = "test",
    };

    static RetrainOptions Retrain(ModelRegistry registry, string name, string batch, int? epochs = null, double? learningRate = null, bool force = false) => new()
    {
        Registry = registry.Root,
        Name = name,
        BatchPath = batch,
        Seed = 9,
        Threads = 2,
        Epochs = epochs,
        LearningRate = learningRate,
        Force = force,
    };

    // Each reference image's aggregated probabilities as 'predict' gives them for a version's package.
    static double[][] Predicted(ModelRegistry registry, string name, int version, IEnumerable<string> files)
    {
        using var package = ModelPackage.Open(registry.PackagePath(name, version));
        return [.. PackagePredictor.Predict(package, files.ToList(), new PredictionOptions { Threads = 2 }).Select(p => p.Probabilities)];
    }

    static double MacroF1(double[][] probabilities, IReadOnlyList<string> truth, IReadOnlyList<string> classes) =>
        ClassificationMetrics.Compute(
            [.. truth.Select(t => classes.ToList().IndexOf(t))],
            [.. probabilities.Select(p => ModelResultBuilder.Decide(p))],
            null,
            classes.Count).MacroF1;

    [Theory]
    [InlineData("svm")]
    [InlineData("svm-field")]
    public void Should_retrain_a_tiled_svm_on_the_tiles_of_old_and_new_fields_and_compare_by_image(string model)
    {
        // Given an SVM champion (object or whole-field features) trained on 32-px tiles of generated fields, and a batch of new fields, one of them smaller than a tile
        var data = temp.Combine("data");
        TiledFields.Write(data, perClass: 6);
        var registry = new ModelRegistry(temp.Combine("models"));
        RetrainTestData.TrainFirstVersion(registry, "fields", Options(data, model, new ModelSettings { Grid = "coarse" }));
        var batch = temp.Combine("batch");
        TiledFields.Write(batch, perClass: 3, seedOffset: 500, prefix: "new");
        var tiny = Path.Combine(batch, "dense", "tiny.png");
        PngWriter.Write(tiny, new GrayImage(20, 20, [.. Enumerable.Range(0, 400).Select(i => (i % 20) / 20f)]));

        // When it is retrained on the batch
        var result = Retrainer.Run(Retrain(registry, "fields", batch));

        // Then the challenger keeps the champion's tiling and learned from the tiles of every usable old and new field
        using var champion = ModelPackage.Open(registry.PackagePath("fields", 1));
        var manifest = result.ChallengerManifest;
        Assert.Equal(champion.Manifest.Preprocessing.Tiling, manifest.Preprocessing.Tiling);
        var trainedImages = manifest.Provenance.TrainingFiles.Count;
        Assert.Equal(result.OldImagesFound + 9, trainedImages);
        Assert.Equal((trainedImages * TilesPerField).ToString(System.Globalization.CultureInfo.InvariantCulture), manifest.Provenance.Facts["training_tiles"]);
        Assert.Equal(champion.Manifest.Provenance.Facts["tile_layout"], manifest.Provenance.Facts["tile_layout"]);
        Assert.Equal(model, manifest.ModelKind);
        Assert.Equal("coarse", champion.Manifest.Provenance.Facts["grid"]);
        Assert.Equal("coarse", manifest.Provenance.Facts["grid"]);
        Assert.Equal(champion.Manifest.Preprocessing.FeatureSet, manifest.Preprocessing.FeatureSet);

        // And the field smaller than a tile was named and left out, not fatal
        Assert.Contains(result.DataWarnings, w => w.Contains("tiny.png is 20x20", StringComparison.Ordinal) && w.Contains("32-pixel tiles", StringComparison.Ordinal));
        Assert.DoesNotContain(manifest.Provenance.TrainingFiles, f => f.Path.EndsWith("tiny.png", StringComparison.Ordinal));

        // And both models were scored per image on the reference fields, with the figures 'predict' gives for them
        var reference = ReferenceSet.TryRead(registry, "fields")!;
        Assert.Equal(reference.Items.Count, result.Champion!.Images);
        Assert.Equal(reference.Items.Count, result.Challenger!.Images);
        var files = reference.Items.Select(i => i.FullPath).ToList();
        var truth = reference.Items.Select(i => i.ClassName).ToList();
        Assert.Equal(MacroF1(Predicted(registry, "fields", 1, files), truth, result.ClassNames), result.Champion.MacroF1, 12);
        Assert.Equal(MacroF1(Predicted(registry, "fields", 2, files), truth, result.ClassNames), result.Challenger.MacroF1, 12);
        Assert.True(result.Challenger.MacroF1 > 0.6, $"challenger reference macro-F1 {result.Challenger.MacroF1}");

        // And the promotion follows the rule on those figures
        Assert.Equal(result.Challenger.MacroF1 >= result.Champion.MacroF1 - result.Tolerance - 1e-12, result.Promoted);
    }

    [Fact]
    public void Should_warm_start_a_tiled_cnn_challenger_from_the_champion()
    {
        // Given a small LipNet-4c champion on 32-px tiles
        var data = temp.Combine("data");
        TiledFields.Write(data, perClass: 5);
        var cnn = new CnnOptions { Model = "lipnet4c", InputSize = 16, MaxEpochs = 2, Patience = 2, BatchSize = 16, Threads = 2, Augmentation = AugmentationOptions.Field };
        var registry = new ModelRegistry(temp.Combine("models"));
        RetrainTestData.TrainFirstVersion(registry, "cnn", Options(data, "lipnet4c", new ModelSettings { Cnn = cnn }));
        var batch = temp.Combine("batch");
        TiledFields.Write(batch, perClass: 2, seedOffset: 700, prefix: "new");

        // When it is retrained for one epoch at a learning rate too small to move the weights
        var result = Retrainer.Run(Retrain(registry, "cnn", batch, epochs: 1, learningRate: 1e-7, force: true));

        // Then the challenger trained on tiles from the champion's weights, kept its augmentation, and predicts the reference fields as the champion does
        Assert.StartsWith("yes", result.WarmStart, StringComparison.Ordinal);
        var facts = result.ChallengerManifest.Provenance.Facts;
        Assert.Equal("rot90,hflip,vflip", facts["augmentation"]);
        Assert.Equal((result.ChallengerManifest.Provenance.TrainingFiles.Count * TilesPerField).ToString(System.Globalization.CultureInfo.InvariantCulture), facts["training_tiles"]);
        var files = ReferenceSet.TryRead(registry, "cnn")!.Items.Select(i => i.FullPath).ToList();
        var before = Predicted(registry, "cnn", 1, files);
        var after = Predicted(registry, "cnn", 2, files);
        var difference = before.Zip(after, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).Max()).Max();
        Assert.True(difference < 1e-3, $"warm-started tiled challenger differs from the champion by {difference}");
        Assert.Equal(result.Champion!.MacroF1, result.Challenger!.MacroF1, 6);
    }
}
