using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Evaluation;

public class BenchmarkExtraFeaturesTests
{
    const int Folds = 3;

    static BenchmarkOptions Options(string data, string? extra) => new()
    {
        DatasetPath = data,
        Folds = Folds,
        Seed = 3,
        Threads = 1,
        ExtraFeaturesPath = extra,
        ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
    };

    [Fact]
    public void Should_feed_the_extra_columns_to_the_svm_impute_images_without_a_row_and_list_what_did_not_match()
    {
        // Given a data set and an export whose 'signal' column follows the class, with two images left out,
        // some rows keyed by file name only, and one row for an image that does not exist
        using var dir = new TempDirectory("extra-bench");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 15);
        var images = Directory.GetDirectories(data).Order(StringComparer.Ordinal)
            .SelectMany((classDir, label) => Directory.GetFiles(classDir, "*.png")
                .Where(f => !f.EndsWith(".mask.png", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Select(f => (Path: Path.GetFileName(classDir) + "/" + Path.GetFileName(f), Label: label)))
            .ToList();
        var left = new[] { images[0].Path, images[^1].Path };
        var random = new Random(7);
        var lines = new List<string> { "path,signal,noise" };
        foreach (var (path, label, i) in images.Select((im, i) => (im.Path, im.Label, i)))
        {
            if (left.Contains(path))
                continue;
            var key = i % 3 == 0 ? path.Split('/')[1] : path;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{key},{label * 10 + random.NextDouble():R},{random.NextDouble():R}"));
        }
        lines.Add("ghost_00099.png,1,1");
        var csv = dir.File("extra.csv");
        File.WriteAllLines(csv, lines);

        // When the SVM is benchmarked without and with the export
        var without = BenchmarkRunner.Run(Options(data, extra: null));
        var messages = new List<string>();
        var with = BenchmarkRunner.Run(Options(data, csv), new MessageObserver(messages));

        // Then the informative column lifts the SVM, and the run records the columns used
        var (before, after) = (without.Models.Single().Aggregate.MacroF1.Mean, with.Models.Single().Aggregate.MacroF1.Mean);
        Assert.True(after > before + 0.15, $"macro-F1 {before} without the extra columns, {after} with them");
        Assert.Equal("signal, noise", with.Settings.Extra["extra_features_columns"]);
        Assert.Contains("for 43 of 45 images", with.Settings.Extra["extra_features_matched"], StringComparison.Ordinal);

        // And each image without a row was imputed in the folds that trained on it, from that fold's training items
        var imputed = with.Models.Single().Folds.Sum(f => int.Parse(f.Training.Facts["imputed_training_items"], CultureInfo.InvariantCulture));
        Assert.Equal(left.Length * (Folds - 1), imputed);

        // And the unmatched row and both images without a row are in the report's warnings and the messages
        Assert.Contains(with.Dataset.Warnings, w => w.Contains("'ghost_00099.png'", StringComparison.Ordinal));
        Assert.Contains(with.Dataset.Warnings, w => w.Contains(left[0], StringComparison.Ordinal) && w.Contains(left[1], StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'ghost_00099.png'", StringComparison.Ordinal));
    }
}
