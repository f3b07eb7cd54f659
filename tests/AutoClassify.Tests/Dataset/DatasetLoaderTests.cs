using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Dataset;

public class DatasetLoaderTests
{
    [Fact]
    public void Should_load_classes_in_ordinal_order_with_sizes_and_masks()
    {
        using var dir = new TempDirectory("ds");
        TestImages.WriteClass(dir.Path, "b_multi", 5);
        TestImages.WriteClass(dir.Path, "a_uni", 6);
        PngWriter.Write(dir.Combine("a_uni", "a_uni_000.mask.png"), new BinaryMask(32, 32));

        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5 });

        Assert.Equal(["a_uni", "b_multi"], dataset.ClassNames);
        Assert.Equal([6, 5], dataset.ClassCounts());
        Assert.All(dataset.Items, i => Assert.Equal((32, 32), (i.Width, i.Height)));
        var masked = Assert.Single(dataset.Items, i => i.MaskPath is not null);
        Assert.Equal("a_uni/a_uni_000.png", masked.RelativePath);
        Assert.Empty(dataset.Skipped);
    }

    [Fact]
    public void Should_skip_empty_unreadable_and_non_image_files_with_a_reason_each()
    {
        using var dir = new TempDirectory("ds");
        TestImages.WriteClass(dir.Path, "a", 5);
        TestImages.WriteClass(dir.Path, "b", 5);
        File.WriteAllBytes(dir.Combine("a", "empty.png"), []);
        File.WriteAllText(dir.Combine("a", "garbage.jpg"), "this is not a JPEG");
        File.WriteAllText(dir.Combine("b", "notes.txt"), "microscope log");

        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5 });

        Assert.Equal(10, dataset.Items.Count);
        var reasons = dataset.Skipped.ToDictionary(s => s.RelativePath, s => s.Reason);
        Assert.Equal(3, reasons.Count);
        Assert.Contains("empty", reasons["a/empty.png"]);
        Assert.False(string.IsNullOrWhiteSpace(reasons["a/garbage.jpg"]));
        Assert.Contains("not an image", reasons["b/notes.txt"]);
    }

    [Fact]
    public void Should_report_every_fatal_problem_at_once()
    {
        using var dir = new TempDirectory("ds");
        TestImages.WriteClass(dir.Path, "tiny", 2);
        TestImages.WriteClass(dir.Path, "small", 3);
        TestImages.WriteClass(dir.Path, "fine", 6);
        Directory.CreateDirectory(dir.Combine("hollow"));
        File.WriteAllText(dir.Combine("hollow", "readme.txt"), "no images here");

        var ex = Assert.Throws<DatasetValidationException>(() => DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5 }));

        var errors = ex.Problems.Where(p => p.Severity == ProblemSeverity.Error).Select(p => p.Location).ToList();
        Assert.Equal(["hollow/", "small/", "tiny/"], errors.Order(StringComparer.Ordinal));
        Assert.Contains("2 usable image(s), fewer than the 5 folds", ex.Message);
        Assert.Contains("3 usable image(s)", ex.Message);
        Assert.Contains("no usable images", ex.Message);
    }

    [Fact]
    public void Should_refuse_an_empty_tree()
    {
        using var dir = new TempDirectory("ds");

        var ex = Assert.Throws<DatasetValidationException>(() => DatasetLoader.Load(dir.Path));

        Assert.Contains("no class folders", ex.Message);
    }

    [Fact]
    public void Should_refuse_a_single_class()
    {
        using var dir = new TempDirectory("ds");
        TestImages.WriteClass(dir.Path, "only", 8);

        var ex = Assert.Throws<DatasetValidationException>(() => DatasetLoader.Load(dir.Path));

        Assert.Contains("only one class folder ('only')", ex.Message);
    }

    [Fact]
    public void Should_refuse_a_missing_folder_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), "ac-does-not-exist-" + Guid.NewGuid().ToString("N"));

        var ex = Assert.Throws<DatasetValidationException>(() => DatasetLoader.Load(missing));

        Assert.Contains(missing, ex.Message);
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void Should_skip_an_image_whose_mask_has_another_size_and_warn_about_orphan_masks()
    {
        using var dir = new TempDirectory("ds");
        TestImages.WriteClass(dir.Path, "a", 6);
        TestImages.WriteClass(dir.Path, "b", 5);
        PngWriter.Write(dir.Combine("a", "a_000.mask.png"), new BinaryMask(16, 16));
        PngWriter.Write(dir.Combine("b", "ghost.mask.png"), new BinaryMask(32, 32));

        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5 });

        var skipped = Assert.Single(dataset.Skipped);
        Assert.Equal("a/a_000.png", skipped.RelativePath);
        Assert.Contains("16x16", skipped.Reason);
        var warning = Assert.Single(dataset.Warnings);
        Assert.Equal("b/ghost.mask.png", warning.Location);
    }

    [Fact]
    public void Should_skip_images_too_small_for_the_crop()
    {
        using var dir = new TempDirectory("ds");
        TestImages.WriteClass(dir.Path, "a", 5, size: 40);
        TestImages.WriteClass(dir.Path, "b", 5, size: 40);
        PngWriter.Write(dir.Combine("b", "thin.png"), TestImages.Disk(30, 5));

        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5, Crop = new CropMargins(0, 32, 0, 0) });

        var skipped = Assert.Single(dataset.Skipped);
        Assert.Equal("b/thin.png", skipped.RelativePath);
        Assert.Contains("too small for --crop 0,32,0,0", skipped.Reason);
    }
}
