using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Features;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Packaging;

[Collection(TorchTests.Name)]
public sealed class TiledCnnPackageTests : IDisposable
{
    readonly TempDirectory temp = new("tiledcnn");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_predict_identical_probabilities_after_packaging_a_tiled_lipnet4()
    {
        // Given LipNet-4 trained briefly on 48-pixel tiles of generated fields, aggregated by majority vote
        var data = FieldImages.WriteDataset(temp.Combine("data"), perClass: 5);
        var spec = new TileSpec(48, 48);
        using var trained = PackageTrainer.Train(new PackageTrainingOptions
        {
            DatasetPath = data,
            Model = "lipnet4",
            Seed = 3,
            Threads = 2,
            ValidationShare = 0,
            Tile = spec,
            TileAggregation = TileAggregation.MajorityVote,
            ModelSettings = new ModelSettings { Cnn = new CnnOptions { MaxEpochs = 2, Patience = 2, BatchSize = 16, Threads = 2 } },
        });
        var files = PackagePredictor.CollectInputs([data]);
        var expected = files.Select(f =>
        {
            var (rects, tiles) = PreparedTiles.Cut(ImagePreparation.Prepare(f, null, default), spec);
            return new PredictionMap(96, 96, rects, trained.Model.PredictProbabilities(tiles, 2)).Aggregate(TileAggregation.MajorityVote);
        }).ToList();

        // When it is written, opened and predicts the same files
        var path = temp.File("lipnet4-tiled.acpkg");
        trained.WriteTo(path);
        using var package = ModelPackage.Open(path);
        var rows = PackagePredictor.Predict(package, files, new PredictionOptions { Threads = 2 }).ToList();

        // Then the manifest records the tiling and every image's vote shares repeat exactly
        Assert.Equal("lipnet4", package.Manifest.ModelKind);
        Assert.Equal("vote", package.Manifest.Preprocessing.Tiling!.Aggregation);
        Assert.Null(package.Manifest.Preprocessing.FeatureSet);
        Assert.Equal(expected, rows.Select(r => r.Probabilities));
        Assert.All(rows, r => Assert.All(r.Probabilities, p => Assert.Contains(p, new[] { 0, 0.25, 0.5, 0.75, 1 })));
    }
}
