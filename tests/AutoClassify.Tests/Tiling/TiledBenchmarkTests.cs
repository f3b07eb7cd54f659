using System.Text.RegularExpressions;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Tiling;

/// <summary>A real tiled SVM benchmark (LIBSVM, OpenCV features) on generated whole fields, shared by these tests.</summary>
public class TiledBenchmarkTests
{
    [Fact]
    public void Should_never_train_on_a_tile_of_an_image_whose_tiles_it_is_tested_on()
    {
        // Given the indices the real SVM trainer was handed in each outer fold
        var run = TiledFields.Run;
        var tiles = run.Result.Tiling!.Tiles;
        var outer = run.Trainers.Single().Fits;
        Assert.Equal(TiledFields.Folds, outer.Count);

        foreach (var (train, predicted) in outer)
        {
            // Then the images behind the training tiles and behind the test tiles never meet
            // (the first prediction is the fold's; permutation importance then predicts the same test tiles again)
            var test = predicted[0];
            Assert.All(predicted, p => Assert.Equal(test, p));
            var trainImages = train.Select(t => tiles[t].Item).ToHashSet();
            var testImages = test.Select(t => tiles[t].Item).ToHashSet();
            Assert.Empty(trainImages.Intersect(testImages));
            // and every tile of a test image is tested (the image is whole on its side)
            Assert.Equal(tiles.Count(t => testImages.Contains(t.Item)), test.Length);
            Assert.Equal(tiles.Count, train.Length + test.Length);
        }
        var everyTested = outer.SelectMany(f => f.Predicted[0]).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, tiles.Count), everyTested);
        // The trainer is told each tile's image, so its inner grid-search folds keep images whole too
        Assert.Equal(tiles.Select(t => t.Item), run.Trainers.Single().Groups!);
    }

    [Fact]
    public void Should_assign_image_folds_exactly_as_an_untiled_run_with_the_same_seed()
    {
        var result = TiledFields.Run.Result;
        var labels = result.Items.Select(i => i.Label).ToArray();

        var untiled = StratifiedKFold.Assign(labels, TiledFields.Folds, TiledFields.Seed);

        Assert.Equal(untiled, result.Items.Select(i => i.Fold));
        var tiles = result.Tiling!.Tiles;
        Assert.All(result.Models[0].TileLevel!.Predictions, p => Assert.Equal(result.Items[tiles[p.Item].Item].Fold, p.Fold));
        Assert.Contains("grouped by source image", result.Tiling.Grouping, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_report_image_level_figures_from_tiles_and_classify_density_well_above_chance()
    {
        var result = TiledFields.Run.Result;
        var model = result.Models.Single();

        // 18 fields of 3 x 3 tiles each
        Assert.Equal(18, model.Predictions.Count);
        Assert.Equal(18 * 9, result.Tiling!.TileCount);
        Assert.Equal((9, 9.0, 9), (result.Tiling.TilesPerImageMin, result.Tiling.TilesPerImageMedian, result.Tiling.TilesPerImageMax));
        Assert.Equal(18 * 9, model.TileLevel!.Predictions.Count);
        Assert.Equal(TiledFields.Folds, model.TileLevel.FoldMetrics.Count);
        // Particle density and size separate the classes: both levels far above the 1/3 of chance
        Assert.True(model.TileLevel.Aggregate.Accuracy.Mean > 0.7, $"tile accuracy {model.TileLevel.Aggregate.Accuracy.Mean}");
        Assert.True(model.Aggregate.Accuracy.Mean > 0.8, $"image accuracy {model.Aggregate.Accuracy.Mean}");
        // Each image's probabilities are the mean of its tiles'
        var first = model.Predictions[0];
        var mean = model.TileLevel.Predictions.Where(p => result.Tiling.Tiles[p.Item].Item == 0)
            .Aggregate(new double[3], (sum, p) => sum.Zip(p.Probabilities, (a, b) => a + b / 9).ToArray());
        for (var k = 0; k < 3; k++)
            Assert.Equal(mean[k], first.Probabilities[k], 9);
    }

    [Fact]
    public void Should_write_every_tile_prediction_to_a_csv_beside_the_report()
    {
        using var dir = new TempDirectory("tiled-report");
        var result = TiledFields.Run.Result;

        ReportWriter.WriteAll(result, dir.Path);

        var lines = File.ReadAllLines(dir.File(TilePredictionsCsvExporter.FileName));
        Assert.Equal("model,image_path,tile_x,tile_y,tile_size,fold,true_class,predicted_class,p_dense,p_large,p_sparse", lines[0]);
        Assert.Equal(1 + 18 * 9, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("svm,dense/field_00.png,64,32,32,", StringComparison.Ordinal));
        // results.json round-trips the tiling block
        var back = ResultsJson.Read(dir.File(ResultsJsonExporter.FileName));
        Assert.Equal(result.Tiling!.Tiles.Count, back.Tiling!.Tiles.Count);
        Assert.Equal(result.Models[0].TileLevel!.Aggregate.Accuracy, back.Models[0].TileLevel!.Aggregate.Accuracy);
    }

    [Fact]
    public void Should_show_the_tiling_section_both_levels_and_prediction_maps_in_the_report()
    {
        var result = TiledFields.Run.Result;

        var html = HtmlReport.Render(result);

        Assert.Contains("<section id=\"tiling\">", html, StringComparison.Ordinal);
        Assert.Contains("<table id=\"tiling-levels\"", html, StringComparison.Ordinal);
        Assert.Contains("<table id=\"m0-tile-per-class\"", html, StringComparison.Ordinal);
        Assert.Contains("<table id=\"m0-tile-confusion-norm\"", html, StringComparison.Ordinal);
        Assert.Contains("grouped by source image", html, StringComparison.Ordinal);
        var maps = result.Models[0].TileLevel!.MapItems.Count;
        Assert.InRange(maps, 8, TiledEvaluation.WorstMapped + TiledEvaluation.CorrectMapped);
        Assert.Equal(maps, Regex.Count(html, "<svg class=\"map overlay\""));
        Assert.Equal(maps, Regex.Count(html, "<svg class=\"map heat\""));
        Assert.Equal(maps, Regex.Count(html, "<image href=\"data:image/png;base64,"));
        // Confident cells are tinted in their class's colour (first class blue), hatched in its pattern and outlined
        Assert.Contains("fill=\"#0072b2\" fill-opacity=\"0.4\"", html, StringComparison.Ordinal);
        Assert.Contains("fill=\"url(#m0-map-", html, StringComparison.Ordinal);
        Assert.Contains("fill=\"none\" stroke=\"#0072b2\"", html, StringComparison.Ordinal);
        Assert.True(html.Length < 2_000_000, $"report is {html.Length} characters");
    }

    [Fact]
    public void Should_leave_untiled_results_without_tiling_fields()
    {
        var json = ResultsJson.Serialize(Reporting.ReportFixtures.Create());

        Assert.DoesNotContain("tiling", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("tileLevel", json, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"tiling\"", HtmlReport.Render(Reporting.ReportFixtures.Create()), StringComparison.Ordinal);
    }
}
