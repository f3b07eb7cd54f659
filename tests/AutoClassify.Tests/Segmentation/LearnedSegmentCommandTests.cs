using System.Globalization;
using System.Text.RegularExpressions;
using AutoClassify.Cli;
using AutoClassify.Imaging;
using AutoClassify.Packaging;
using AutoClassify.Tensors;
using AutoClassify.Tests.Models.Segmenters;
using AutoClassify.Tests.Reporting;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Segmentation;

/// <summary>A registry holding one small U-Net that <c>train-segmenter</c> trained on touching discs, for the tests that use it.</summary>
public sealed class TrainedSegmenterRegistry : IDisposable
{
    readonly TempDirectory temp = new("seg-model");

    public TrainedSegmenterRegistry()
    {
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 6, size: 96, pairs: 4, seed: 300);
        Registry = temp.Combine("registry");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        Code = CliApp.Run(
        [
            "train-segmenter", data, "--model", "unet", "--name", "discs", "--registry", Registry,
            "--depth", "2", "--width", "8", "--patch-size", "48", "--batch-size", "4", "--steps-per-epoch", "25", "--epochs", "8",
            "--patience", "8", "--learning-rate", "0.003", "--no-augmentation", "--tile-size", "64", "--tile-overlap", "16", "--threads", "2", "--seed", "7",
        ], stdout, stderr);
        Output = stdout.ToString() + stderr;
    }

    public string Registry { get; }

    public int Code { get; }

    public string Output { get; }

    public void Dispose() => temp.Dispose();
}

[Collection(TorchTests.Name)]
public sealed class LearnedSegmentCommandTests(TrainedSegmenterRegistry trained, ITestOutputHelper log) : IClassFixture<TrainedSegmenterRegistry>, IDisposable
{
    readonly TempDirectory temp = new("seg-learned");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_store_a_versioned_package_with_provenance_that_models_list_shows()
    {
        log.WriteLine(trained.Output);
        Assert.Equal(ExitCodes.Success, trained.Code);
        Assert.Contains("Stored 'discs' version 1 (unet, instance scheme, 6 training images)", trained.Output, StringComparison.Ordinal);
        Assert.Contains("it is the champion", trained.Output, StringComparison.Ordinal);

        var registry = new ModelRegistry(trained.Registry);
        var manifest = ModelPackage.ReadManifest(registry.ResolveChampion("discs"));
        Assert.Equal("unet", manifest.ModelKind);
        Assert.Equal(["background", "foreground"], manifest.ClassNames);
        Assert.Equal("sliding-window", manifest.Preprocessing.InputMode);
        // Every image and mask is hashed, so the training set can be traced
        Assert.Equal(12, manifest.Provenance.TrainingFiles.Count);
        Assert.Contains(manifest.Provenance.TrainingFiles, f => f.Path == "field0.mask.png");
        Assert.Equal(64, manifest.Provenance.TrainingSetSha256.Length);
        Assert.Equal(7, manifest.Provenance.Seed);
        Assert.Equal("instances", manifest.Provenance.Facts["mask_kind"]);
        Assert.Equal("200", manifest.Provenance.Facts["steps_run"]);
        var losses = manifest.Provenance.Facts["train_loss_curve"].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(losses[^1] < 0.5 * losses[0], $"The training loss fell only from {losses[0]} to {losses[^1]}.");

        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        Assert.Equal(ExitCodes.Success, CliApp.Run(["models", "list", "--registry", trained.Registry], stdout, new StringWriter()));
        Assert.Contains("discs", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("unet", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_count_touching_discs_leave_border_cut_ones_out_of_the_sizes_and_write_probability_maps()
    {
        // Given two unseen fields, one cropped through a disc so that it is cut by the border, and a corrupt image
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        var (whole, wholeMask) = TouchingDiscs.Generate(120, 110, pairs: 5, seed: 910);
        PngWriter.Write(Path.Combine(input, "whole.png"), whole);
        var (field, fieldMask) = TouchingDiscs.Generate(130, 120, pairs: 5, seed: 911);
        var cut = CentreColumnOfRightmostDisc(fieldMask, 130);
        var cropped = field.Crop(0, 0, 0, 130 - cut);
        var croppedMask = Crop(fieldMask, 130, 120, cut);
        PngWriter.Write(Path.Combine(input, "cut.png"), cropped);
        File.WriteAllBytes(Path.Combine(input, "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
        var output = temp.Combine("out");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        // When segmented with the registry model at 2 nm per pixel
        var code = CliApp.Run(["segment", input, "--out", output, "--model", "discs", "--registry", trained.Registry, "--nm-per-pixel", "2", "--min-area", "10"], stdout, stderr);

        // Then the corrupt image is listed and the batch goes on
        log.WriteLine(stdout.ToString() + stderr);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("broken.png", stderr.ToString(), StringComparison.Ordinal);
        // And every output of the classical command is there, with a probability map per output channel
        foreach (var name in new[] { "whole.png", "cut.png" })
        {
            Assert.True(File.Exists(Path.Combine(output, "labels", name + ".labels.png")));
            Assert.True(File.Exists(Path.Combine(output, "overlays", name + ".overlay.png")));
            foreach (var channel in new[] { "background", "interior", "boundary" })
                Assert.True(File.Exists(Path.Combine(output, "probabilities", name + "." + channel + ".png")), $"{name} {channel}");
        }
        var interior = ImageCodec.Decode(Path.Combine(output, "probabilities", "whole.png.interior.png"));
        Assert.Equal((120, 110), (interior.Width, interior.Height));
        Assert.True(interior.Pixels.Max() > 0.9f && interior.Pixels.Min() < 0.1f, "The interior map does not separate discs from background.");

        // And the particles match the truth: each field's discs clear of the border are counted and measured in nm,
        // and the discs the crop cut are flagged and left out of the sizes
        var rows = File.ReadAllLines(Path.Combine(output, "particles.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        foreach (var (name, mask, width, height) in new[] { ("whole.png", wholeMask, 120, 110), ("cut.png", croppedMask, cut, 120) })
        {
            var (inside, border) = TruthCounts(mask, width, height);
            var mine = rows.Where(r => r[0] == name).ToList();
            var measured = mine.Count(r => r[2] == "false");
            var flagged = mine.Count(r => r[2] == "true");
            log.WriteLine($"{name}: {measured} measured (truth {inside}), {flagged} border-cut (truth {border})");
            Assert.InRange(measured, inside - 1, inside + 1);
            Assert.InRange(flagged, border - 1, border + 1);
            Assert.All(mine, r => Assert.Equal("nm", r[3]));
            // Disc radii are 7 to 11 px: equivalent diameters of 28 to 44 nm at 2 nm per pixel, give or take the edge
            Assert.All(mine.Where(r => r[2] == "false"), r => Assert.InRange(double.Parse(r[5], CultureInfo.InvariantCulture), 22, 50));
        }
        Assert.True(TruthCounts(croppedMask, cut, 120).Border >= 1);
        Assert.Contains(rows, r => r[0] == "cut.png" && r[2] == "true");
        var summary = File.ReadAllLines(Path.Combine(output, "summary.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(summary, s => Assert.Equal(int.Parse(s[4], CultureInfo.InvariantCulture) - int.Parse(s[5], CultureInfo.InvariantCulture), int.Parse(s[6], CultureInfo.InvariantCulture)));

        // And the report names the model and shows the histogram
        var html = File.ReadAllText(Path.Combine(output, "index.html"));
        Assert.Contains("trained model discs (unet)", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_segment_with_a_package_file_as_well_as_a_registry_name()
    {
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        PngWriter.Write(Path.Combine(input, "a.png"), TouchingDiscs.Generate(100, 90, pairs: 3, seed: 920).Image);
        var package = new ModelRegistry(trained.Registry).ResolveChampion("discs");

        var code = CliApp.Run(["segment", input, "--out", temp.Combine("out"), "--model", package], new StringWriter(), new StringWriter());

        Assert.Equal(ExitCodes.Success, code);
        Assert.True(File.ReadAllLines(temp.Combine("out", "particles.csv")).Length > 1);
    }

    [Fact]
    public void Should_run_bf16_where_the_cpu_computes_it_and_refuse_it_where_it_would_be_emulated_or_there_is_no_network()
    {
        var segment = OneField(925);

        // An unknown format and a network-less pipeline are refused by name, before anything is written
        AssertRefused(
            (segment("o1", "--model", "discs", "--registry", trained.Registry, "--precision", "fp16"), "--precision must be fp32 or bf16, not 'fp16'"),
            (segment("o2", "--precision", "bf16"), "--precision bf16 applies to a U-Net segmenter (--model)"));
        Assert.False(File.Exists(temp.Combine("o2", "particles.csv")));

        // And with the trained U-Net, bf16 runs and is named in the report where the CPU has it, and is refused elsewhere
        using var err = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(segment("o3", "--model", "discs", "--registry", trained.Registry, "--precision", "bf16"), new StringWriter(), err);
        log.WriteLine($"native bfloat16: {InferencePrecisions.NativeBFloat16}; exit {code}; {err}");
        if (InferencePrecisions.NativeBFloat16)
        {
            Assert.Equal(ExitCodes.Success, code);
            Assert.True(File.ReadAllLines(temp.Combine("o3", "particles.csv")).Length > 1);
            Assert.Contains("bf16 forward passes", File.ReadAllText(temp.Combine("o3", "index.html")), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("needs a CPU with native bfloat16", err.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_average_test_time_flips_of_a_u_net_and_refuse_other_counts_or_no_network()
    {
        var segment = OneField(926);

        // A count other than 1, 2 or 4, and flips without a network, are refused before anything is written
        AssertRefused(
            (segment("f1", "--model", "discs", "--registry", trained.Registry, "--flips", "3"), "--flips must be 1, 2 or 4, not 3"),
            (segment("f2", "--flips", "2"), "--flips 2 applies to a U-Net segmenter (--model)"));
        Assert.False(File.Exists(temp.Combine("f2", "particles.csv")));

        // With the U-Net, four views give other probability maps than one, and the report says so
        Assert.Equal(ExitCodes.Success, CliApp.Run(segment("f3", "--model", "discs", "--registry", trained.Registry), new StringWriter(), new StringWriter()));
        Assert.Equal(ExitCodes.Success, CliApp.Run(segment("f4", "--model", "discs", "--registry", trained.Registry, "--flips", "4"), new StringWriter(), new StringWriter()));
        var one = Directory.GetFiles(temp.Combine("f3", "probabilities")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var four = Directory.GetFiles(temp.Combine("f4", "probabilities")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        Assert.Equal(one.Length, four.Length);
        Assert.Contains(one.Zip(four), pair => !pair.First.AsSpan().SequenceEqual(pair.Second));
        Assert.Contains("averaged over 4 views", File.ReadAllText(temp.Combine("f4", "index.html")), StringComparison.Ordinal);
        Assert.DoesNotContain("averaged over", File.ReadAllText(temp.Combine("f3", "index.html")), StringComparison.Ordinal);
    }

    delegate string[] SegmentLine(string output, params string[] more);

    /// <summary>A folder holding one generated field; the result builds a <c>segment</c> command line over it.</summary>
    SegmentLine OneField(int seed)
    {
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        PngWriter.Write(Path.Combine(input, "a.png"), TouchingDiscs.Generate(100, 90, pairs: 3, seed: seed).Image);
        return (string output, params string[] more) => ["segment", input, "--out", temp.Combine(output), .. more];
    }

    /// <summary>Each command line exits with code 2 and its expected message, without a stack trace.</summary>
    static void AssertRefused(params (string[] Arguments, string Expected)[] cases)
    {
        foreach (var (arguments, expected) in cases)
        {
            using var stderr = new StringWriter(CultureInfo.InvariantCulture);
            Assert.Equal(ExitCodes.BadInput, CliApp.Run(arguments, new StringWriter(), stderr));
            Assert.Contains(expected, stderr.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(" at ", stderr.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_refuse_a_damaged_package_or_an_unknown_name_with_exit_code_2_and_no_stack_trace()
    {
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        PngWriter.Write(Path.Combine(input, "a.png"), TouchingDiscs.Generate(64, 64, pairs: 1, seed: 930).Image);
        File.WriteAllBytes(temp.File("bad.acpkg"), [1, 2, 3, 4]);

        foreach (var (model, expected) in new[] { (temp.File("bad.acpkg"), "bad.acpkg"), ("nosuch", "No model 'nosuch'") })
        {
            using var stderr = new StringWriter(CultureInfo.InvariantCulture);
            var code = CliApp.Run(["segment", input, "--out", temp.Combine("out"), "--model", model, "--registry", trained.Registry], new StringWriter(), stderr);

            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains(expected, stderr.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(" at ", stderr.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_list_every_data_problem_before_training_with_exit_code_2()
    {
        // Given one image without a mask and one whose mask has another size
        var data = temp.Combine("bad-data");
        Directory.CreateDirectory(data);
        var (image, mask) = TouchingDiscs.Generate(64, 64, pairs: 1, seed: 940);
        PngWriter.Write(Path.Combine(data, "lonely.png"), image);
        PngWriter.Write(Path.Combine(data, "odd.png"), image);
        TouchingDiscs.WriteInstances(Path.Combine(data, "odd.mask.png"), [.. mask.Take(64 * 60)], 64, 60);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);

        var code = CliApp.Run(["train-segmenter", data, "--name", "x", "--registry", temp.Combine("reg"), "--epochs", "1"], new StringWriter(), stderr);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("lonely.png", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("has no mask", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("odd.png", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("reg", "x")));
    }

    [Fact]
    public void Should_train_in_bf16_where_the_cpu_computes_it_record_it_and_refuse_it_elsewhere_or_misspelt()
    {
        var data = TouchingDiscs.WriteFolder(temp.Combine("data"), count: 4, size: 64, pairs: 2, seed: 310);
        string[] Train(string name, string precision) =>
        [
            "train-segmenter", data, "--model", "unet", "--name", name, "--registry", temp.Combine("reg"), "--train-precision", precision,
            "--depth", "2", "--width", "8", "--patch-size", "32", "--batch-size", "2", "--steps-per-epoch", "3", "--epochs", "2",
            "--tile-size", "64", "--tile-overlap", "16", "--threads", "2", "--seed", "7",
        ];

        using var misspelt = new StringWriter(CultureInfo.InvariantCulture);
        Assert.Equal(ExitCodes.BadInput, CliApp.Run(Train("x", "fp16"), new StringWriter(), misspelt));
        Assert.Contains("--train-precision must be fp32 or bf16, not 'fp16'", misspelt.ToString(), StringComparison.Ordinal);

        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = CliApp.Run(Train("low", "bf16"), new StringWriter(), stderr);
        log.WriteLine($"native bfloat16: {InferencePrecisions.NativeBFloat16}; exit {code}; {stderr}");
        if (!InferencePrecisions.NativeBFloat16)
        {
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("--train-precision bf16 needs a CPU with native bfloat16", stderr.ToString(), StringComparison.Ordinal);
            Assert.False(Directory.Exists(temp.Combine("reg", "low")));
            return;
        }
        Assert.True(code == ExitCodes.Success, stderr.ToString());
        var manifest = ModelPackage.ReadManifest(new ModelRegistry(temp.Combine("reg")).ResolveChampion("low"));
        Assert.Equal("bf16", manifest.Provenance.Facts["training_precision"]);
    }

    [Fact]
    public void Should_name_every_bad_training_option_at_once_with_exit_code_2()
    {
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(temp.Combine("d"));

        var code = CliApp.Run(["train-segmenter", temp.Combine("d"), "--name", "x", "--registry", temp.Combine("reg"), "--depth", "9", "--batch-size", "0"], new StringWriter(), stderr);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("Depth must lie in [1, 6], got 9", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("BatchSize must lie in [1, 1024], got 0", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_show_the_overlays_link_the_probability_maps_and_draw_the_histogram_in_the_browser()
    {
        // Given two unseen fields of touching discs segmented with the registry model
        Chromium.Require();
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        foreach (var (name, seed) in new[] { ("first.png", 920), ("second field.png", 921) })
            PngWriter.Write(Path.Combine(input, name), TouchingDiscs.Generate(120, 110, pairs: 5, seed: seed).Image);
        var output = temp.Combine("out");
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        Assert.Equal(ExitCodes.Success, CliApp.Run(["segment", input, "--out", output, "--model", "discs", "--registry", trained.Registry, "--nm-per-pixel", "2", "--min-area", "10"], stdout, stderr));
        var html = Path.Combine(output, "index.html");

        // When Chromium builds the page, lays it out at a desktop and a phone width, and paints it
        var (dom, console) = Chromium.RunWithConsole(temp, "--dump-dom", new Uri(html).AbsoluteUri);
        var layouts = new[] { 1280, 480 }.Select(width => ReportLayoutCheck.Measure(temp, html, width)).ToList();
        var png = ReportLayoutCheck.Screenshot(temp, html, "segment-model-1280", 1280, 3000);

        // Then the page logs nothing (no blocked load, no policy violation)
        Assert.Empty(console);
        // And both overlay previews are drawn, with captions and alt text, and the page fits the window
        Assert.Equal(2, Regex.Count(dom, "<figure><a href=\"overlays/[^\"]+\"><img src=\"data:image/png;base64,"));
        foreach (var layout in layouts)
        {
            Assert.True(layout.ScrollWidth <= layout.Width, $"The page scrolls sideways at {layout.Width} px. Wide: {string.Join("; ", layout.WideElements)}");
            Assert.True(layout.Images >= 2, $"{layout.Images} images");
            Assert.Empty(layout.ImagesNotDrawn ?? ["not measured"]);
            Assert.Empty(layout.ImagesWithoutAlt);
            Assert.Empty(layout.FiguresWithoutCaption);
            Assert.Empty(layout.BrokenLinks);
            // Links to the files beside the report are its only references; it loads nothing
            Assert.All(layout.ExternalReferences, r => Assert.StartsWith("href=", r, StringComparison.Ordinal));
        }
        // And the histogram of diameters is there as an SVG
        Assert.Matches("<figure id=\"diameter-histogram\"><svg", dom);
        // And each image links its three probability maps, and every file link of the page leads to a file that exists
        var probabilityLinks = Regex.Matches(dom, "<a class=\"probability\" href=\"([^\"]+)\">").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2 * 3, probabilityLinks.Count);
        Assert.Contains("probabilities/second%20field.png.interior.png", probabilityLinks);
        var fileLinks = Regex.Matches(dom, "href=\"([^\"#][^\"]*)\"").Select(m => Uri.UnescapeDataString(m.Groups[1].Value)).ToList();
        // per image: overlay, labels and three maps in the table, and the overlay again behind the preview
        Assert.Equal(2 * 6, fileLinks.Count);
        Assert.All(fileLinks, link => Assert.True(File.Exists(Path.Combine(output, link)), $"{link} does not exist."));
        // And the painted page shows the tinted particles of the previews
        var image = PngImage.Read(png);
        var tinted = 0;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var (r, g, b) = image[x, y];
                if (Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b)) > 80)
                    tinted++;
            }
        }
        log.WriteLine($"{tinted} tinted pixels in {png}");
        Assert.True(tinted > 5000, $"Expected the tinted particles of two previews, found {tinted} coloured pixels.");
    }

    static int CentreColumnOfRightmostDisc(int[] mask, int width)
    {
        var xs = new Dictionary<int, (double Sum, int Count)>();
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] > 0)
            {
                var (sum, count) = xs.GetValueOrDefault(mask[i]);
                xs[mask[i]] = (sum + (i % width), count + 1);
            }
        }
        return (int)Math.Round(xs.Values.Max(v => v.Sum / v.Count));
    }

    static int[] Crop(int[] mask, int width, int height, int keptWidth)
    {
        var result = new int[keptWidth * height];
        for (var y = 0; y < height; y++)
            Array.Copy(mask, y * width, result, y * keptWidth, keptWidth);
        return result;
    }

    static (int Inside, int Border) TruthCounts(int[] mask, int width, int height)
    {
        var all = mask.Where(v => v > 0).ToHashSet();
        var border = new HashSet<int>();
        for (var i = 0; i < mask.Length; i++)
        {
            int x = i % width, y = i / width;
            if (mask[i] > 0 && (x == 0 || y == 0 || x == width - 1 || y == height - 1))
                border.Add(mask[i]);
        }
        return (all.Count - border.Count, border.Count);
    }
}
