using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;
using AutoClassify.Tiling;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Tiling;

/// <summary>
/// <c>benchmark --tile --features</c>: every tile inherits its image's row of the CSV. One real tiled run (LIBSVM on
/// tile features, and the whole-field SVM beside it) on generated fields, shared by these tests.
/// </summary>
public class TiledExtraFeaturesTests
{
    // One field per class has no row; they are the images imputed from each training fold.
    static readonly string[] WithoutRow = ["dense/field_02.png", "large/field_04.png", "sparse/field_05.png"];

    const int TilesPerField = TiledFields.FieldSize / TiledFields.TileSize * (TiledFields.FieldSize / TiledFields.TileSize);

    static readonly Lazy<Shared> Run = new(() =>
    {
        var dir = new TempDirectory("tiled-extra");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        var data = dir.Combine("fields");
        TiledFields.Write(data, perClass: 6);
        var csv = dir.File("extra.csv");
        var rows = WriteCsv(data, csv);
        var fits = new List<Fit>();
        var messages = new List<string>();
        var options = TiledFields.Options(data);
        var result = BenchmarkRunner.Run(
            new BenchmarkOptions
            {
                DatasetPath = options.DatasetPath,
                Folds = options.Folds,
                Seed = options.Seed,
                Models = ["svm", "svm-field"],
                Threads = options.Threads,
                ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
                Tile = options.Tile,
                ExtraFeaturesPath = csv,
            },
            new MessageObserver(messages),
            (name, settings) => new DataRecordingTrainer(ModelCatalog.Create(name, settings), fits),
            CancellationToken.None);
        return new Shared(result, rows, fits, messages);
    });

    // Rows keyed by relative path (file names repeat across class folders): 'signal' = (image number + 1)^2, so no two
    // folds share a mean, 'spread' the negated image number; plus a row for an image that does not exist.
    static Dictionary<string, double[]> WriteCsv(string data, string csv)
    {
        var images = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(data, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var rows = images.Where(p => !WithoutRow.Contains(p))
            .Select((p, i) => (Path: p, Values: new[] { (i + 1.0) * (i + 1.0), -i - 0.5 }))
            .ToDictionary(r => r.Path, r => r.Values, StringComparer.Ordinal);
        File.WriteAllLines(csv,
        [
            "path,signal,spread",
            .. rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key},{r.Value[0]:R},{r.Value[1]:R}")),
            "ghost/field_99.png,1,1",
        ]);
        return rows;
    }

    static double[] ExtraOf(TrainingData data, int item) => data.Features!.Rows[item][^2..];

    [Fact]
    public void Should_give_every_tile_the_extra_values_of_its_source_image()
    {
        // Given the tiled benchmark with --features, and what the SVM was handed in each fold
        var (result, rows, fits, _) = Run.Value;
        var tiles = result.Tiling!.Tiles;
        var svm = fits.Where(f => f.Model == "svm").ToList();

        // Then it ran on tiles and decided the images from them
        Assert.Equal(18 * TilesPerField, result.Tiling.TileCount);
        Assert.Equal(18, result.Models.Single(m => m.Name == "svm").Predictions.Count);
        Assert.Equal(TiledFields.Folds, svm.Count);
        Assert.Equal("signal, spread", result.Settings.Extra["extra_features_columns"]);

        // And every tile's feature row ends with its own image's values, the same for all tiles of that image
        foreach (var fit in svm)
        {
            var features = fit.Data.Features!;
            Assert.Equal(tiles.Count, features.Count);
            Assert.Equal([ExtraFeatureJoin.ColumnPrefix + "signal", ExtraFeatureJoin.ColumnPrefix + "spread"], features.Names.TakeLast(2));
            Assert.Equal(FeatureSet.Handcrafted.Names.Count + 2, features.Dimension);
            Assert.Equal(tiles.Select(t => t.Item), fit.Data.Groups!);
            var checkedTiles = 0;
            for (var t = 0; t < tiles.Count; t++)
            {
                if (!rows.TryGetValue(result.Items[tiles[t].Item].Path, out var expected))
                    continue;
                Assert.Equal(expected, ExtraOf(fit.Data, t));
                checkedTiles++;
            }
            Assert.Equal(rows.Count * TilesPerField, checkedTiles);
        }
    }

    [Fact]
    public void Should_impute_tiles_of_images_without_a_row_with_the_mean_of_the_training_folds_tiles_only()
    {
        // Given the folds of the tiled run, each with its training tiles and test tiles
        var (result, rows, fits, _) = Run.Value;
        var tiles = result.Tiling!.Tiles;
        var withoutRow = Enumerable.Range(0, tiles.Count).Where(t => WithoutRow.Contains(result.Items[tiles[t].Item].Path)).ToArray();
        Assert.Equal(WithoutRow.Length * TilesPerField, withoutRow.Length);
        double[] MeanOver(IEnumerable<int> tileIndices)
        {
            var values = tileIndices.Select(t => rows.GetValueOrDefault(result.Items[tiles[t].Item].Path)).OfType<double[]>().ToList();
            return [values.Average(v => v[0]), values.Average(v => v[1])];
        }
        var allTiles = MeanOver(Enumerable.Range(0, tiles.Count));

        foreach (var fit in fits.Where(f => f.Model == "svm"))
        {
            // The mean over this fold's training tiles that have a row, which no test tile's value enters
            var trainingMean = MeanOver(fit.Train);
            Assert.True(Math.Abs(trainingMean[0] - allTiles[0]) > 0.5, $"training mean {trainingMean[0]} too close to the mean of all tiles {allTiles[0]} to tell them apart");

            // Then every tile of an image without a row carries that mean, in training and in prediction
            Assert.All(withoutRow, t => Assert.Equal(trainingMean, ExtraOf(fit.Data, t), (a, b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a))));
            // (the first prediction is the fold's; permutation importance then predicts the same test tiles again)
            var (predictData, predicted) = fit.Predictions[0];
            Assert.All(fit.Predictions, p => Assert.Equal(predicted, p.Indices));
            var testWithoutRow = withoutRow.Intersect(predicted).ToList();
            Assert.All(testWithoutRow, t => Assert.Equal(trainingMean, ExtraOf(predictData, t), (a, b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a))));

            // And the fit counts the imputed training tiles
            var imputedTraining = withoutRow.Intersect(fit.Train).Count();
            Assert.Equal(imputedTraining.ToString(CultureInfo.InvariantCulture), fit.Summary!.Facts["imputed_training_items"]);
        }
        // Every image without a row is tested in one fold and trained on in the others
        Assert.Equal(withoutRow.Order(), fits.Where(f => f.Model == "svm").SelectMany(f => withoutRow.Intersect(f.Predictions[0].Indices)).Order());
    }

    [Fact]
    public void Should_list_unmatched_rows_and_images_without_a_row_once_per_image_not_per_tile()
    {
        var (result, _, _, messages) = Run.Value;

        // The match is counted over images
        Assert.Contains("for 15 of 18 images", result.Settings.Extra["extra_features_matched"], StringComparison.Ordinal);
        Assert.Contains("; 3 imputed with the training fold's mean.", result.Settings.Extra["extra_features_matched"], StringComparison.Ordinal);

        // Each image without a row and the unmatched row are named exactly once in the report's warnings and in the messages
        var warnings = string.Join("\n", result.Dataset.Warnings);
        var printed = string.Join("\n", messages);
        Assert.Contains("warning: extra.csv: 3 image(s) have no row", warnings, StringComparison.Ordinal);
        Assert.Contains("warning: extra.csv: 1 row(s) match no image", warnings, StringComparison.Ordinal);
        foreach (var name in WithoutRow.Append("'ghost/field_99.png'"))
        {
            Assert.Equal(1, Occurrences(warnings, name));
            Assert.Equal(1, Occurrences(printed, name));
        }
        // and no tile is named
        Assert.DoesNotContain("#x", warnings, StringComparison.Ordinal);
        Assert.DoesNotContain("#x", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_leave_the_whole_field_features_of_svm_field_without_extra_columns_as_an_untiled_run_does()
    {
        // svm-field reads the whole-field features, which --features does not extend, tiled or not; so it imputes nothing
        var (_, _, fits, _) = Run.Value;
        var field = fits.Where(f => f.Model == "svm-field").ToList();

        Assert.Equal(TiledFields.Folds, field.Count);
        Assert.All(field, f => Assert.DoesNotContain(f.Data.FieldFeatures!.Names, n => n.StartsWith(ExtraFeatureJoin.ColumnPrefix, StringComparison.Ordinal)));
        Assert.All(field, f => Assert.False(f.Summary!.Facts.ContainsKey("imputed_training_items")));
    }

    [Fact]
    public void Should_change_the_resume_fingerprint_of_a_tiled_run_when_the_features_file_changes()
    {
        // Given a tiled run's options with a features file, fingerprinted
        using var dir = new TempDirectory("tiled-extra-fingerprint");
        var data = dir.Combine("fields");
        TiledFields.Write(data, perClass: 3);
        var csv = dir.File("extra.csv");
        File.WriteAllLines(csv, ["path,signal", "dense/field_00.png,1", "large/field_00.png,2"]);
        var options = new BenchmarkOptions { DatasetPath = data, Folds = 3, Tile = new TileSpec(TiledFields.TileSize, TiledFields.TileSize), ExtraFeaturesPath = csv };
        var dataset = DatasetLoader.Load(data, new DatasetOptions { Folds = 3 });
        var before = RunFingerprint.Compute(options, dataset);

        // When one value of the file changes
        File.WriteAllLines(csv, ["path,signal", "dense/field_00.png,1", "large/field_00.png,3"]);
        var after = RunFingerprint.Compute(options, dataset);

        // Then resuming would be refused, naming the file's hash
        Assert.NotEqual(before.Hash, after.Hash);
        Assert.Contains(after.Differences(before), d => d.StartsWith("extraFeatures: sha256 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_benchmark_on_tiles_with_a_features_file_from_the_command_line()
    {
        // Given generated whole fields, 4 per class, and an export that misses one image and names one that is not there
        using var dir = new TempDirectory("tiled-extra-cli");
        var data = dir.Combine("fields");
        TiledFields.Write(data, perClass: 4);
        var csv = dir.File("export.csv");
        File.WriteAllLines(csv,
        [
            "File;Area_um2",
            .. TiledFields.Classes.SelectMany((c, label) => Enumerable.Range(0, 4)
                .Where(i => (c.Name, i) != ("large", 3))
                .Select(i => string.Create(CultureInfo.InvariantCulture, $"{c.Name}/field_{i:00}.png;{label * 10 + i * 0.1}"))),
            "ghost/field_99.png;1",
        ]);
        var outDir = dir.Combine("report");

        // When the SVM is benchmarked on 32-pixel tiles with the export
        var (code, stdout, stderr) = Run("benchmark", data, "--tile", TiledFields.TileSize.ToString(CultureInfo.InvariantCulture), "--features", csv,
            "--folds", "3", "--grid", "coarse", "--inner-folds", "2", "--threads", "2", "--seed", "5", "--out", outDir);

        // Then it runs to the end, names the image without a row and the unmatched row once, and records the tiling and the column
        Assert.True(code == 0, stderr);
        Assert.Equal(1, Occurrences(stdout, "large/field_03.png"));
        Assert.Equal(1, Occurrences(stdout, "'ghost/field_99.png'"));
        Assert.Contains("for 11 of 12 images", stdout, StringComparison.Ordinal);
        var result = ResultsJson.Read(Path.Combine(outDir, ResultsJsonExporter.FileName));
        Assert.Equal("Area_um2", result.Settings.Extra["extra_features_columns"]);
        Assert.Equal(12 * TilesPerField, result.Tiling!.TileCount);
        Assert.Equal(12, result.Models.Single().Predictions.Count);
        Assert.All(result.Models.Single().Folds, f => Assert.Equal(
            f.Training.Facts["imputed_training_items"],
            result.Items.Any(i => i.Path == "large/field_03.png" && i.Fold != f.Fold) ? TilesPerField.ToString(CultureInfo.InvariantCulture) : "0"));
        Assert.Equal(1 + 12 * TilesPerField, File.ReadAllLines(Path.Combine(outDir, TilePredictionsCsvExporter.FileName)).Length);
        Assert.Contains("extra_features_columns", File.ReadAllText(Path.Combine(outDir, HtmlReportExporter.FileName)), StringComparison.Ordinal);
    }

    static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    sealed record Shared(BenchmarkResult Result, Dictionary<string, double[]> Rows, List<Fit> Fits, List<string> Messages);

    /// <summary>One outer fit: the data and training indices the trainer was handed, and each prediction's data and indices.</summary>
    sealed class Fit(string model, TrainingData data, int[] train)
    {
        public string Model { get; } = model;

        public TrainingData Data { get; } = data;

        public int[] Train { get; } = train;

        public List<(TrainingData Data, int[] Indices)> Predictions { get; } = [];

        public TrainingSummary? Summary { get; set; }
    }

    /// <summary>Wraps a real trainer and keeps the data of every fit and prediction (after the benchmark's imputation).</summary>
    sealed class DataRecordingTrainer(IModelTrainer inner, List<Fit> fits) : IModelTrainer
    {
        public string Name => inner.Name;

        public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
        {
            var fit = new Fit(inner.Name, data, [.. trainIndices]);
            lock (fits)
                fits.Add(fit);
            var model = inner.Train(data, trainIndices, context);
            fit.Summary = model.Summary;
            return new Recorded(model, fit);
        }

        sealed class Recorded(ITrainedModel model, Fit fit) : ITrainedModel
        {
            public TrainingSummary Summary => model.Summary;

            public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
            {
                lock (fit.Predictions)
                    fit.Predictions.Add((data, [.. indices]));
                return model.PredictProbabilities(data, indices);
            }

            public void Dispose() => model.Dispose();
        }
    }
}
