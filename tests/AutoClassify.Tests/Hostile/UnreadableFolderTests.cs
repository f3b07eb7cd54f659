using System.Diagnostics;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Hostile;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UnreadableFolderTests : IDisposable
{
    readonly TempDirectory temp = new("hostile-unreadable");

    public void Dispose()
    {
        foreach (var dir in Directory.GetDirectories(temp.Path, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        temp.Dispose();
    }

    [SkippableFact]
    public void Should_list_an_unreadable_subfolder_as_skipped_and_go_on()
    {
        // Given a data set whose class folder holds a subfolder nobody may read
        Skip.IfNot(OperatingSystem.IsLinux(), "permission bits are a Unix test");
        var data = temp.Combine("data");
        TestImages.WriteClass(data, "a", 3);
        TestImages.WriteClass(data, "b", 3);
        TestImages.WriteClass(Path.Combine(data, "a"), "secret", 2);
        File.SetUnixFileMode(Path.Combine(data, "a", "secret"), UnixFileMode.None);
        var output = temp.Combine("out");
        Directory.CreateDirectory(output);
        File.SetUnixFileMode(output, (UnixFileMode)0b111_111_111);

        // When its features are exported by a user who is not root (root reads everything, so the test drops to 'nobody')
        var (code, stdout, stderr) = RunAsUnprivileged("features", data, "--out", Path.Combine(output, "f.csv"), "--threads", "1");

        // Then the folder is named with the cause, the other images are used, and nothing crashes
        Assert.True(code == 0, stderr);
        Assert.Contains("skipped a/secret/: folder cannot be read (permission denied)", stderr, StringComparison.Ordinal);
        Assert.Contains("Wrote 6 rows", stdout, StringComparison.Ordinal);
    }

    static (int Code, string Out, string Err) RunAsUnprivileged(params string[] args)
    {
        if (Environment.UserName != "root")
            return CliRunner.Run(args);
        Skip.IfNot(File.Exists("/usr/bin/setpriv"), "running as root without setpriv (util-linux) to drop to an unprivileged user");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "/usr/share/dotnet/dotnet";
        var start = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", dotnet, Path.Combine(AppContext.BaseDirectory, "autoclassify.dll"), .. args])
            start.ArgumentList.Add(arg);
        start.Environment["HOME"] = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Skip.If(stderr.Contains("Permission denied", StringComparison.Ordinal) && !stderr.Contains("skipped", StringComparison.Ordinal),
            "the unprivileged user cannot run the test build here: " + stderr.Trim());
        return (process.ExitCode, stdout.Result, stderr);
    }
}
