using AutoClassify.Cli;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Hostile;

public sealed class OutputPathTests(HostileFixture fixture) : IClassFixture<HostileFixture>, IDisposable
{
    readonly TempDirectory temp = new("hostile-out");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_refuse_to_write_predictions_over_the_image_it_reads()
    {
        // Given an image to classify
        var image = temp.File("img.png");
        File.Copy(Path.Combine(fixture.Data, "large", "large_000.png"), image);
        var before = File.ReadAllBytes(image);

        // When predict is told to write its CSV over it
        var (code, stdout, stderr) = Run("predict", fixture.Package, image, "--out", image);

        // Then it refuses before any work, naming the path, and the image is untouched
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("is one of the inputs", stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(image));
        Assert.Empty(stdout);
    }

    [Fact]
    public void Should_refuse_outputs_inside_the_data_tree_for_every_command()
    {
        // Given a copy of the data set, so nothing shared can be harmed
        var data = temp.Combine("data");
        foreach (var file in Directory.GetFiles(fixture.Data, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(data, Path.GetRelativePath(fixture.Data, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var victim = Path.Combine(data, "large", "large_000.png");
        var before = File.ReadAllBytes(victim);
        var snapshot = Directory.GetFileSystemEntries(data, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        // When each command is pointed at an output inside it
        string[][] runs =
        [
            ["features", data, "--out", victim],
            ["benchmark", data, "--out", Path.Combine(data, "large", "report")],
            ["train", data, "--name", "x", "--registry", Path.Combine(data, "models")],
            ["predict", fixture.Package, data, "--out", Path.Combine(data, "small", "p.csv")],
            ["predict", fixture.Package, data, "--out", temp.File("p.csv"), "--maps", Path.Combine(data, "maps")],
            ["segment", data, "--out", Path.Combine(data, "seg")],
            ["retrain", "disks", "--add", data, "--registry", temp.Combine("models"), "--report", Path.Combine(data, "r.html")],
        ];
        foreach (var args in runs)
        {
            var (code, stdout, stderr) = Run(args);

            // Then every one refuses before any work, and the data tree is exactly as it was
            Assert.True(code == ExitCodes.BadInput, $"{string.Join(' ', args)}: exit {code}: {stderr}");
            Assert.Contains("lies inside the data folder", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Stored", stdout, StringComparison.Ordinal);
        }
        Assert.Equal(before, File.ReadAllBytes(victim));
        Assert.Equal(snapshot, Directory.GetFileSystemEntries(data, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_refuse_an_output_file_that_is_a_folder_or_lies_below_a_file()
    {
        var folder = temp.Combine("a-folder");
        Directory.CreateDirectory(folder);
        var plain = temp.File("plain.txt");
        File.WriteAllText(plain, "x");

        var (folderCode, _, folderErr) = Run("features", fixture.Data, "--out", folder);
        var (belowCode, _, belowErr) = Run("features", fixture.Data, "--out", Path.Combine(plain, "f.csv"));
        var (dirCode, _, dirErr) = Run("benchmark", fixture.Data, "--out", plain);

        Assert.Equal(ExitCodes.BadInput, folderCode);
        Assert.Contains("is a folder; give the name of a file", folderErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, belowCode);
        Assert.Contains($"'{plain}' is a file, not a folder", belowErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, dirCode);
        Assert.Contains("is a file; give a folder", dirErr, StringComparison.Ordinal);
        Assert.Equal("x", File.ReadAllText(plain));
    }

    [SkippableFact]
    public void Should_refuse_a_read_only_registry_before_training()
    {
        // Given a registry on a read-only file system
        using var fs = SmallFileSystem.TryMount(temp.Path, readOnly: true, kilobytes: 64, out var reason);
        Skip.If(fs is null, reason);

        // When a model is trained into it
        var (code, stdout, stderr) = Run("train", fixture.Data, "--name", "ro", "--registry", fs!.Path, "--grid", "coarse", "--threads", "2");

        // Then it fails at once with one line naming the place and the cause, before any training
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("read-only file system", line, StringComparison.Ordinal);
        Assert.Contains(fs.Path, line, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Should_report_a_full_disk_in_one_line_and_leave_no_partial_file()
    {
        // Given an output folder on a file system with no space left
        using var fs = SmallFileSystem.TryMount(temp.Path, readOnly: false, kilobytes: 64, out var reason);
        Skip.If(fs is null, reason);
        fs!.Fill();
        var output = Path.Combine(fs.Path, "features.csv");

        // When the features are exported there
        var (code, _, stderr) = Run("features", fixture.Data, "--out", output, "--threads", "2");

        // Then the run fails with one plain line naming the place and the cause, and no half-written CSV remains
        Assert.Equal(ExitCodes.Failure, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no space left on device", line, StringComparison.Ordinal);
        Assert.Contains(fs.Path, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.Equal(["filler.bin"], Directory.GetFiles(fs.Path).Select(Path.GetFileName));
    }
}
