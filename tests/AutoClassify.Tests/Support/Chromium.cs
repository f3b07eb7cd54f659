using System.Diagnostics;
using System.Text;

namespace AutoClassify.Tests.Support;

/// <summary>Debian's headless Chromium, for tests that check an HTML report as a reader's browser builds it.</summary>
internal static class Chromium
{
    const string ChromiumPath = "/usr/bin/chromium";
    static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The DOM Chromium builds from an HTML file.</summary>
    public static string DumpDom(TempDirectory dir, string htmlPath)
    {
        Require();
        return Run(dir, "--dump-dom", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri);
    }

    public static void Require()
    {
        if (!File.Exists(ChromiumPath))
            Assert.Fail($"Chromium is needed to check the HTML report but {ChromiumPath} does not exist: run scripts/install-deps.sh --with-browser.");
    }

    /// <summary>Runs headless Chromium with a fresh profile and no network chatter; returns stdout.</summary>
    public static string Run(TempDirectory dir, params string[] arguments) => Start(dir, arguments).Stdout;

    /// <summary>
    /// Runs headless Chromium like <see cref="Run"/> with its log on; returns stdout and every message the page wrote
    /// to the console (a blocked load, a policy violation), which a script-free report should never cause.
    /// </summary>
    public static (string Stdout, IReadOnlyList<string> Console) RunWithConsole(TempDirectory dir, params string[] arguments)
    {
        var (stdout, stderr) = Start(dir, ["--enable-logging=stderr", "--v=0", .. arguments]);
        var console = stderr.Split('\n').Where(line => line.Contains(":CONSOLE", StringComparison.Ordinal)).Select(line => line.Trim()).ToList();
        return (stdout, console);
    }

    static (string Stdout, string Stderr) Start(TempDirectory dir, string[] arguments)
    {
        var start = new ProcessStartInfo(ChromiumPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync" })
            start.ArgumentList.Add(a);
        start.ArgumentList.Add($"--user-data-dir={Path.Combine(dir.Path, "chromium-profile-" + Guid.NewGuid().ToString("N"))}");
        foreach (var a in arguments)
            start.ArgumentList.Add(a);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ChromiumPath}.");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(BrowserTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"Chromium did not finish within {BrowserTimeout.TotalSeconds} s. stderr:\n{stderr}");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"Chromium exited with {process.ExitCode}. stderr:\n{stderr}");
        lock (stdout)
            lock (stderr)
                return (stdout.ToString(), stderr.ToString());
    }
}
