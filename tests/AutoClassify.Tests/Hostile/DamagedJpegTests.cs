using System.Diagnostics;
using AutoClassify.Dataset;
using AutoClassify.Imaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Hostile;

public sealed class DamagedJpegTests : IDisposable
{
    readonly TempDirectory temp = new("hostile-jpeg");

    public void Dispose() => temp.Dispose();

    /// <summary>A JPEG whose headers are intact but whose entropy-coded data is overwritten with seeded garbage.</summary>
    internal static byte[] DamagedJpeg(int seed = 1)
    {
        var bytes = ImageCodec.Encode(TestImages.Disk(96, 30, seed, noise: 0.2), ImageFileFormat.Jpeg, jpegQuality: 90);
        var sos = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        var data = sos + 2 + ((bytes[sos + 2] << 8) | bytes[sos + 3]);
        var random = new Random(seed);
        // No 0xFF, so no marker is made up and only the Huffman-coded bits are wrong.
        for (var i = data + 40; i < bytes.Length - 200; i++)
            bytes[i] = (byte)random.Next(0, 0xFF);
        return bytes;
    }

    [Fact]
    public void Should_refuse_a_jpeg_with_damaged_entropy_data_naming_the_decoder_warning()
    {
        var path = temp.File("damaged.jpg");
        File.WriteAllBytes(path, DamagedJpeg());

        var ex = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(path));

        Assert.Contains("JPEG data is damaged", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("Corrupt JPEG data", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("--keep-damaged-jpeg", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_decode_a_sound_jpeg_as_before()
    {
        var bytes = ImageCodec.Encode(TestImages.Disk(64, 20), ImageFileFormat.Jpeg);

        var image = ImageCodec.Decode(bytes, "sound.jpg");

        Assert.Equal((64, 64), (image.Width, image.Height));
        Assert.InRange(image.Pixels.Average(), 0.5, 0.7);
    }

    [Fact]
    public void Should_keep_a_damaged_jpeg_on_request_and_report_it()
    {
        var path = temp.File("damaged.jpg");
        File.WriteAllBytes(path, DamagedJpeg());
        var reported = new List<string>();

        GrayImage image;
        using (ImageLimits.KeepDamaged(true))
        using (ImageLimits.OnKeptDamage((source, reason) => reported.Add(source + ": " + reason)))
            image = ImageCodec.Decode(path);

        Assert.Equal((96, 96), (image.Width, image.Height));
        var line = Assert.Single(reported);
        Assert.StartsWith(path, line, StringComparison.Ordinal);
        Assert.Contains("damaged", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_skip_damaged_jpegs_in_a_data_set_or_keep_them_with_a_warning()
    {
        var data = temp.Combine("data");
        TestImages.WriteClass(data, "a", 5);
        TestImages.WriteClass(data, "b", 5);
        File.WriteAllBytes(Path.Combine(data, "a", "damaged.jpg"), DamagedJpeg());

        var skipping = DatasetLoader.Load(data, new DatasetOptions { Folds = 5 });
        LabeledDataset keeping;
        using (ImageLimits.KeepDamaged(true))
            keeping = DatasetLoader.Load(data, new DatasetOptions { Folds = 5 });

        Assert.Equal([5, 5], skipping.ClassCounts());
        Assert.Contains("damaged", Assert.Single(skipping.Skipped).Reason, StringComparison.Ordinal);
        Assert.Equal([6, 5], keeping.ClassCounts());
        var warning = Assert.Single(keeping.Warnings, w => w.Location == "a/damaged.jpg");
        Assert.Contains("kept", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_print_no_raw_decoder_output_on_the_console()
    {
        // Given a data set with a damaged JPEG, run by the real executable so the native stderr is captured too
        var data = temp.Combine("data");
        TestImages.WriteClass(data, "a", 3);
        TestImages.WriteClass(data, "b", 3);
        File.WriteAllBytes(Path.Combine(data, "a", "damaged.jpg"), DamagedJpeg());
        File.WriteAllBytes(Path.Combine(data, "b", "damaged2.jpg"), DamagedJpeg(seed: 2));

        // When its features are exported, once skipping and once keeping the damaged files
        var skip = RunProcess("features", data, "--out", temp.File("f.csv"), "--threads", "2");
        var keep = RunProcess("features", data, "--out", temp.File("g.csv"), "--threads", "2", "--keep-damaged-jpeg");

        // Then each damaged file is named once with the reason, and no line comes from libjpeg itself
        Assert.True(skip.Code == 0, skip.Err);
        Assert.True(keep.Code == 0, keep.Err);
        Assert.Contains("skipped a/damaged.jpg: the JPEG data is damaged", skip.Err, StringComparison.Ordinal);
        Assert.Contains("skipped b/damaged2.jpg: the JPEG data is damaged", skip.Err, StringComparison.Ordinal);
        Assert.Contains("damaged.jpg: the JPEG data is damaged", keep.Err, StringComparison.Ordinal);
        Assert.Contains("kept (--keep-damaged-jpeg)", keep.Err, StringComparison.Ordinal);
        foreach (var line in (skip.Out + skip.Err + keep.Out + keep.Err).Split('\n'))
        {
            Assert.False(line.StartsWith("Corrupt JPEG data", StringComparison.Ordinal), line);
            Assert.False(line.StartsWith("Premature end of JPEG", StringComparison.Ordinal), line);
        }
    }

    static (int Code, string Out, string Err) RunProcess(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "autoclassify.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }
}
