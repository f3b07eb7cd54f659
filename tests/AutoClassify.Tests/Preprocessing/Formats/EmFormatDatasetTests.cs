using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Reporting;
using AutoClassify.Segmentation;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing.Formats;

/// <summary>Microscope files where the pipeline reads images: data sets, folds, scale survey, resampling, segment, predict inputs.</summary>
public class EmFormatDatasetTests
{
    // A float32 section of a disk of the given radius on a noisy background: the class is the disk's size.
    internal static double Disk(int x, int y, int radius, int seed)
    {
        var noise = ((x * 7919 + y * 104_729 + seed * 31) % 97) / 97.0;
        var inside = (x - 16) * (x - 16) + (y - 16) * (y - 16) <= radius * radius;
        return (inside ? 900.0 : 100.0) + 60 * noise;
    }

    internal static void WriteStacks(string classDir, int stacks, int sections, int radius, float cellX, int size = 32)
    {
        Directory.CreateDirectory(classDir);
        for (var s = 0; s < stacks; s++)
        {
            File.WriteAllBytes(Path.Combine(classDir, $"stack{s}.mrcs"),
                MrcFiles.Write(size, size, sections, 2, (x, y, z) => Disk(x * 32 / size, y * 32 / size, radius + (z % 2), s * 10 + z), cellX: cellX));
        }
    }

    [Fact]
    public void Should_expand_stacks_into_sections_that_share_one_group()
    {
        // Given a class of two 3-section stacks and one single-image MRC, and a class of PNGs
        using var dir = new TempDirectory("em-data");
        WriteStacks(dir.Combine("a"), stacks: 2, sections: 3, radius: 5, cellX: 320);
        File.WriteAllBytes(dir.Combine("a", "single.mrc"), MrcFiles.Write(32, 32, 1, 6, (x, y, _) => Disk(x, y, 5, 1), cellX: 320));
        Directory.CreateDirectory(dir.Combine("b"));
        for (var i = 0; i < 3; i++)
            ImageCodec.Save(new GrayImage(32, 32, [.. Enumerable.Range(0, 1024).Select(p => (float)((p * (i + 3)) % 17) / 17)]), dir.Combine("b", $"img{i}.png"));

        // When the tree is loaded
        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 3 });

        // Then every section is an item named file#k, the single image is itself, and sections of one file share a group
        Assert.Equal(["a/single.mrc", "a/stack0.mrcs#1", "a/stack0.mrcs#2", "a/stack0.mrcs#3", "a/stack1.mrcs#1", "a/stack1.mrcs#2", "a/stack1.mrcs#3",
            "b/img0.png", "b/img1.png", "b/img2.png"], dataset.Items.Select(i => i.RelativePath));
        var groups = StackGroups.Of(dataset.Items);
        Assert.NotNull(groups);
        Assert.Equal([0, 1, 1, 1, 2, 2, 2, 3, 4, 5], groups);
        var folds = GroupedFolds.Assign(dataset.Labels, groups, 3, seed: 1);
        Assert.Equal(folds[1], folds[3]);
        Assert.Equal(folds[4], folds[6]);
        var image = ImageCodec.Decode(dataset.Items[2].FullPath);
        Assert.Equal((32, 32), (image.Width, image.Height));
    }

    [Fact]
    public void Should_count_a_stack_once_against_the_folds()
    {
        // Given a class whose only file is one 6-section stack
        using var dir = new TempDirectory("em-data");
        WriteStacks(dir.Combine("a"), stacks: 1, sections: 6, radius: 5, cellX: 320);
        WriteStacks(dir.Combine("b"), stacks: 3, sections: 2, radius: 9, cellX: 320);

        // Then three folds are refused for it: its six sections are one acquisition
        var ex = Assert.Throws<DatasetValidationException>(() => DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 3 }));
        Assert.Contains("a/", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1 usable image", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_benchmark_stacks_with_whole_stacks_per_fold_and_the_scale_from_the_header()
    {
        // Given two classes of three 4-section stacks each (small disks against large ones), 10 Å per pixel
        using var dir = new TempDirectory("em-bench");
        var data = dir.Combine("data");
        WriteStacks(Path.Combine(data, "large"), stacks: 3, sections: 4, radius: 10, cellX: 320);
        WriteStacks(Path.Combine(data, "small"), stacks: 3, sections: 4, radius: 4, cellX: 320);

        // When the SVM is benchmarked on 3 folds
        var result = BenchmarkRunner.Run(new BenchmarkOptions
        {
            DatasetPath = data,
            Folds = 3,
            Seed = 5,
            Threads = 1,
            // The generated stacks differ only in noise, so the near-copy check would merge each class into one group.
            NearDuplicates = NearDuplicateMode.Keep,
            ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
        });

        // Then no stack lends sections to two folds, the scale is the header's, and the SVM learns the classes
        Assert.Equal(24, result.Items.Count);
        foreach (var stack in result.Items.GroupBy(i => i.Path[..i.Path.IndexOf('#', StringComparison.Ordinal)]))
            Assert.Single(stack.Select(i => i.Fold).Distinct());
        var scales = result.Dataset.Scales!;
        Assert.Equal(1.0, scales.NmPerPixel!.Value, 6);
        Assert.Equal("MRC header (cella / mx)", scales.Source);
        Assert.False(scales.ClassesDiffer);
        Assert.All(scales.Images, i => Assert.Equal("MRC header (cella / mx)", i.Source));
        Assert.True(result.Models[0].Aggregate.Accuracy.Mean >= 0.9, $"accuracy {result.Models[0].Aggregate.Accuracy.Mean}");
        var html = HtmlReport.Render(result);
        Assert.Contains("id=\"scales\"", html, StringComparison.Ordinal);
        Assert.Contains("MRC header (cella / mx): 24", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_each_scale_source_warn_on_disagreement_and_resample_to_a_common_scale()
    {
        // Given a class of DM4 and FEI TIFF files (copied from the samples into a temporary tree) and a class of
        // MRC stacks at 1 nm per pixel
        using var dir = new TempDirectory("em-scales");
        var metal = dir.Combine("metal");
        Directory.CreateDirectory(metal);
        foreach (var name in new[] { "dm4_float32_128x64_nonsquare_nm_and_A.dm4", "tif_zeiss_sem_8bit_512x384_PixelSize_5.825nm.tif", "tia_v210_float32_64x64_6.28nm_1.ser" })
            File.Copy(EmSamples.File(name), Path.Combine(metal, name));
        WriteStacks(dir.Combine("protein"), stacks: 1, sections: 3, radius: 5, cellX: 320);
        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 1 });

        // When the scales are surveyed
        var survey = ScaleSurvey.Build(dataset, nmPerPixel: null);

        // Then every image names its source, the disagreement leaves the run in pixels, and the classes are flagged
        Assert.Equal(["DM calibration", "TIA calibration (CalibrationDeltaX/Y)", "Zeiss tag 34118 Pixel Size",
            "MRC header (cella / mx)", "MRC header (cella / mx)", "MRC header (cella / mx)"], survey.Images.Select(i => i.Source));
        Assert.Null(survey.NmPerPixel);
        Assert.True(survey.ClassesDiffer);
        Assert.Contains(survey.Warnings, w => w.Contains("disagree", StringComparison.Ordinal));
        Assert.Contains(survey.Warnings, w => w.Contains("--resample-nm", StringComparison.Ordinal) && w.Contains("magnification", StringComparison.Ordinal));
        Assert.Contains(survey.Warnings, w => w.Contains("not square", StringComparison.Ordinal));
        var metalRow = survey.PerClass[0];
        Assert.Equal((3, 3), (metalRow.Known, metalRow.Images));
        Assert.Equal(1.0, metalRow.MinNm!.Value, 6);
        Assert.Equal(6.28183, metalRow.MaxNm!.Value, 4);

        // And with --resample-nm 2 every prepared image takes its size at 2 nm per pixel
        var resampled = ScaleSurvey.Build(dataset, null, resampleNm: 2);
        Assert.Equal(2, resampled.NmPerPixel);
        var prepared = dataset.Items.Select(i => ImagePreparation.Prepare(i, default, BannerMode.Keep)).ToArray();
        var scaled = ScaleSurvey.Resample(prepared, resampled, 2);
        Assert.Equal((64, 32), (scaled[0].Image.Width, scaled[0].Image.Height));        // 128x64 at 1 nm
        Assert.Equal((201, 201), (scaled[1].Image.Width, scaled[1].Image.Height));      // 64x64 at 6.28 nm
        Assert.Equal((16, 16), (scaled[3].Image.Width, scaled[3].Image.Height));        // 32x32 at 1 nm
        Assert.Equal(((int)Math.Round(512 * 5.825 / 2), (int)Math.Round(384 * 5.825 / 2)), (scaled[2].Image.Width, scaled[2].Image.Height));

        // And --nm-per-pixel overrides the metadata of every image
        var flagged = ScaleSurvey.Build(dataset, nmPerPixel: 3);
        Assert.All(flagged.Images, i => Assert.Equal("--nm-per-pixel", i.Source));
        Assert.Equal(3, flagged.NmPerPixel);
    }

    [Fact]
    public void Should_refuse_to_resample_images_without_a_scale_naming_them()
    {
        using var dir = new TempDirectory("em-scales");
        WriteStacks(dir.Combine("a"), stacks: 1, sections: 2, radius: 5, cellX: 320);
        Directory.CreateDirectory(dir.Combine("b"));
        ImageCodec.Save(new GrayImage(8, 8), dir.Combine("b", "plain.png"));
        var dataset = DatasetLoader.Load(dir.Path, new DatasetOptions { Folds = 1 });
        var survey = ScaleSurvey.Build(dataset, null, resampleNm: 1);
        var prepared = dataset.Items.Select(i => ImagePreparation.Prepare(i, default, BannerMode.Keep)).ToArray();

        var ex = Assert.Throws<ArgumentException>(() => ScaleSurvey.Resample(prepared, survey, 1));

        Assert.Contains("b/plain.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--nm-per-pixel", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_segment_stack_sections_in_nm_from_the_header_and_name_the_source()
    {
        // Given a folder with one 2-section MRC stack at 1 nm per pixel and a damaged MRC beside it
        using var dir = new TempDirectory("em-segment");
        var images = dir.Combine("images");
        WriteStacks(images, stacks: 1, sections: 2, radius: 6, cellX: 320);
        File.WriteAllBytes(Path.Combine(images, "broken.mrc"), new byte[100]);

        // When the folder is segmented without --nm-per-pixel
        var result = ParticleBatch.Run(images, dir.Combine("out"));

        // Then both sections are segmented in nm, the source is named, and the damaged file is an error row
        Assert.Equal(["stack0.mrcs#1", "stack0.mrcs#2"], result.Images.Select(i => i.Path));
        Assert.All(result.Images, i => Assert.Equal(1.0, i.Scale.NmPerPixel));
        Assert.Equal("MRC header (cella / mx)", result.Options.ScaleSource);
        var error = Assert.Single(result.Errors);
        Assert.Equal("broken.mrc", error.Path);
        Assert.Contains("1024", error.Reason, StringComparison.Ordinal);
        var report = File.ReadAllText(dir.Combine("out", "index.html"));
        Assert.Contains("nm per pixel (MRC header (cella / mx))", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_expand_stacks_among_prediction_inputs()
    {
        using var dir = new TempDirectory("em-predict");
        WriteStacks(dir.Combine("in"), stacks: 1, sections: 3, radius: 5, cellX: 320);
        var stack = dir.Combine("in", "stack0.mrcs");

        var fromFolder = PackagePredictor.CollectInputs([dir.Combine("in")]);
        var fromFile = PackagePredictor.CollectInputs([stack, stack + "#2"]);

        Assert.Equal([stack + "#1", stack + "#2", stack + "#3"], fromFolder);
        Assert.Equal([stack + "#1", stack + "#2", stack + "#3", stack + "#2"], fromFile);
    }
}
