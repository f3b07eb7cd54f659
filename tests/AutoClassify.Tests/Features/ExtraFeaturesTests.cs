using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Tests.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Features;

public class ExtraFeaturesTests
{
    static readonly string[] Images = ["a/x_1.png", "a/x_2.png", "b/x_1.png", "b/y_3.png", "b/sub/z_4.png"];

    [Fact]
    public void Should_read_numeric_columns_and_leave_out_the_key_and_label_columns()
    {
        // Given an export with a file column, a class column and two measurements, separated by semicolons
        using var dir = new TempDirectory("extra");
        var path = dir.File("extra.csv");
        File.WriteAllText(path, "Class;File;Diameter_um;Mean Intensity\nA;a/x_1.png;1.5;120\nB;y_3.png;-2e-3; 80 \n");

        // When it is read
        var table = ExtraFeatureTable.Read(path);

        // Then the file column is the key, the class column is left out and the numbers parse invariantly
        Assert.Equal("File", table.KeyColumn);
        Assert.Equal(["Diameter_um", "Mean Intensity"], table.Columns);
        Assert.Equal(["Class"], table.IgnoredColumns);
        Assert.Equal([1.5, 120], table.Rows[0].Values);
        Assert.Equal([-2e-3, 80], table.Rows[1].Values);
        Assert.Equal(3, table.Rows[1].Line);
    }

    [Fact]
    public void Should_name_the_file_line_and_column_of_every_bad_cell_at_once()
    {
        // Given cells that are empty, text, a decimal comma and infinite
        using var dir = new TempDirectory("extra");
        var path = dir.File("bad.csv");
        File.WriteAllText(path, "path;area;circ\na/x_1.png;;0.5\na/x_2.png;n/a;0.5\nb/x_1.png;1,5;Infinity\n");

        // When it is read
        var error = Assert.Throws<FormatException>(() => ExtraFeatureTable.Read(path));

        // Then one error lists all four problems with their place
        Assert.Contains("bad.csv", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 problem(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 2, column 'area': empty cell", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3, column 'area': 'n/a' is not a number", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 4, column 'area': '1,5' is not a number (decimal commas", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 4, column 'circ': 'Infinity' is not a finite number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_report_a_text_column_once_instead_of_every_cell()
    {
        // Given an export with a date column beside a measurement
        using var dir = new TempDirectory("extra");
        var path = dir.File("export.csv");
        File.WriteAllText(path, "file,date,area\nx_2.png,2026-01-02,1\ny_3.png,2026-01-03,2\nz_4.png,2026-01-04,3\n");

        // When it is read
        var error = Assert.Throws<FormatException>(() => ExtraFeatureTable.Read(path));

        // Then the column is named once, with an example
        Assert.Contains("1 problem(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("column 'date' holds no number (line 2: '2026-01-02' is not a number)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_match_by_relative_path_then_file_name_and_list_what_did_not_match()
    {
        // Given rows by path, by unique file name, by an ambiguous file name, by a Windows path, and for no image
        using var dir = new TempDirectory("extra");
        var path = dir.File("extra.csv");
        File.WriteAllText(path, string.Join('\n',
            "image,area",
            "a/x_2.png,2",
            "y_3.png,3",
            "x_1.png,1",
            @".\b\sub\z_4.png,4",
            "ghost.png,9",
            ""));

        // When it is matched to the images
        var join = ExtraFeatureTable.Read(path).Match(Images);

        // Then each row lands on its image, and the ambiguous and unknown rows and the images left without a row are listed
        Assert.Equal([2.0], join.ValuesOf(1));
        Assert.Equal([3.0], join.ValuesOf(3));
        Assert.Equal([4.0], join.ValuesOf(4));
        Assert.Equal((2, 1), (join.MatchedByPath, join.MatchedByName));
        Assert.Equal(["a/x_1.png", "b/x_1.png"], join.AmbiguousRows.Single().Candidates);
        Assert.Equal("ghost.png", join.UnmatchedRows.Single().Key);
        Assert.Equal(["a/x_1.png", "b/x_1.png"], join.ImagesWithoutRow);
        var warnings = join.Warnings();
        Assert.Contains(warnings, w => w.Contains("line 6 'ghost.png'", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("line 4 'x_1.png' is ambiguous", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("2 image(s) have no row", StringComparison.Ordinal) && w.Contains("b/x_1.png", StringComparison.Ordinal));

        // And the appended matrix holds NaN exactly where an image has no row
        var joined = join.AppendTo(new FeatureMatrix(["f"], Images.Select((_, i) => new[] { (double)i }).ToArray()));
        Assert.Equal(["f", "extra:area"], joined.Names);
        Assert.True(double.IsNaN(joined.Rows[0][1]));
        Assert.Equal([3.0, 3.0], joined.Rows[3]);
    }

    [Fact]
    public void Should_give_every_part_of_an_image_that_images_values_when_rows_are_mapped_to_images()
    {
        // Given a file with rows for two of the five images
        using var dir = new TempDirectory("extra");
        var path = dir.File("extra.csv");
        File.WriteAllText(path, "path,area,depth\na/x_2.png,2,20\nb/y_3.png,3,30\n");
        var join = ExtraFeatureTable.Read(path).Match(Images);

        // When a matrix of tiles (two of image 1, one of image 2, three of image 3) gets the extra columns
        int[] imageOf = [1, 1, 2, 3, 3, 3];
        var tiles = new FeatureMatrix(["f"], imageOf.Select((_, t) => new[] { (double)t }).ToArray());
        var joined = join.AppendTo(tiles, imageOf);

        // Then every tile keeps its own features and carries its image's row, or NaN where its image has none
        Assert.Equal(["f", "extra:area", "extra:depth"], joined.Names);
        Assert.Equal([0.0, 2, 20], joined.Rows[0]);
        Assert.Equal([1.0, 2, 20], joined.Rows[1]);
        Assert.True(joined.Rows[2][1..].All(double.IsNaN));
        Assert.All(Enumerable.Range(3, 3), t => Assert.Equal([t, 3, 30], joined.Rows[t]));

        // And a mapping that does not fit the matrix or the images is refused, naming the file
        var count = Assert.Throws<ArgumentException>(() => join.AppendTo(tiles, imageOf[..5]));
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => join.AppendTo(tiles, [1, 1, 2, 3, 3, 5]));
        Assert.Contains("extra.csv: the feature matrix has 6 rows, but 5 are mapped to an image", count.Message, StringComparison.Ordinal);
        Assert.Contains("extra.csv: row 5 of the feature matrix names image 5, but the file was matched to 5 images", range.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_two_rows_for_one_image_and_a_file_that_matches_nothing()
    {
        using var dir = new TempDirectory("extra");
        var twice = dir.File("twice.csv");
        File.WriteAllText(twice, "path,area\nb/y_3.png,1\ny_3.png,2\n");
        var none = dir.File("none.csv");
        File.WriteAllText(none, "path,area\nc/q.png,1\n");

        var duplicate = Assert.Throws<FormatException>(() => ExtraFeatureTable.Read(twice).Match(Images));
        var nothing = Assert.Throws<FormatException>(() => ExtraFeatureTable.Read(none).Match(Images));

        Assert.Contains("b/y_3.png: lines 2, 3", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("No row", nothing.Message, StringComparison.Ordinal);
        Assert.Contains("'c/q.png'", nothing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_read_back_the_feature_csv_that_the_features_command_writes()
    {
        // Given a feature export (path, class, features) of three images
        using var dir = new TempDirectory("extra");
        var path = dir.File("features.csv");
        var matrix = new FeatureMatrix(["area", "perimeter"], [[1.25, 3], [0.1 + 0.2, 4], [1e-300, 5]]);
        FeatureCsv.Write(path, matrix, ["a/x_1.png", "a/x_2.png", "b/y_3.png"], ["a", "a", "b"]);

        // When it is joined as extra features
        var join = ExtraFeatureTable.Read(path).Match(Images);

        // Then the class column is left out and every value round-trips exactly
        Assert.Equal(["area", "perimeter"], join.Table.Columns);
        Assert.Equal([0.1 + 0.2, 4], join.ValuesOf(1));
        Assert.Equal([1e-300, 5], join.ValuesOf(3));
        Assert.Equal(3, join.MatchedByPath);
    }

    [Fact]
    public void Should_impute_missing_values_from_the_training_items_only()
    {
        // Given a feature whose value is missing for one training and one test item, and a huge value on a test item
        var features = new FeatureMatrix(["f", "extra:g"],
        [
            [0, 1], [1, 3], [2, double.NaN], [3, 1000], [4, double.NaN],
        ]);
        var data = new TrainingData { ClassNames = ["a", "b"], Labels = [0, 1, 0, 1, 0], Features = features };
        var inner = new RecordingTrainer();
        var trainer = new MeanImputingTrainer(inner);

        // When it trains on items 0-2 and predicts items 3-4
        using var model = trainer.Train(data, [0, 1, 2], new TrainingContext { Seed = 1 });
        model.PredictProbabilities(data, [3, 4]);

        // Then both missing values are the training mean (1 + 3) / 2, untouched by the test item's 1000
        Assert.Equal("svm", trainer.Name);
        Assert.Equal(2.0, inner.Seen[0].Rows[2][1]);
        Assert.Equal(2.0, inner.Seen[1].Rows[4][1]);
        Assert.Equal(1000.0, inner.Seen[1].Rows[3][1]);
        Assert.Equal("1", model.Summary.Facts["imputed_training_items"]);
        Assert.Same(features.Rows[0], inner.Seen[0].Rows[0]);
    }

    // Records the feature matrices a model is given; the imputation under test needs no real learner.
    sealed class RecordingTrainer : IModelTrainer
    {
        public List<FeatureMatrix> Seen { get; } = [];

        public string Name => "svm";

        public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
        {
            Seen.Add(data.Features!);
            return new Model(this);
        }

        sealed class Model(RecordingTrainer owner) : ITrainedModel
        {
            public TrainingSummary Summary { get; } = new();

            public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices)
            {
                owner.Seen.Add(data.Features!);
                return indices.Select(_ => new[] { 0.5, 0.5 }).ToArray();
            }

            public void Dispose()
            {
            }
        }
    }

    [Fact]
    public void Should_read_numbers_the_same_under_any_culture()
    {
        // Given a German culture, where "1.5" would not be one and a half
        using var culture = new CultureScope("de-DE");
        using var dir = new TempDirectory("extra");
        var path = dir.File("extra.csv");
        File.WriteAllText(path, "path,area\na/x_1.png,1.5\n");

        // When it is read, 1.5 is still one and a half
        Assert.Equal([1.5], ExtraFeatureTable.Read(path).Rows[0].Values);
    }
}
