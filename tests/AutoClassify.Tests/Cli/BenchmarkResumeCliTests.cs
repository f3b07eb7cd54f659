using System.Globalization;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Cli;

public class BenchmarkResumeCliTests
{
    static readonly string[] Settings = ["--folds", "4", "--grid", "coarse", "--inner-folds", "2", "--threads", "1"];

    // The options the CLI builds from Settings, with the checkpoint in <out>/.checkpoint.
    static BenchmarkOptions CliEquivalent(string data, string outDir, int seed) => new()
    {
        DatasetPath = Path.GetFullPath(data),
        Folds = 4,
        Seed = seed,
        Models = ["svm"],
        Threads = 1,
        CheckpointDirectory = Path.Combine(outDir, FoldCheckpoint.DefaultFolderName),
        ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2, Cnn = new() { Threads = 1 } },
    };

    static void Interrupt(BenchmarkOptions options, string? atStage = null, int afterFolds = -1)
    {
        using var cancel = new CancellationTokenSource();
        var observer = new CancellingObserver(cancel, atStage, afterFolds);
        Assert.ThrowsAny<OperationCanceledException>(() => BenchmarkRunner.Run(options, observer, cancel.Token));
    }

    [Fact]
    public void Should_resume_an_interrupted_benchmark_in_its_out_folder_and_remove_the_checkpoint_after_the_report()
    {
        // Given an uninterrupted benchmark, and the same benchmark interrupted after two folds
        using var dir = new TempDirectory("cli-resume");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 8);
        Assert.Equal(0, Run(["benchmark", data, "--seed", "5", "--out", dir.Combine("full"), .. Settings]).Code);
        var outDir = dir.Combine("resumed");
        Interrupt(CliEquivalent(data, outDir, seed: 5), afterFolds: 2);

        // When the command is repeated with --resume
        var (code, stdout, stderr) = Run(["benchmark", data, "--seed", "5", "--out", outDir, "--resume", .. Settings]);

        // Then it continues from the two saved folds, gives the same predictions, and leaves no checkpoint behind
        Assert.True(code == 0, stderr);
        Assert.Contains("Resuming: 2 finished fold(s)", stdout, StringComparison.Ordinal);
        Assert.Contains("2/4 restored from the checkpoint", stdout, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(dir.Combine("full", "predictions.csv")), File.ReadAllText(Path.Combine(outDir, "predictions.csv")));
        Assert.Contains("svm 2/4", ResultsJson.Read(Path.Combine(outDir, "results.json")).Settings.Extra["resumed_folds"], StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(outDir, FoldCheckpoint.DefaultFolderName)));
    }

    [Fact]
    public void Should_exit_2_and_name_the_change_when_resuming_with_another_seed()
    {
        // Given a benchmark interrupted while preparing images
        using var dir = new TempDirectory("cli-resume");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 5);
        var outDir = dir.Combine("out");
        Interrupt(CliEquivalent(data, outDir, seed: 5), atStage: "Preparing images");

        // When it is resumed with another seed
        var (code, _, stderr) = Run(["benchmark", data, "--seed", "6", "--out", outDir, "--resume", .. Settings]);

        // Then it refuses, says what changed, and keeps the checkpoint
        Assert.Equal(2, code);
        Assert.Contains("seed: 5 -> 6", stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, FoldCheckpoint.DefaultFolderName, "run.json")));
    }

    [Fact]
    public void Should_join_extra_features_and_record_them_in_results_and_report()
    {
        // Given an export with a measurement for all images but one, and a row for an image that is not there
        using var dir = new TempDirectory("cli-features");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 5);
        var images = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".mask.png", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(data, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var csv = dir.File("export.csv");
        File.WriteAllLines(csv, ["File;Area_um2", .. images.Skip(1).Select((p, i) => string.Create(CultureInfo.InvariantCulture, $"{p};{0.5 + i}")), "ghost.png;1"]);
        var outDir = dir.Combine("out");

        // When the benchmark joins it
        var (code, stdout, stderr) = Run(["benchmark", data, "--features", csv, "--seed", "5", "--out", outDir, .. Settings[2..]]);

        // Then the run goes on, lists the unmatched row and the image without a row, and records the column
        Assert.True(code == 0, stderr);
        Assert.Contains("'ghost.png'", stdout, StringComparison.Ordinal);
        Assert.Contains(images[0], stdout, StringComparison.Ordinal);
        var result = ResultsJson.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal("Area_um2", result.Settings.Extra["extra_features_columns"]);
        Assert.Contains(result.Dataset.Warnings, w => w.Contains(images[0], StringComparison.Ordinal));
        var html = File.ReadAllText(Path.Combine(outDir, "index.html"));
        Assert.Contains("extra_features_columns", html, StringComparison.Ordinal);
        Assert.Contains("ghost.png", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_exit_2_naming_line_and_column_of_a_bad_cell_before_any_work()
    {
        using var dir = new TempDirectory("cli-features");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 5);
        var csv = dir.File("export.csv");
        File.WriteAllText(csv, "path,area\nunilamellar/unilamellar_00000.png,1\nunilamellar/unilamellar_00001.png,#DIV/0!\n");

        var (code, _, stderr) = Run("benchmark", data, "--features", csv, "--out", dir.Combine("out"));

        Assert.Equal(2, code);
        Assert.Contains("export.csv", stderr, StringComparison.Ordinal);
        Assert.Contains("line 3, column 'area': '#DIV/0!' is not a number", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    sealed class CancellingObserver(CancellationTokenSource cancel, string? atStage, int afterFolds) : IBenchmarkObserver
    {
        int folds;

        public void StageStarted(string stage, int totalSteps)
        {
            if (stage == atStage)
                cancel.Cancel();
        }

        public void StepCompleted(string stage)
        {
            if (stage.Contains("cross-validation", StringComparison.Ordinal) && Interlocked.Increment(ref folds) == afterFolds)
                cancel.Cancel();
        }

        public void Message(string text)
        {
        }
    }
}
