using System.Globalization;
using AutoClassify.IO;
using AutoClassify.Models;
using AutoClassify.Tiling;

namespace AutoClassify.Evaluation;

/// <summary>
/// Turns a cross-validation on tiles into image-level results: each test image's tile probabilities are
/// aggregated (mean or majority vote) into one row, scored with the same metrics, and the tile-level figures are
/// kept alongside. Also picks the images the report maps.
/// </summary>
public static class TiledEvaluation
{
    /// <summary>Most images mapped per model among the worst-classified (lowest probability of the true class).</summary>
    public const int WorstMapped = 8;

    /// <summary>Most correctly classified images mapped per model (the most confident one of each class, in class order).</summary>
    public const int CorrectMapped = 6;

    /// <summary>
    /// The image-level result of a model cross-validated on the tiles of <paramref name="tiles"/>: per fold, the
    /// images whose tiles were tested, each with its tiles' probabilities aggregated by <paramref name="aggregation"/>.
    /// The tile-level figures and predictions go into <see cref="ModelResult.TileLevel"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">An image's tiles were tested in different folds, or some were never tested.</exception>
    public static ModelResult ToImageLevel(ModelResult tileResult, TiledData tiles, TileAggregation aggregation)
    {
        ArgumentNullException.ThrowIfNull(tileResult);
        ArgumentNullException.ThrowIfNull(tiles);
        var classCount = tiles.Source.ClassNames.Count;
        var byTile = new Prediction?[tiles.TileCount];
        foreach (var p in tileResult.Predictions)
        {
            if ((uint)p.Item >= (uint)tiles.TileCount)
                throw new ArgumentException($"Model '{tileResult.Name}' has a prediction for tile {p.Item}, but there are {tiles.TileCount} tiles.", nameof(tileResult));
            byTile[p.Item] = p;
        }

        var imagesByFold = new SortedDictionary<int, (List<int> Images, List<double[]> Rows)>();
        for (var image = 0; image < tiles.ImageCount; image++)
        {
            var (first, count) = tiles.TilesOf(image);
            var predictions = Enumerable.Range(first, count).Select(t => byTile[t]).ToList();
            if (predictions.All(p => p is null))
                continue;
            var folds = predictions.Select(p => p?.Fold).Distinct().ToList();
            if (folds.Count != 1 || folds[0] is not { } fold)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Model '{tileResult.Name}': the tiles of image '{tiles.Source.Items[image].RelativePath}' were tested in {string.Join(", ", folds.Select(f => f is { } v ? $"fold {v + 1}" : "no fold"))}; tiled folds must keep every image's tiles together."));
            }
            var (width, height) = tiles.ImageSizes[image];
            var map = new PredictionMap(width, height, tiles.Rects.Skip(first).Take(count).ToList(), predictions.Select(p => p!.Probabilities).ToArray());
            if (!imagesByFold.TryGetValue(fold, out var bucket))
                imagesByFold[fold] = bucket = ([], []);
            bucket.Images.Add(image);
            bucket.Rows.Add(map.Aggregate(aggregation));
        }

        var builder = new ModelResultBuilder(tileResult.Name, tiles.Source.Labels, classCount);
        foreach (var (fold, (images, rows)) in imagesByFold)
        {
            var training = tileResult.Folds.FirstOrDefault(f => f.Fold == fold)?.Training ?? new TrainingSummary();
            builder.AddFold(fold, images, rows, training);
        }
        var result = builder.Build();
        result.DecisionRule = DecisionRule(aggregation);
        result.TileLevel = new TileLevelResult
        {
            FoldMetrics = tileResult.Folds.Select(f => f.Metrics).ToList(),
            Aggregate = tileResult.Aggregate,
            Predictions = tileResult.Predictions,
        };
        result.TileLevel.MapItems = ChooseMapItems(result.Predictions, classCount);
        return result;
    }

    /// <summary>How an image's class is decided from its tiles, for the report.</summary>
    public static string DecisionRule(TileAggregation aggregation) => aggregation switch
    {
        TileAggregation.Mean => "mean of the image's tile probabilities, then " + ModelResultBuilder.DecisionRuleDescription,
        TileAggregation.MajorityVote => "each tile votes for its most probable class and the image's probabilities are the vote shares, then " + ModelResultBuilder.DecisionRuleDescription,
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown tile aggregation."),
    };

    /// <summary>
    /// The images worth mapping: up to <see cref="WorstMapped"/> with the lowest probability of their true class
    /// (ties by index), then the most confident correct image of each class, up to <see cref="CorrectMapped"/>.
    /// </summary>
    public static List<int> ChooseMapItems(IReadOnlyList<Prediction> imagePredictions, int classCount)
    {
        ArgumentNullException.ThrowIfNull(imagePredictions);
        var chosen = imagePredictions
            .OrderBy(p => p.Probabilities[p.TrueLabel])
            .ThenBy(p => p.Item)
            .Take(WorstMapped)
            .Select(p => p.Item)
            .ToList();
        for (var k = 0; k < classCount && chosen.Count < WorstMapped + CorrectMapped; k++)
        {
            var best = imagePredictions
                .Where(p => p.TrueLabel == k && p.PredictedLabel == k && !chosen.Contains(p.Item))
                .OrderByDescending(p => p.Probabilities[k])
                .ThenBy(p => p.Item)
                .FirstOrDefault();
            if (best is not null)
                chosen.Add(best.Item);
        }
        return chosen;
    }

    /// <summary>
    /// The tiling block of a result: layout, tiles, the grouping statement, and thumbnails of every image some
    /// model maps (reassembled from the tiles, so they show exactly the pixels the models saw).
    /// </summary>
    public static TilingSummary Summarise(TiledData tiles, TileAggregation aggregation, double mapThreshold, int folds, int seed,
        IReadOnlyList<ModelResult> models)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentNullException.ThrowIfNull(models);
        var perImage = Enumerable.Range(0, tiles.ImageCount).Select(i => tiles.TilesOf(i).Count).Order().ToArray();
        var summary = new TilingSummary
        {
            Size = tiles.Spec.Size,
            Stride = tiles.Spec.Stride,
            Aggregation = aggregation.ToName(),
            MapThreshold = mapThreshold,
            TileCount = tiles.TileCount,
            TilesPerImageMin = perImage.Length == 0 ? 0 : perImage[0],
            TilesPerImageMax = perImage.Length == 0 ? 0 : perImage[^1],
            TilesPerImageMedian = perImage.Length == 0 ? 0 : OrderStatistics.Median(Array.ConvertAll(perImage, n => (double)n)),
            Grouping = GroupingStatement(folds, seed),
            Tiles = tiles.Rects.Select((r, t) => new TileRecord { Item = tiles.SourceImage[t], X = r.X, Y = r.Y }).ToList(),
        };
        var mapped = models.SelectMany(m => m.TileLevel?.MapItems ?? []).Distinct().Order().ToList();
        foreach (var item in mapped)
        {
            var (width, height) = tiles.ImageSizes[item];
            summary.MapImages.Add(new MapImage
            {
                Item = item,
                Width = width,
                Height = height,
                ThumbnailPng = BannerSummaryBuilder.Thumbnail(tiles.Reassemble(item)),
            });
        }
        return summary;
    }

    /// <summary>The sentence the report prints about fold grouping.</summary>
    public static string GroupingStatement(int folds, int seed) => string.Create(CultureInfo.InvariantCulture,
        $"Folds are stratified by class and grouped by source image: the {folds} folds are assigned to whole images (stratified k-fold over the image labels, seed {seed}) and every tile takes its image's fold, so no image contributes tiles to both the training and the test side of any fold. The image-level folds are the same as an untiled run's with the same seed.");
}
