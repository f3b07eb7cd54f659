using System.Globalization;
using AutoClassify.Reporting;
using AutoClassify.Segmentation;
using AutoClassify.Tests.Segmentation;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Preprocessing;

public sealed class ResampleCommandsTests : IDisposable
{
    readonly TempDirectory folder = new("resample-commands");

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Should_measure_one_specimen_at_two_magnifications_alike_in_features_with_resample_nm()
    {
        // Given the same disk (240 nm across) imaged at 10 nm per pixel in class a and at 5 nm per pixel in class b
        var root = folder.Combine("data");
        for (var i = 0; i < 2; i++)
        {
            Directory.CreateDirectory(Path.Combine(root, "a"));
            Directory.CreateDirectory(Path.Combine(root, "b"));
            ScaleBarOcrTests.WriteTiff(Path.Combine(root, "a", $"coarse{i}.tif"), TestImages.Disk(64, 12, seed: i), nanometres: 10);
            ScaleBarOcrTests.WriteTiff(Path.Combine(root, "b", $"fine{i}.tif"), TestImages.Disk(128, 24, seed: i), nanometres: 5);
        }

        // When features are exported with and without --resample-nm 10
        var plain = Run("features", root, "--out", folder.File("plain.csv"), "--threads", "1");
        var resampled = Run("features", root, "--out", folder.File("resampled.csv"), "--threads", "1", "--resample-nm", "10");

        // Then the object's area differs fourfold in pixels but agrees once both are at 10 nm per pixel
        Assert.True(plain.Code == 0, plain.Err);
        Assert.True(resampled.Code == 0, resampled.Err);
        var (coarse, fine) = Areas(folder.File("plain.csv"));
        Assert.InRange(fine / coarse, 3.5, 4.5);
        (coarse, fine) = Areas(folder.File("resampled.csv"));
        Assert.InRange(fine / coarse, 0.9, 1.1);
    }

    static (double Coarse, double Fine) Areas(string csv)
    {
        // The plain CSV: path, class, then the features; no cell needs quoting here.
        var lines = File.ReadAllLines(csv);
        var area = lines[0].Split(',').ToList().IndexOf("area");
        double Mean(string prefix) => lines.Skip(1).Where(l => l.Contains(prefix, StringComparison.Ordinal))
            .Average(l => double.Parse(l.Split(',')[area], CultureInfo.InvariantCulture));
        return (Mean("coarse"), Mean("fine"));
    }

    [Fact]
    public void Should_give_particle_sizes_in_nm_at_one_scale_when_segment_resamples()
    {
        // Given one scene of particles 8 nm across, imaged at 2 nm per pixel and at 1 nm per pixel
        var input = folder.Combine("fields");
        Directory.CreateDirectory(input);
        var coarse = ParticleFields.Scatter(128, 128, Enumerable.Repeat(4.0, 8).ToList(), seed: 3);
        var fine = coarse.Select(d => d with { X = d.X * 2, Y = d.Y * 2, Radius = d.Radius * 2 }).ToList();
        ScaleBarOcrTests.WriteTiff(Path.Combine(input, "coarse.tif"), ParticleFields.Render(128, 128, coarse, seed: 4), nanometres: 2);
        ScaleBarOcrTests.WriteTiff(Path.Combine(input, "fine.tif"), ParticleFields.Render(256, 256, fine, seed: 4), nanometres: 1);

        // When they are segmented without and with --resample-nm 2
        var plain = ParticleBatch.Run(input, folder.Combine("plain"), new ParticleBatchOptions { Threads = 1 });
        var resampled = ParticleBatch.Run(input, folder.Combine("resampled"), new ParticleBatchOptions { Threads = 1, ResampleNm = 2 });
        var cli = Run("segment", input, "--out", folder.Combine("cli"), "--resample-nm", "2", "--threads", "1");

        // Then without it the scales disagree and sizes stay in pixels; with it both measure in nm, alike
        Assert.Equal("px", plain.Images[0].Summary.Unit);
        Assert.NotNull(plain.Options.ScaleWarning);
        Assert.All(resampled.Images, i => Assert.Equal("nm", i.Summary.Unit));
        Assert.StartsWith("--resample-nm", resampled.Options.ScaleSource, StringComparison.Ordinal);
        var medians = resampled.Images.Select(i => i.Summary.DiameterQ50).ToList();
        Assert.InRange(medians.Max() / medians.Min(), 1, 1.15);
        Assert.InRange(medians.Average(), 12, 20);
        Assert.True(cli.Code == 0, cli.Err);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Segmented 2 images"), cli.Out, StringComparison.Ordinal);
    }
}
