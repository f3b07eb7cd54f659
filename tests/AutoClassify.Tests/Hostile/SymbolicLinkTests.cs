using AutoClassify.Dataset;
using AutoClassify.Packaging;
using AutoClassify.Reporting;
using AutoClassify.Segmentation;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Hostile;

public class SymbolicLinkTests
{
    [Fact]
    public void Should_not_follow_link_loops_and_list_each_as_skipped()
    {
        // Given two classes of six images and links that loop back up the tree (the probe's 'loop -> ..')
        using var dir = new TempDirectory("links");
        TestImages.WriteClass(dir.Path, "a", 6);
        TestImages.WriteClass(dir.Path, "b", 6);
        Directory.CreateSymbolicLink(dir.Combine("a", "loop"), "..");
        Directory.CreateSymbolicLink(dir.Combine("a", "self"), ".");
        Directory.CreateDirectory(dir.Combine("b", "deep"));
        Directory.CreateSymbolicLink(dir.Combine("b", "deep", "up"), "../..");

        // When the tree is loaded
        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5 });

        // Then every image is counted once, under its own label, and each loop is named with the reason
        Assert.Equal([6, 6], dataset.ClassCounts());
        Assert.Equal(12, dataset.Items.Select(i => i.RelativePath).Distinct().Count());
        var reasons = dataset.Skipped.ToDictionary(s => s.RelativePath, s => s.Reason);
        Assert.Contains("loop", reasons["a/loop"], StringComparison.Ordinal);
        Assert.Contains("loop", reasons["a/self"], StringComparison.Ordinal);
        Assert.Contains("loop", reasons["b/deep/up"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_not_follow_links_out_of_the_tree()
    {
        // Given a class folder holding links to an image and a folder outside the tree
        using var dir = new TempDirectory("links");
        var data = dir.Combine("data");
        TestImages.WriteClass(data, "a", 5);
        TestImages.WriteClass(data, "b", 5);
        TestImages.WriteClass(dir.Path, "elsewhere", 3);
        File.CreateSymbolicLink(Path.Combine(data, "a", "borrowed.png"), dir.Combine("elsewhere", "elsewhere_000.png"));
        Directory.CreateSymbolicLink(Path.Combine(data, "b", "more"), dir.Combine("elsewhere"));
        File.CreateSymbolicLink(Path.Combine(data, "b", "gone.png"), dir.Combine("missing.png"));

        // When the tree is loaded
        var dataset = DatasetLoader.Load(data, new DatasetOptions { Folds = 5 });

        // Then nothing outside is used, and the report's skip list says why
        Assert.Equal([5, 5], dataset.ClassCounts());
        var reasons = dataset.Skipped.ToDictionary(s => s.RelativePath, s => s.Reason);
        Assert.Contains("outside the data tree", reasons["a/borrowed.png"], StringComparison.Ordinal);
        Assert.Contains("outside the data tree", reasons["b/more"], StringComparison.Ordinal);
        Assert.Contains("does not exist", reasons["b/gone.png"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_count_a_link_within_its_own_class_once_and_say_so()
    {
        // Given a class with a link to one of its images and a link to one of its subfolders
        using var dir = new TempDirectory("links");
        TestImages.WriteClass(dir.Path, "a", 5);
        TestImages.WriteClass(dir.Path, "b", 5);
        TestImages.WriteClass(dir.Combine("a"), "sub", 2);
        File.CreateSymbolicLink(dir.Combine("a", "again.png"), "a_000.png");
        Directory.CreateSymbolicLink(dir.Combine("a", "alias"), "sub");

        // When the tree is loaded
        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5 });

        // Then the targets count once, under their own paths, and the links are listed as counted there
        Assert.Equal([7, 5], dataset.ClassCounts());
        var reasons = dataset.Skipped.ToDictionary(s => s.RelativePath, s => s.Reason);
        Assert.Contains("counted once, there", reasons["a/again.png"], StringComparison.Ordinal);
        Assert.Contains("'a/a_000.png'", reasons["a/again.png"], StringComparison.Ordinal);
        Assert.Contains("'a/sub'", reasons["a/alias"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_call_a_link_into_another_class_a_label_conflict()
    {
        // Given an image of class b linked into class a, and a class folder c that is a link to b
        using var dir = new TempDirectory("links");
        TestImages.WriteClass(dir.Path, "a", 5);
        TestImages.WriteClass(dir.Path, "b", 5);
        File.CreateSymbolicLink(dir.Combine("a", "stolen.png"), "../b/b_001.png");
        Directory.CreateSymbolicLink(dir.Combine("c"), "b");

        // When the tree is loaded
        var ex = Assert.Throws<DatasetValidationException>(() => DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 5 }));

        // Then both are errors that say plainly what conflicts with what
        var errors = ex.Problems.Where(p => p.Severity == ProblemSeverity.Error).ToDictionary(p => p.Location, p => p.Message);
        Assert.Contains("label conflict", errors["a/stolen.png"], StringComparison.Ordinal);
        Assert.Contains("class 'b'", errors["a/stolen.png"], StringComparison.Ordinal);
        Assert.Contains("label conflict", errors["c/"], StringComparison.Ordinal);
        Assert.Contains("a/stolen.png", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_predict_each_image_of_a_looping_folder_once()
    {
        // Given a prediction folder with a loop, a link to one of its images and a link outside
        using var dir = new TempDirectory("links");
        TestImages.WriteClass(dir.Path, "in", 3);
        TestImages.WriteClass(dir.Path, "out", 1);
        Directory.CreateSymbolicLink(dir.Combine("in", "loop"), ".");
        Directory.CreateSymbolicLink(dir.Combine("in", "parent"), "..");
        File.CreateSymbolicLink(dir.Combine("in", "twin.png"), "in_000.png");
        File.CreateSymbolicLink(dir.Combine("in", "far.png"), dir.Combine("out", "out_000.png"));
        var skipped = new Dictionary<string, string>();

        // When the inputs are collected
        var files = PackagePredictor.CollectInputs([dir.Combine("in")], (path, reason) => skipped.Add(Path.GetFileName(path), reason));

        // Then the three real images come once each, and every link is named with its reason
        Assert.Equal(["in_000.png", "in_001.png", "in_002.png"], files.Select(Path.GetFileName));
        Assert.Contains("loop", skipped["loop"], StringComparison.Ordinal);
        Assert.Contains("outside", skipped["parent"], StringComparison.Ordinal);
        Assert.Contains("predicted once", skipped["twin.png"], StringComparison.Ordinal);
        Assert.Contains("outside", skipped["far.png"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_segment_each_image_of_a_looping_folder_once()
    {
        using var dir = new TempDirectory("links");
        TestImages.WriteClass(dir.Path, "fields", 2);
        Directory.CreateSymbolicLink(dir.Combine("fields", "loop"), "..");

        var files = ParticleBatch.FindImages(dir.Combine("fields"), dir.Combine("seg-out"));

        Assert.Equal(2, files.Count);
    }
}
