using AutoClassify.Reporting;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Cli;

public class CliTests
{
    [Fact]
    public void Should_benchmark_a_folder_end_to_end_and_write_the_three_report_files()
    {
        // Given a small copy of the shipped liposome set
        using var dir = new TempDirectory("cli");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 15);
        var outDir = dir.Combine("report");

        // When the benchmark runs with a coarse grid
        var (code, stdout, stderr) = Run("benchmark", data, "--folds", "3", "--seed", "5", "--grid", "coarse", "--out", outDir);

        // Then it succeeds and writes the report, results and out-of-fold predictions
        Assert.True(code == 0, stderr);
        Assert.Contains("svm", stdout);
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));
        var result = ResultsJson.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal(45, result.Items.Count);
        Assert.Equal(5, result.Settings.Seed);
        Assert.All(result.Items, item => Assert.InRange(item.Fold, 0, 2));
        var csvLines = File.ReadAllLines(Path.Combine(outDir, "predictions.csv"));
        Assert.Equal(1 + 45, csvLines.Length);
        Assert.Contains("p_unilamellar", csvLines[0]);
    }

    [Fact]
    public void Should_repeat_every_number_from_the_same_seed()
    {
        using var dir = new TempDirectory("cli");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 12);

        Assert.Equal(0, Run("benchmark", data, "--folds", "3", "--seed", "9", "--grid", "coarse", "--out", dir.Combine("a")).Code);
        Assert.Equal(0, Run("benchmark", data, "--folds", "3", "--seed", "9", "--grid", "coarse", "--out", dir.Combine("b")).Code);

        Assert.Equal(File.ReadAllText(dir.Combine("a", "predictions.csv")), File.ReadAllText(dir.Combine("b", "predictions.csv")));
    }

    [Fact]
    public void Should_exit_2_and_list_every_dataset_problem_before_any_work()
    {
        using var dir = new TempDirectory("cli");
        TestImages.WriteClass(dir.Combine("data"), "a", 2);
        TestImages.WriteClass(dir.Combine("data"), "b", 3);

        var (code, _, stderr) = Run("benchmark", dir.Combine("data"), "--folds", "5", "--out", dir.Combine("out"));

        Assert.Equal(2, code);
        Assert.Contains("a/", stderr);
        Assert.Contains("b/", stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Theory]
    [InlineData("--crop", "1,2,3")]
    [InlineData("--crop", "0,-4,0,0")]
    [InlineData("--models", "svm,resnet999")]
    [InlineData("--folds", "1")]
    [InlineData("--folds", "five")]
    [InlineData("--banner", "blur")]
    [InlineData("--no-such-option", "1")]
    public void Should_reject_bad_arguments_with_exit_2_and_a_message_naming_the_option_or_value(string option, string value)
    {
        using var dir = new TempDirectory("cli");
        TestImages.WriteClass(dir.Path, "a", 5);
        TestImages.WriteClass(dir.Path, "b", 5);

        var (code, _, stderr) = Run("benchmark", dir.Path, option, value, "--out", dir.Combine("out"));

        Assert.Equal(2, code);
        var bad = value.Split(',')[^1];
        Assert.True(stderr.Contains(option, StringComparison.Ordinal) || stderr.Contains($"'{bad}'", StringComparison.Ordinal), stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Should_export_features_with_stable_columns()
    {
        using var dir = new TempDirectory("cli");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 3);
        var csv = dir.Combine("features.csv");

        var (code, _, stderr) = Run("features", data, "--out", csv);

        Assert.True(code == 0, stderr);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(10, lines.Length);
        Assert.StartsWith("path,class,area,perimeter,circularity,feret_max,diameter,mu20,mu02,mu30,mu03", lines[0]);
    }

    [Fact]
    public void Should_synthesise_a_dataset_the_benchmark_accepts()
    {
        using var dir = new TempDirectory("cli");
        var data = dir.Combine("synth");

        var (code, stdout, stderr) = Run("synth", data, "--count", "60", "--size", "32", "--seed", "3");

        Assert.True(code == 0, stderr);
        Assert.Contains("uncertain 15", stdout);
        Assert.Equal(15, Directory.GetFiles(Path.Combine(data, "uncertain"), "*.mask.png").Length);
    }

    [Fact]
    public void Should_print_help_for_every_command()
    {
        foreach (var command in new[] { "benchmark", "features", "synth" })
        {
            var (code, stdout, _) = Run(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("Usage", stdout);
        }
    }
}
