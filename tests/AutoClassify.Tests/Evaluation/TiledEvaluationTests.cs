using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Preprocessing;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Evaluation;

public class TiledEvaluationTests
{
    // Four 96x32 images, three 32-px tiles each; images 0 and 1 are class 0, images 2 and 3 class 1.
    static TiledData FourImages()
    {
        var items = Enumerable.Range(0, 4).Select(i => new DatasetItem($"c{i / 2}/img{i}.png", $"/d/c{i / 2}/img{i}.png", i / 2, null, 96, 32)).ToList();
        var dataset = new LabeledDataset { Root = "/d", ClassNames = ["c0", "c1"], Items = items, Skipped = [], Warnings = [] };
        var prepared = items.Select(_ => new PreparedImage(new GrayImage(96, 32), null)).ToArray();
        return TiledData.Expand(dataset, prepared, new TileSpec(32, 32));
    }

    // Image 0's tiles: one confident class-0 tile outweighs two lukewarm class-1 tiles in the mean but not in the vote.
    static readonly double[][] TileProbabilities =
    [
        [0.9, 0.1], [0.4, 0.6], [0.45, 0.55],
        [0.8, 0.2], [0.7, 0.3], [0.6, 0.4],
        [0.2, 0.8], [0.3, 0.7], [0.1, 0.9],
        [0.6, 0.4], [0.3, 0.7], [0.4, 0.6],
    ];

    static ModelResult TileResult(TiledData tiled, int[] imageFolds)
    {
        var tileFolds = tiled.TileFolds(imageFolds);
        var builder = new ModelResultBuilder("svm", tiled.Tiles.Labels, 2);
        foreach (var fold in tileFolds.Distinct().Order())
        {
            var test = StratifiedKFold.Split(tileFolds, fold).Test;
            builder.AddFold(fold, test, test.Select(t => TileProbabilities[t]).ToArray(), new TrainingSummary());
        }
        return builder.Build();
    }

    [Fact]
    public void Should_average_tile_probabilities_per_image_with_mean()
    {
        // Given tile predictions over two grouped folds
        var tiled = FourImages();
        var tiles = TileResult(tiled, [0, 1, 0, 1]);

        // When
        var images = TiledEvaluation.ToImageLevel(tiles, tiled, TileAggregation.Mean);

        // Then each image's row is the mean of its three tiles, and image 0 is called class 0
        Assert.Equal(4, images.Predictions.Count);
        var expected = new[] { new[] { 1.75 / 3, 1.25 / 3 }, [2.1 / 3, 0.9 / 3], [0.6 / 3, 2.4 / 3], [1.3 / 3, 1.7 / 3] };
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(i, images.Predictions[i].Item);
            Assert.Equal(expected[i][0], images.Predictions[i].Probabilities[0], 12);
            Assert.Equal(expected[i][1], images.Predictions[i].Probabilities[1], 12);
        }
        Assert.Equal([0, 0, 1, 1], images.Predictions.Select(p => p.PredictedLabel));
        Assert.Equal(1.0, images.Aggregate.Accuracy.Mean);
        Assert.Equal([0, 1, 0, 1], images.Predictions.Select(p => p.Fold));
        // The tile level keeps the tiles' own figures: 9 of 12 tiles are right (tiles 1, 2 and 9 are not)
        Assert.Equal(12, images.TileLevel!.Predictions.Count);
        Assert.Equal(9, images.TileLevel.Aggregate.ConfusionSum.Select((row, t) => row[t]).Sum());
        Assert.StartsWith("mean of the image's tile probabilities", images.DecisionRule, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_share_out_tile_votes_per_image_with_majority_vote()
    {
        var tiled = FourImages();
        var tiles = TileResult(tiled, [0, 1, 0, 1]);

        var images = TiledEvaluation.ToImageLevel(tiles, tiled, TileAggregation.MajorityVote);

        // Image 0: one tile votes class 0, two vote class 1, so the vote overturns the mean's decision
        Assert.Equal([1.0 / 3, 2.0 / 3], images.Predictions[0].Probabilities);
        Assert.Equal([1.0, 0.0], images.Predictions[1].Probabilities);
        Assert.Equal([0.0, 1.0], images.Predictions[2].Probabilities);
        Assert.Equal([1.0 / 3, 2.0 / 3], images.Predictions[3].Probabilities);
        Assert.Equal([1, 0, 1, 1], images.Predictions.Select(p => p.PredictedLabel));
        Assert.Equal(0.75, images.Predictions.Count(p => p.PredictedLabel == p.TrueLabel) / 4.0);
    }

    [Fact]
    public void Should_refuse_tiles_of_one_image_tested_in_different_folds()
    {
        // Given tile folds that split image 0 (tiles 0-2) across folds 0 and 1
        var tiled = FourImages();
        int[] tileFolds = [0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1];
        var builder = new ModelResultBuilder("svm", tiled.Tiles.Labels, 2);
        foreach (var fold in new[] { 0, 1 })
        {
            var test = StratifiedKFold.Split(tileFolds, fold).Test;
            builder.AddFold(fold, test, test.Select(t => TileProbabilities[t]).ToArray(), new TrainingSummary());
        }

        var error = Assert.Throws<InvalidOperationException>(() => TiledEvaluation.ToImageLevel(builder.Build(), tiled, TileAggregation.Mean));

        Assert.Contains("'c0/img0.png'", error.Message, StringComparison.Ordinal);
        Assert.Contains("fold 1, fold 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_map_the_worst_images_first_then_the_most_confident_correct_one_per_class()
    {
        var tiled = FourImages();
        var images = TiledEvaluation.ToImageLevel(TileResult(tiled, [0, 1, 0, 1]), tiled, TileAggregation.Mean);

        // p(true): image 0 0.583, 1 0.7, 2 0.8, 3 0.567; fewer images than the worst cap, so all are "worst"
        Assert.Equal([3, 0, 1, 2], images.TileLevel!.MapItems);
        var many = Enumerable.Range(0, 12).Select(i => new Prediction
        {
            Item = i,
            TrueLabel = i % 2,
            PredictedLabel = i % 2,
            Probabilities = i % 2 == 0 ? [0.5 + i / 100.0, 0.5 - i / 100.0] : [0.5 - i / 100.0, 0.5 + i / 100.0],
        }).ToList();
        var chosen = TiledEvaluation.ChooseMapItems(many, 2);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 10, 11], chosen);
    }
}
