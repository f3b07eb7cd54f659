using System.Globalization;
using AutoClassify.Features;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Features;
using AutoClassify.Tests.Reporting;
using AutoClassify.Tests.Support;
using AutoClassify.Tiling;
using CsvHelper;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Packaging;

[Collection(PackagingTests.Name)]
public sealed class FieldPackageTests : IDisposable
{
    const int TileSize = 48;

    readonly TempDirectory temp = new("fieldpkg");

    public void Dispose() => temp.Dispose();

    static PackageTrainingOptions Options(string dataset, string model = "svm-field", TileSpec? tile = null, double validation = 0.2) => new()
    {
        DatasetPath = dataset,
        Model = model,
        Seed = 7,
        Threads = 2,
        ValidationShare = validation,
        ModelSettings = new ModelSettings { Grid = "coarse" },
        Tile = tile,
        CommandLine = "test",
    };

    static PreparedImage Prepare(string path) => ImagePreparation.Prepare(path, null, default);

    [Fact]
    public void Should_predict_identical_probabilities_after_packaging_svm_field()
    {
        // Given svm-field trained on generated fields whose classes differ in particle size and density (TiledFields)
        var data = FieldImages.WriteDataset(temp.Combine("data"), perClass: 6);
        using var trained = PackageTrainer.Train(Options(data));
        var files = PackagePredictor.CollectInputs([data]);
        var expected = trained.Model.PredictProbabilities([.. files.Select(Prepare)], 2);

        // When it is written, opened and predicts the same files
        var path = temp.File("field.acpkg");
        trained.WriteTo(path);
        using var package = ModelPackage.Open(path);
        var rows = PackagePredictor.Predict(package, files).ToList();

        // Then the manifest names the feature set and its unit, and the probabilities are identical
        Assert.Equal("svm-field", package.Manifest.ModelKind);
        var set = package.Manifest.Preprocessing.FeatureSet!;
        Assert.Equal(FeatureSet.FieldName, set.Name);
        Assert.Equal(ParticleFeatures.Names.Count, set.Count);
        Assert.Equal("px", set.LengthUnit);
        Assert.Null(set.NmPerPixel);
        Assert.Null(package.Manifest.Preprocessing.Tiling);
        Assert.Equal(expected, rows.Select(r => r.Probabilities));
        Assert.All(rows, r => Assert.Null(r.Map));
    }

    [Fact]
    public void Should_train_on_tiles_and_predict_every_image_from_its_tiles_identically_after_loading()
    {
        // Given svm-field trained on 48-pixel tiles of 96-pixel fields (4 tiles each)
        var data = FieldImages.WriteDataset(temp.Combine("data"), perClass: 6);
        using var trained = PackageTrainer.Train(Options(data, tile: new TileSpec(TileSize, TileSize)));
        var files = PackagePredictor.CollectInputs([data]);
        var expected = files.Select(f =>
        {
            var (rects, tiles) = PreparedTiles.Cut(Prepare(f), new TileSpec(TileSize, TileSize));
            return new PredictionMap(96, 96, rects, trained.Model.PredictProbabilities(tiles, 2)).Aggregate(TileAggregation.Mean);
        }).ToList();

        // When it is written, opened and predicts the same files
        var path = temp.File("tiled.acpkg");
        trained.WriteTo(path);
        using var package = ModelPackage.Open(path);
        var rows = PackagePredictor.Predict(package, files).ToList();

        // Then the manifest records the tiling, the model saw 72 tiles, and every image row aggregates its 4 tiles identically
        var tiling = package.Manifest.Preprocessing.Tiling!;
        Assert.Equal((TileSize, TileSize, "mean"), (tiling.Size, tiling.Stride, tiling.Aggregation));
        Assert.Equal("72", package.Manifest.Provenance.Facts["training_tiles"]);
        Assert.Contains("by image", package.Manifest.Provenance.Facts["validation_split"], StringComparison.Ordinal);
        Assert.Equal(expected, rows.Select(r => r.Probabilities));
        Assert.All(rows, r => Assert.Equal(4, r.Map!.Tiles.Count));
        var accuracy = rows.Count(r => files.ToList().IndexOf(r.Path) / 6 == r.PredictedClass) / (double)rows.Count;
        Assert.True(accuracy >= 0.8, $"training-set accuracy {accuracy:F2}");
    }

    [Fact]
    public void Should_write_maps_that_decode_at_the_image_size_and_tint_where_a_class_dominates()
    {
        // Given a tiled svm-field package, and inputs: a field half "dense", half "large", a corrupt file and an image smaller than a tile
        var data = FieldImages.WriteDataset(temp.Combine("data"), perClass: 6);
        var package = temp.File("tiled.acpkg");
        using (var trained = PackageTrainer.Train(Options(data, tile: new TileSpec(TileSize, TileSize))))
            trained.WriteTo(package);
        var inputs = temp.Combine("inputs");
        Directory.CreateDirectory(inputs);
        PngWriter.Write(Path.Combine(inputs, "a_split.png"), FieldImages.Split(0, 1, seed: 77, width: 192, height: 96));
        File.WriteAllBytes(Path.Combine(inputs, "b_corrupt.png"), File.ReadAllBytes(Path.Combine(inputs, "a_split.png"))[..60]);
        PngWriter.Write(Path.Combine(inputs, "c_small.png"), FieldImages.Field(2, seed: 5, size: 32));
        var maps = temp.Combine("maps");

        // When the map command runs
        var (code, output, _) = Run("map", package, inputs, "--maps", maps, "--threads", "2");

        // Then the bad images have error rows, the run went on and exits 1, and only the good image has maps
        Assert.Equal(1, code);
        Assert.Contains("3 images, 2 failed", output, StringComparison.Ordinal);
        var predictions = File.ReadAllLines(Path.Combine(maps, "predictions.csv"));
        Assert.Contains(predictions, l => l.Contains("c_small.png", StringComparison.Ordinal) && l.Contains("smaller than the model's 48-pixel tiles", StringComparison.Ordinal));
        Assert.Equal(["a_split.heatmap.png", "a_split.overlay.png", "a_split.tiles.csv", "predictions.csv"],
            Directory.GetFiles(maps).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // And both pictures decode at the image's size plus the legend strip
        foreach (var picture in new[] { "a_split.heatmap.png", "a_split.overlay.png" })
        {
            var decoded = ImageCodec.Decode(Path.Combine(maps, picture));
            Assert.Equal((192, 96 + PredictionMapRenderer.LegendHeight), (decoded.Width, decoded.Height));
        }

        // And the overlay is tinted in a class's colour at the centre of every tile that class dominates above 0.5, and
        // the left (dense) half is mostly dense, the right (large) half mostly large
        var tiles = ReadTiles(Path.Combine(maps, "a_split.tiles.csv"));
        Assert.Equal(8, tiles.Count);
        var overlay = PngImage.Read(Path.Combine(maps, "a_split.overlay.png"));
        var grey = ImageCodec.Decode(Path.Combine(inputs, "a_split.png"));
        foreach (var tile in tiles.Where(t => t.P.Max() > 0.5))
        {
            var k = Array.IndexOf(tile.P, tile.P.Max());
            var (x, y) = (tile.X + (TileSize / 2) - 2, tile.Y + (TileSize / 2) - 2);
            while (MapColours.OnHatch(MapColours.Hatch(k), x, y, PredictionMapRenderer.HatchSpacing))
                x++;
            var g = grey[x, y] * 255f;
            var c = PredictionMapRenderer.ClassColour(k);
            Assert.Equal((Blend(g, c.R), Blend(g, c.G), Blend(g, c.B)), overlay[x, y]);
        }
        Assert.True(tiles.Count(t => t.X < 96 && t.Predicted == "dense" && t.P.Max() > 0.5) >= 3, "left half should be dense");
        Assert.True(tiles.Count(t => t.X >= 96 && t.Predicted == "large" && t.P.Max() > 0.5) >= 3, "right half should be large");
    }

    [Fact]
    public void Should_refuse_maps_for_a_package_trained_on_whole_images()
    {
        var data = FieldImages.WriteDataset(temp.Combine("data"), perClass: 5);
        using var trained = PackageTrainer.Train(Options(data, validation: 0));
        var path = temp.File("whole.acpkg");
        trained.WriteTo(path);
        using var package = ModelPackage.Open(path);

        var error = Assert.Throws<ArgumentException>(() =>
            PackagePredictor.Predict(package, [path], new PredictionOptions { MapsDirectory = temp.Combine("maps") }));

        Assert.Contains("--maps needs a package trained on tiles", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("maps")));
    }

    [Fact]
    public void Should_train_a_tiled_svm_field_from_the_command_line_and_record_the_scale()
    {
        var data = FieldImages.WriteDataset(temp.Combine("data"), perClass: 5);
        var registry = temp.Combine("models");

        var (code, output, error) = Run("train", data, "--model", "svm-field", "--name", "fields", "--registry", registry,
            "--grid", "coarse", "--threads", "2", "--tile", "48", "--tile-aggregate", "vote", "--nm-per-pixel", "2.5", "--validation", "0");

        Assert.True(code == 0, error);
        Assert.Contains("svm-field on 48-px tiles", output, StringComparison.Ordinal);
        var manifest = ModelPackage.ReadManifest(new ModelRegistry(registry).ResolveChampion("fields"));
        Assert.Equal("vote", manifest.Preprocessing.Tiling!.Aggregation);
        Assert.Equal(2.5, manifest.Preprocessing.FeatureSet!.NmPerPixel);
        Assert.Equal("nm", manifest.Preprocessing.FeatureSet.LengthUnit);
    }

    static byte Blend(float grey, byte tint) => (byte)MathF.Round(grey + (0.45f * (tint - grey)));

    sealed record TileRow(int X, int Y, string Predicted, double[] P);

    static List<TileRow> ReadTiles(string path)
    {
        using var csv = CsvReader.Create(File.OpenRead(path), options: null, leaveOpen: false);
        var header = csv.Headers.ToArray();
        Assert.Equal(["tile", "x", "y", "size", "predicted_class", "p_dense", "p_large", "p_sparse"], header);
        var rows = new List<TileRow>();
        while (csv.Read())
        {
            rows.Add(new TileRow(int.Parse(csv.GetString(1), CultureInfo.InvariantCulture), int.Parse(csv.GetString(2), CultureInfo.InvariantCulture),
                csv.GetString(4), [.. Enumerable.Range(5, 3).Select(k => double.Parse(csv.GetString(k), CultureInfo.InvariantCulture))]));
        }
        return rows;
    }
}
