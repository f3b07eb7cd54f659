using System.Diagnostics;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Hostile;

public sealed partial class TerminationTests(HostileFixture fixture) : IClassFixture<HostileFixture>, IDisposable
{
    readonly TempDirectory temp = new("hostile-sigterm");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Should_stop_a_SIGTERMed_predict_on_a_large_image_promptly_with_a_plain_line_and_no_partial_output()
    {
        // Given a folder with one large image (8,000 x 8,000, allowed by the pixel limit) and a predict run on it
        var inputs = temp.Combine("inputs");
        Directory.CreateDirectory(inputs);
        ImageBombs.Png(Path.Combine(inputs, "large.png"), 8_000, 8_000);
        var output = temp.Combine("out");
        Directory.CreateDirectory(output);
        var csv = Path.Combine(output, "p.csv");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "autoclassify.dll"), "predict", fixture.Package, inputs, "--out", csv, "--threads", "1" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new System.Text.StringBuilder();
        using var started = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            lock (stdout)
                stdout.AppendLine(e.Data);
            if (e.Data?.Contains("Predicting", StringComparison.Ordinal) == true)
                started.Set();
        };
        process.BeginOutputReadLine();
        Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "predict never started: " + stdout);
        await Task.Delay(1500);
        Assert.False(process.HasExited, "the image was predicted before the signal; the test needs a larger one: " + stdout);

        // When it gets SIGTERM in the middle of the image
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Kill(process.Id, 15));
        var exited = process.WaitForExit(TimeSpan.FromSeconds(10));
        clock.Stop();
        if (!exited)
            process.Kill();

        // Then it ends within the grace period, says so in one plain line, and leaves neither the CSV nor a temporary file
        Assert.True(exited, "predict ignored SIGTERM for 10 s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(143, process.ExitCode);
        var err = await stderr;
        Assert.Contains("cancelled", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", err, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(output, "*", SearchOption.AllDirectories));
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
