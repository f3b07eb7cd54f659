using System.Diagnostics;

namespace AutoClassify.Tests.Support;

/// <summary>
/// A tiny tmpfs mounted for one test: read-only, or full. Mounting needs root (CI runs as root); elsewhere
/// <see cref="TryMount"/> returns null with the reason, and the test skips saying so.
/// </summary>
internal sealed class SmallFileSystem : IDisposable
{
    SmallFileSystem(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="kilobytes"/> at a new folder; read-only when asked.</summary>
    public static SmallFileSystem? TryMount(string parent, bool readOnly, int kilobytes, out string reason)
    {
        var path = System.IO.Path.Combine(parent, readOnly ? "read-only-fs" : "small-fs");
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            reason = "mounting a test file system needs root on Linux (CI runs as root)";
            return null;
        }
        var (code, error) = Execute("mount", "-t", "tmpfs", "-o", $"{(readOnly ? "ro," : "")}size={kilobytes}k,mode=0777", "tmpfs", path);
        if (code != 0)
        {
            reason = "mount was not permitted here: " + error.Trim();
            return null;
        }
        reason = "";
        return new SmallFileSystem(path);
    }

    /// <summary>Writes zeros until the file system is full.</summary>
    public void Fill()
    {
        using var stream = new FileStream(System.IO.Path.Combine(Path, "filler.bin"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // The file system is full, which is the point.
        }
    }

    public void Dispose() => Execute("umount", "-l", Path);

    static (int Code, string Error) Execute(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
