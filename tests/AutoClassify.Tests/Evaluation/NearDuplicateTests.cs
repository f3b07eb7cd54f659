using AutoClassify.Dataset;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Tests.Retraining;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Evaluation;

public sealed class NearDuplicateTests : IDisposable
{
    readonly TempDirectory temp = new("near-duplicates");

    public void Dispose() => temp.Dispose();

    // Two classes of 9 distinct generated images, plus a noisy re-encoded copy and a byte-for-byte copy of large/img_000.
    string DataWithCopies(string copyFolder = "large")
    {
        var data = RetrainTestData.WriteDataset(temp.Combine("data"), perClass: 9, seed: 600_000);
        RetrainTestData.WriteNoisyCopy(Path.Combine(data, "large", "img_000.png"), Path.Combine(data, copyFolder, "noisy_copy.tif"), seed: 1);
        File.Copy(Path.Combine(data, "large", "img_000.png"), Path.Combine(data, "large", "exact_copy.png"));
        return data;
    }

    [Fact]
    public void Should_group_a_noisy_copy_and_an_exact_copy_with_their_original_and_nothing_else()
    {
        // Given the data set with copies
        var data = DataWithCopies();
        var dataset = DatasetLoader.Load(data, new DatasetOptions { Folds = 3 });

        // When scanned
        var scan = DuplicateScan.Run(dataset, default, BannerMode.Crop, new DuplicateScanOptions(), threads: 2);

        // Then exactly one group holds the three, marked near (one link is a near match)
        var group = Assert.Single(scan.Groups);
        Assert.Equal(["large/exact_copy.png", "large/img_000.png", "large/noisy_copy.tif"], group.Members.Select(i => dataset.Items[i].RelativePath).Order(StringComparer.Ordinal));
        Assert.False(group.Exact);
        Assert.Empty(scan.LabelConflicts(dataset));
        Assert.Equal(dataset.Items.Count - 2, scan.GroupOf.Distinct().Count());
    }

    [Fact]
    public void Should_keep_copies_in_one_fold_and_say_so_in_results_json()
    {
        // Given the data set with copies
        var data = DataWithCopies();
        var outDir = temp.Combine("report");

        // When benchmarked with the default --near-duplicates group
        var (code, stdout, stderr) = Run("benchmark", data, "--folds", "3", "--seed", "5", "--grid", "coarse", "--threads", "2", "--out", outDir);

        // Then the three copies share a fold, and the run says how many groups were formed
        Assert.True(code == 0, stderr);
        Assert.Contains("1 group(s) of copies (0 exact, 1 near) holding 3 images", stdout, StringComparison.Ordinal);
        var result = ResultsJson.Read(Path.Combine(outDir, "results.json"));
        var folds = result.Items.Where(i => i.Path is "large/img_000.png" or "large/noisy_copy.tif" or "large/exact_copy.png").Select(i => i.Fold).ToList();
        Assert.Equal(3, folds.Count);
        Assert.Single(folds.Distinct());
        Assert.StartsWith("group: 1 group(s)", result.Settings.Extra["near_duplicates"], StringComparison.Ordinal);
        Assert.Contains("near_duplicates", File.ReadAllText(Path.Combine(outDir, "index.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_drop_the_copies_and_list_them_as_skipped()
    {
        var data = DataWithCopies();
        var outDir = temp.Combine("report");

        var (code, _, stderr) = Run("benchmark", data, "--folds", "3", "--seed", "5", "--grid", "coarse", "--threads", "2", "--near-duplicates", "drop", "--out", outDir);

        Assert.True(code == 0, stderr);
        var result = ResultsJson.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal(18, result.Items.Count);
        // The first of the three in data-set order (exact_copy.png sorts before img_000.png) is the one kept
        Assert.Equal(["large/exact_copy.png"], result.Items.Where(i => i.Path is "large/img_000.png" or "large/noisy_copy.tif" or "large/exact_copy.png").Select(i => i.Path));
        Assert.Contains("2 copies dropped", result.Settings.Extra["near_duplicates"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_stop_with_exit_2_naming_both_files_when_a_copy_has_another_label()
    {
        // Given a noisy copy of a large image filed under small
        var data = DataWithCopies(copyFolder: "small");

        // When benchmarked
        var (code, _, stderr) = Run("benchmark", data, "--folds", "3", "--grid", "coarse", "--threads", "2", "--out", temp.Combine("report"));

        // Then it stops before training, naming the original and the mislabelled copy
        Assert.Equal(2, code);
        Assert.Contains("label conflict", stderr, StringComparison.Ordinal);
        Assert.Contains("large/img_000.png", stderr, StringComparison.Ordinal);
        Assert.Contains("small/noisy_copy.tif", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp.Combine("report"), "results.json")));
    }
}
