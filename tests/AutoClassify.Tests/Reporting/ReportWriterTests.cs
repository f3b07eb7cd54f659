using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

public class ReportWriterTests
{
    [Fact]
    public void Should_write_results_json_predictions_csv_folds_csv_and_index_html_and_nothing_else()
    {
        // Given
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "report");

        // When
        ReportWriter.WriteAll(ReportFixtures.Create(), outDir);

        // Then
        Assert.Equal(["folds.csv", "index.html", "methods.md", "predictions.csv", "results.json"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(Path.Combine(outDir, "index.html")), StringComparison.Ordinal);
        Assert.Equal(["attention figures", "csv", "figures", "folds", "html", "json", "methods", "tile-csv"], ReportExporters.Default.Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_round_trip_results_json_including_nan_and_training_summaries()
    {
        // Given a result with an undefined figure and CNN curves
        var result = ReportFixtures.Create();
        using var dir = new TempDirectory();

        // When
        new ResultsJsonExporter().Export(result, dir.Path);
        var text = File.ReadAllText(dir.File(ResultsJsonExporter.FileName));
        var back = ResultsJson.Read(dir.File(ResultsJsonExporter.FileName));

        // Then
        Assert.Equal(text.TrimEnd('\n'), ResultsJson.Serialize(back));
        Assert.Contains("\"sd\": \"NaN\"", ResultsJson.Serialize(SingleFold()), StringComparison.Ordinal);
        var cnnFold = back.Models[1].Folds[2].Training;
        Assert.Equal("11", cnnFold.Facts["best_epoch"]);
        Assert.Equal(result.Models[1].Folds[2].Training.Curves["val_loss"], cnnFold.Curves["val_loss"]);
        Assert.Equal(TimeSpan.FromSeconds(115), cnnFold.TrainingTime);
        Assert.Equal(result.Settings.Crop, back.Settings.Crop);
        Assert.Equal(result.Models[0].Aggregate.ConfusionSum, back.Models[0].Aggregate.ConfusionSum);
        Assert.Equal(result.Models[0].Aggregate.Accuracy, back.Models[0].Aggregate.Accuracy);
    }

    [Fact]
    public void Should_write_one_invariant_csv_row_per_image_per_model()
    {
        // Given
        var result = ReportFixtures.Create(skippedFile: ReportFixtures.EvilFile);
        result.Items[0].Path = ReportFixtures.EvilFile;
        using var dir = new TempDirectory();

        // When
        using (new CultureScope("de-DE"))
            new PredictionsCsvExporter().Export(result, dir.Path);

        // Then
        var lines = File.ReadAllLines(dir.File(PredictionsCsvExporter.FileName));
        Assert.Equal("model,path,fold,true_class,predicted_class,p_mitochondrion,p_nucleus,p_vesicle", lines[0]);
        Assert.Equal(1 + 2 * 18, lines.Length);
        Assert.Equal("svm,\"a&b \"\"c\"\".png\",1,mitochondrion,mitochondrion,0.8,0.09999999999999998,0.09999999999999998", lines[1]);
        // Item 3 (fold 1) is an SVM error: predicted nucleus with 0.6
        Assert.Equal("svm,mitochondrion/img_03.tif,1,mitochondrion,nucleus,0.2,0.6,0.2", lines[4]);
        var probabilities = lines.Skip(1).Select(l => l.Split(',')[^3..].Sum(p => double.Parse(p, CultureInfo.InvariantCulture)));
        Assert.All(probabilities, sum => Assert.Equal(1.0, sum, 9));
    }

    [Fact]
    public void Should_write_the_fold_of_every_image_counted_from_1_and_say_so_in_results_json()
    {
        // Given results whose items sit in folds 0, 1 and 2 internally
        var result = ReportFixtures.Create();
        using var dir = new TempDirectory();

        // When folds.csv and results.json are written
        new FoldsCsvExporter().Export(result, dir.Path);
        new ResultsJsonExporter().Export(result, dir.Path);

        // Then folds.csv holds one row per image, with the fold the report and predictions.csv show
        var lines = File.ReadAllLines(dir.File(FoldsCsvExporter.FileName));
        Assert.Equal("path,class,fold", lines[0]);
        Assert.Equal(1 + result.Items.Count, lines.Length);
        Assert.Equal("mitochondrion/img_00.tif,mitochondrion,1", lines[1]);
        Assert.Equal("vesicle/img_05.tif,vesicle,3", lines[^1]);
        Assert.Equal([1, 2, 3], lines.Skip(1).Select(l => int.Parse(l.Split(',')[^1], CultureInfo.InvariantCulture)).Distinct().Order());
        // and results.json, which counts from 0, says so in words
        Assert.Contains("\"foldNumbering\": \"fold fields in results.json count from 0: fold 0 here is fold 1 in the report, predictions.csv and folds.csv\"",
            File.ReadAllText(dir.File(ResultsJsonExporter.FileName)), StringComparison.Ordinal);
    }

    static BenchmarkResult SingleFold()
    {
        var r = new BenchmarkResult();
        r.Models.Add(new ModelResultBuilder("svm", [0, 1], 2).AddFold(0, [0, 1], [[1, 0], [0, 1]], new()).Build());
        return r;
    }
}
