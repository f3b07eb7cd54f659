using AutoClassify.Imaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing.Formats;

/// <summary>A data set mixing DM4, MRC stacks, FEI and Zeiss TIFFs, TIA SER and PNGs through benchmark, train, predict and segment.</summary>
public class EmFormatCliTests
{
    static string WriteMixed(TempDirectory dir)
    {
        var data = dir.Combine("mixed");
        var a = Path.Combine(data, "a");
        var b = Path.Combine(data, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        File.Copy(EmSamples.File("tif_fei_helios_sem_8bit_512x471_PixelWidth_3.37um.tif"), Path.Combine(a, "fei.tif"));
        File.Copy(EmSamples.File("tif_zeiss_sem_8bit_512x384_PixelSize_5.825nm.tif"), Path.Combine(a, "zeiss.tif"));
        EmFormatDatasetTests.WriteStacks(a, stacks: 1, sections: 3, radius: 6, cellX: 320);
        File.Copy(EmSamples.File("dm4_float32_128x64_nonsquare_nm_and_A.dm4"), Path.Combine(b, "ramp.dm4"));
        File.Copy(EmSamples.File("tia_v220_int32_128x128_5.26nm_1.ser"), Path.Combine(b, "tem.ser"));
        for (var i = 0; i < 2; i++)
            ImageCodec.Save(new GrayImage(48, 48, [.. Enumerable.Range(0, 48 * 48).Select(p => (float)Math.Abs(Math.Sin(p * (i + 1) * 0.01)))]), Path.Combine(b, $"plain{i}.png"));
        return data;
    }

    [Fact]
    public void Should_run_a_mixed_microscope_data_set_through_every_command()
    {
        using var dir = new TempDirectory("em-cli");
        var data = WriteMixed(dir);

        // benchmark: every image read, the scale sources and their disagreement in the report
        var report = dir.Combine("report");
        var (code, output, error) = CliRunner.Run("benchmark", data, "--models", "svm", "--folds", "2", "--grid", "coarse", "--inner-folds", "2", "--threads", "1", "--out", report);
        Assert.True(code == 0, $"benchmark exited {code}: {error}{output}");
        Assert.Contains("do not", output, StringComparison.Ordinal);
        var json = File.ReadAllText(Path.Combine(report, "results.json"));
        foreach (var source in new[] { "FEI/Thermo tag 34682 PixelWidth", "Zeiss tag 34118 Pixel Size", "MRC header (cella / mx)", "DM calibration", "TIA calibration (CalibrationDeltaX/Y)" })
            Assert.Contains(source, json, StringComparison.Ordinal);
        Assert.Contains("a/stack0.mrcs#3", json, StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("id=\"scale-per-class\"", html, StringComparison.Ordinal);
        Assert.Contains("none (no metadata): 2", html, StringComparison.Ordinal);

        // benchmark --resample-nm: refused, naming the images that declare no pixel size
        (code, _, error) = CliRunner.Run("benchmark", data, "--models", "svm", "--folds", "2", "--resample-nm", "4", "--out", dir.Combine("r2"));
        Assert.Equal(2, code);
        Assert.Contains("b/plain0.png", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

        // train and predict on the same files, stack sections included
        var registry = dir.Combine("models");
        (code, output, error) = CliRunner.Run("train", data, "--model", "svm", "--name", "mixed", "--registry", registry, "--grid", "coarse", "--threads", "1", "--validation", "0", "--reference", "0");
        Assert.True(code == 0, $"train exited {code}: {error}{output}");
        var csv = dir.File("predictions.csv");
        (code, output, error) = CliRunner.Run("predict", "mixed", data, "--registry", registry, "--out", csv, "--threads", "1");
        Assert.True(code == 0, $"predict exited {code}: {error}{output}");
        var rows = File.ReadAllLines(csv);
        Assert.Equal(1 + 9, rows.Length);
        Assert.Contains(rows, r => r.Contains("stack0.mrcs#2", StringComparison.Ordinal));

        // segment: the PNGs declare no scale, so sizes stay in pixels and the report says why
        (code, output, error) = CliRunner.Run("segment", data, "--out", dir.Combine("particles"), "--threads", "1");
        Assert.True(code == 0, $"segment exited {code}: {error}{output}");
        Assert.Contains("7 of 9 images declare a pixel size; sizes stay in pixels", File.ReadAllText(dir.Combine("particles", "index.html")), StringComparison.Ordinal);
    }
}
