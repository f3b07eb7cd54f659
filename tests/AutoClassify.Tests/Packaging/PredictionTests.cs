using System.Globalization;
using AutoClassify.Packaging;
using AutoClassify.Tests.Support;
using CsvHelper;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Packaging;

[Collection(PackagingTests.Name)]
public sealed class PredictionTests : IDisposable
{
    readonly TempDirectory temp = new("predict");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_train_predict_and_list_end_to_end_through_the_command_line()
    {
        // Given a small data set on disk and an empty registry
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 8);
        var registry = temp.Combine("models");

        // When trained twice and listed
        var (trainCode, trainOut, _) = Run("train", data, "--name", "disks", "--registry", registry, "--grid", "coarse", "--seed", "3", "--threads", "2");
        var (secondCode, secondOut, _) = Run("train", data, "--name", "disks", "--registry", registry, "--grid", "coarse", "--seed", "4", "--threads", "2");
        var (listCode, listOut, _) = Run("models", "list", "--registry", registry);
        var (showCode, showOut, _) = Run("models", "show", "disks", "--registry", registry);

        // Then the first is champion, the second is stored beside it, and the listing says so
        Assert.Equal(0, trainCode);
        Assert.Contains("version 1", trainOut, StringComparison.Ordinal);
        Assert.Contains("it is the champion", trainOut, StringComparison.Ordinal);
        Assert.Equal(0, secondCode);
        Assert.Contains("the champion stays version 1", secondOut, StringComparison.Ordinal);
        Assert.Equal(0, listCode);
        Assert.Contains("disks", listOut, StringComparison.Ordinal);
        Assert.Contains("v1", listOut, StringComparison.Ordinal);
        Assert.Equal(0, showCode);
        Assert.Contains("v2", showOut, StringComparison.Ordinal);

        // When the champion predicts the training folder
        var csvPath = temp.File("predictions.csv");
        var (predictCode, predictOut, _) = Run("predict", "disks", data, "--registry", registry, "--out", csvPath, "--batch-size", "5");

        // Then every image has a row whose round-tripped probabilities equal the champion's own, and the run succeeded
        Assert.Equal(0, predictCode);
        Assert.Contains("16 images, 0 failed", predictOut, StringComparison.Ordinal);
        var rows = ReadCsv(csvPath);
        Assert.Equal(16, rows.Count);
        Assert.All(rows, r => Assert.Equal(1.0, r.Probabilities.Sum(), 6));
        using var champion = ModelPackage.Open(new ModelRegistry(registry).ResolveChampion("disks"));
        var expected = PackagePredictor.Predict(champion, PackagePredictor.CollectInputs([data])).ToList();
        Assert.Equal(expected.Select(e => e.Path), rows.Select(r => r.Path));
        Assert.Equal(expected.Select(e => e.Probabilities), rows.Select(r => r.Probabilities));
        Assert.Equal(expected.Select(e => champion.Manifest.ClassNames[e.PredictedClass]), rows.Select(r => r.Predicted));
    }

    [Fact]
    public void Should_write_a_row_with_the_error_for_an_unreadable_image_and_exit_1()
    {
        // Given a packaged model and a folder with one corrupt image among good ones
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 6);
        using var trained = PackagingTestData.Train(data);
        var package = temp.File("model.acpkg");
        trained.WriteTo(package);
        var inputs = temp.Combine("inputs");
        Directory.CreateDirectory(inputs);
        foreach (var file in Directory.GetFiles(temp.Combine("data", "large")).Take(3))
            File.Copy(file, Path.Combine(inputs, Path.GetFileName(file)));
        var corrupt = Path.Combine(inputs, "large_002b.png");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(Path.Combine(inputs, "large_000.png"))[..60]);

        // When predicted through the command line
        var csvPath = temp.File("out.csv");
        var (code, output, _) = Run("predict", package, inputs, "--out", csvPath);

        // Then the run continued, the corrupt file has its error, the others have predictions, and the exit code is 1
        Assert.Equal(1, code);
        Assert.Contains("4 images, 1 failed", output, StringComparison.Ordinal);
        var rows = ReadCsv(csvPath);
        Assert.Equal(4, rows.Count);
        var bad = Assert.Single(rows, r => r.Error.Length > 0);
        Assert.EndsWith("large_002b.png", bad.Path, StringComparison.Ordinal);
        Assert.Contains("corrupt, truncated", bad.Error, StringComparison.Ordinal);
        Assert.Empty(bad.Probabilities);
        Assert.All(rows.Where(r => r != bad), r => Assert.Equal(2, r.Probabilities.Length));
        Assert.Empty(Directory.GetFiles(temp.Path, ".*.tmp"));
    }

    [Fact]
    public void Should_flag_abstentions_below_the_package_threshold()
    {
        // Given the same model packaged with no threshold and with a threshold of 1
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 6);
        using var trained = PackagingTestData.Train(data);
        var lenient = temp.File("lenient.acpkg");
        var strict = temp.File("strict.acpkg");
        trained.WriteTo(lenient);
        ModelPackage.Write(strict, trained.Manifest with { Thresholds = new Dictionary<string, double> { ["large"] = 1.0, ["small"] = 1.0 } }, trained.Model);
        var files = PackagePredictor.CollectInputs([data]);

        // When both predict the same images
        using var a = ModelPackage.Open(lenient);
        using var b = ModelPackage.Open(strict);
        var never = PackagePredictor.Predict(a, files).ToList();
        var always = PackagePredictor.Predict(b, files).ToList();

        // Then the probabilities agree, nothing abstains without a threshold, and every prediction short of certainty abstains with it
        Assert.Equal(never.Select(r => r.Probabilities), always.Select(r => r.Probabilities));
        Assert.DoesNotContain(never, r => r.Abstained);
        Assert.All(always, r => Assert.Equal(r.Probabilities.Max() < 1.0, r.Abstained));
        Assert.Contains(always, r => r.Abstained);
    }

    [Fact]
    public void Should_refuse_a_threshold_outside_0_to_1_on_the_command_line()
    {
        var data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 6);
        var (code, _, error) = Run("train", data, "--name", "m", "--registry", temp.Combine("models"), "--threshold", "1.5");
        Assert.Equal(2, code);
        Assert.Contains("--threshold value '1.5' is not a probability", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("models", "m")));
    }

    sealed record Row(string Path, string Predicted, double[] Probabilities, bool Abstained, string Error);

    static List<Row> ReadCsv(string path)
    {
        using var csv = CsvReader.Create(File.OpenRead(path), options: null, leaveOpen: false);
        var header = csv.Headers.ToArray();
        Assert.Equal("path", header[0]);
        Assert.Equal("predicted_class", header[1]);
        Assert.Equal(["abstained", "error"], header[^2..]);
        var classes = header.Length - 4;
        var rows = new List<Row>();
        while (csv.Read())
        {
            var error = csv.GetString(header.Length - 1);
            var probabilities = error.Length > 0
                ? []
                : Enumerable.Range(0, classes).Select(k => double.Parse(csv.GetString(2 + k), CultureInfo.InvariantCulture)).ToArray();
            rows.Add(new Row(csv.GetString(0), csv.GetString(1), probabilities, csv.GetString(header.Length - 2) == "true", error));
        }
        return rows;
    }
}
