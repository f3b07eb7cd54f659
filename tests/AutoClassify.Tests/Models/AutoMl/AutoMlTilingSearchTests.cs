using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Svm;
using AutoClassify.Tiling;

namespace AutoClassify.Tests.Models.AutoMl;

/// <summary>Tiles as a representation of the search: sizes from the image size, the probe rule, and grouping by image.</summary>
public class AutoMlTilingSearchTests
{
    static readonly AutoMlSearchSpace FeaturesOnly = AutoMlTestData.SmallSpace with { ImageFamilies = [] };

    static string Board(AutoMlModel model, IEnumerable<string>? log = null) =>
        string.Join("\n", (log ?? []).Concat(model.Summary.Trials.Select(t =>
            $"{t.Trial} {t.Family} on {t.Representation} {t.Stage} {t.FormatSettings()} {t.ValidationMacroF1} {t.Note}")));

    [Theory]
    [InlineData(440, new[] { 208, 96 })]
    [InlineData(128, new[] { 64 })]
    [InlineData(96, new[] { 48 })]
    [InlineData(64, new int[0])]
    public void Should_choose_tile_sizes_from_the_smallest_side_and_none_for_small_crops(int side, int[] expected)
    {
        Assert.Equal(expected, AutoMlTiling.Sizes(side));
    }

    [Fact]
    public void Should_choose_tiles_when_the_class_shows_only_in_local_patches_of_few_images()
    {
        // Given 8 patchy and 8 even fields: the same particles per field, crowded into one half or spread evenly
        var data = TiledSearchFields.Patchy(perClass: 8);
        var options = new AutoMlOptions { TimeBudget = null, Space = FeaturesOnly };
        var log = new List<string>();

        // When the search runs on all of them
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, SvmTestData.All(data), AutoMlTestData.Context(log: log.Add));

        // Then the field features and 64-px tiles were probed, tiles won clearly, the winner is an SVM on tile features
        // that predicts whole images, and the log and the choice say so
        var board = Board(model, log);
        var trials = model.Summary.Trials;
        Assert.Equal(["field features", "tiles 64 px"], trials.Where(t => t.Stage == "probe").Select(t => t.Representation));
        Assert.Equal("tiles 64 px", model.WinningTrial.Representation);
        Assert.Equal("svm-field", model.WinnerKind);
        var tiled = Assert.IsType<TiledModel>(model.Winner);
        Assert.Equal(new TileSpec(64, 64), tiled.Spec);
        var tiles = trials.Where(t => t.Representation == "tiles 64 px").Max(t => t.ValidationMacroF1)!.Value;
        var field = trials.Where(t => t.Representation == "field features").Max(t => t.ValidationMacroF1)!.Value;
        Assert.True(tiles >= 0.9 && tiles - field >= 0.2, board);
        Assert.Contains(log, l => l.StartsWith("auto: tiling at 64 px (from the smallest training image's shorter side, 128 px: half of it)", StringComparison.Ordinal));
        Assert.StartsWith("Chose svm-", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
        Assert.Contains("on tiles 64 px", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
        Assert.Contains("field features (svm-", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
        Assert.Contains("measuring tiles 64 px:", model.Summary.Facts["automl_time_by_pipeline"], StringComparison.Ordinal);

        // And new fields, never seen, are classified as well
        var fresh = TiledSearchFields.Patchy(perClass: 6, seed: 500);
        var probabilities = model.PredictProbabilities(fresh, SvmTestData.All(fresh));
        var accuracy = probabilities.Select((p, i) => SvmModel.ArgMax(p) == fresh.Labels[i] ? 1.0 : 0.0).Average();
        Assert.True(accuracy >= 0.9, $"accuracy on new fields {accuracy:F3}\n{board}");
    }

    [Fact]
    public void Should_drop_tiles_after_their_probe_when_only_the_whole_field_shows_the_class()
    {
        // Given fields whose particles sit on the field's edges or on its centre lines, so every tile looks alike
        var data = TiledSearchFields.Rims(perClass: 8);
        var options = new AutoMlOptions { TimeBudget = null, Space = FeaturesOnly };
        var log = new List<string>();

        // When
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, SvmTestData.All(data), AutoMlTestData.Context(log: log.Add));

        // Then the tiles got their probe only, the whole-field features won, and the choice says how tiling compared
        var board = Board(model, log);
        var probe = Assert.Single(model.Summary.Trials, t => t.Representation == "tiles 64 px");
        Assert.Equal("probe", probe.Stage);
        Assert.Equal("field features", model.WinningTrial.Representation);
        Assert.IsNotType<TiledModel>(model.Winner);
        Assert.True(model.WinningTrial.ValidationMacroF1 >= 0.9 && probe.ValidationMacroF1 <= model.WinningTrial.ValidationMacroF1 - 0.2, board);
        Assert.Contains("searching field features only", model.Summary.Facts["automl_notes"], StringComparison.Ordinal);
        Assert.Contains("tiling at 64 px (svm-rbf) scored", model.Summary.Facts["automl_choice"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_every_source_image_s_tiles_on_one_side_of_every_inner_split()
    {
        // Given patchy fields, and an audit of every index list the search fits and predicts on
        var data = TiledSearchFields.Patchy(perClass: 6);
        var (train, _) = AutoMlTestData.OuterFold(data, folds: 3);
        var events = new List<AutoMlDataAccess>();
        var options = new AutoMlOptions { TimeBudget = null, MaxTrials = 6, Space = FeaturesOnly with { ProbeMargin = 1 }, Audit = events.Add };

        // When
        using var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, train, AutoMlTestData.Context());

        // Then every tiled fit learned from tiles of its own fit images only, all of them training-fold images, and
        // none of those images is among the ones its model then predicted
        var tiledFits = 0;
        for (var e = 0; e < events.Count; e++)
        {
            if (events[e].Purpose != "fit tiles")
                continue;
            tiledFits++;
            var sources = events[e].Items.ToHashSet();
            var fit = events.Take(e).Last(a => a.Purpose is "fit" or "refit" or "probe").Items;
            Assert.Subset(fit.ToHashSet(), sources);
            Assert.Subset(train.ToHashSet(), sources);
            if (events.Skip(e + 1).FirstOrDefault(a => a.Purpose is "predict" or "fit" or "refit") is { Purpose: "predict" } predicted)
                Assert.Empty(sources.Intersect(predicted.Items));
        }
        Assert.True(tiledFits >= 3, $"{tiledFits} tiled fits");
    }

    [Fact]
    public void Should_group_tiles_by_their_source_image_for_a_learner_s_own_inner_folds()
    {
        // Given the 64-px tiles of 12 fields, at most 3 of each image drawn
        var data = TiledSearchFields.Patchy(perClass: 6);
        var images = SvmTestData.All(data);
        var (tiles, source) = TileFeatures.For(data, new TileSpec(64, 64)).Training(images, tilesPerImage: 3, seed: 1, threads: 2, CancellationToken.None);

        // When a learner splits them into grouped folds, as the catalog learners' own tuning does
        var folds = GroupedFolds.Assign(tiles.Labels, tiles.Groups!, 3, seed: 2);

        // Then each image gave 3 tiles with its label and its own group, and no image has tiles in two folds
        Assert.Equal(images.Length * 3, source.Length);
        Assert.Equal(source, tiles.Groups);
        Assert.All(Enumerable.Range(0, source.Length), t => Assert.Equal(data.Labels[source[t]], tiles.Labels[t]));
        Assert.All(source.Select((image, t) => (image, folds[t])).GroupBy(x => x.image), g => Assert.Single(g.Select(x => x.Item2).Distinct()));
        Assert.Equal(new TileSpec(64, 64), tiles.ItemTile);
    }

    [Fact]
    public void Should_not_tile_crops_too_small_for_four_tiles_or_items_that_are_tiles_already()
    {
        // Given 64-px fields, and the same fields marked as tiles of a --tile run
        var small = TiledSearchFields.Patchy(perClass: 4);
        var crops = new TrainingData
        {
            ClassNames = small.ClassNames,
            Labels = small.Labels,
            FieldFeatures = small.FieldFeatures,
            Images = small.Images!.Select(i => i.Crop(32, 32, 32, 32)).ToList(),
        };
        var tiles = TiledSearchFields.Patchy(perClass: 4);
        tiles.ItemTile = new TileSpec(128, 128);
        var options = new AutoMlOptions { TimeBudget = null, MaxTrials = 2, Space = FeaturesOnly };

        // When the search runs on each
        var (cropLog, tileLog) = (new List<string>(), new List<string>());
        using (new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(crops, SvmTestData.All(crops), AutoMlTestData.Context(log: cropLog.Add)))
        using (new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(tiles, SvmTestData.All(tiles), AutoMlTestData.Context(log: tileLog.Add)))
        {
        }

        // Then neither tried a tiled pipeline, and the log says why
        Assert.Contains("auto: no tiling: the smallest training image is 64x64 px, too small for 2 × 2 tiles of at least 48 px", cropLog);
        Assert.Contains("auto: the items are tiles of 128 px already (--tile), so no tiling is tried", tileLog);
        Assert.DoesNotContain(cropLog.Concat(tileLog), l => l.Contains("tiles 64 px", StringComparison.Ordinal));
    }
}
