using AutoClassify.Dataset;

namespace AutoClassify.Cli;

/// <summary>An output path that cannot be used; found before any work starts (exit code 2).</summary>
internal sealed class UnusableOutputException(string message) : Exception(message);

/// <summary>
/// Checks a command's output paths before any work starts: an output may not be one of the inputs or lie inside a
/// data tree, a file output may not name a folder (nor a folder output a file), and its folder must be writable.
/// </summary>
internal static class OutputGuard
{
    /// <summary>Checks a file that the command will write; returns its full path.</summary>
    /// <param name="path">The output file as given.</param>
    /// <param name="option">The option that named it, for the message (e.g. <c>--out</c>).</param>
    /// <param name="inputs">Files the command reads (never to be overwritten).</param>
    /// <param name="dataFolders">Folders the command reads as data (nothing is written inside them).</param>
    internal static string File(string path, string option, IEnumerable<string> inputs, IEnumerable<string> dataFolders)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new UnusableOutputException($"error: {option} '{path}' is a folder; give the name of a file to write.");
        var real = RealOrPlanned(full);
        foreach (var input in inputs)
        {
            if (DataTree.RealPath(Path.GetFullPath(input)) is { } realInput && realInput == real)
                throw new UnusableOutputException($"error: {option} '{path}' is one of the inputs; writing it would destroy that file. Choose another name.");
        }
        RefuseInsideData(path, real, option, dataFolders);
        EnsureWritableFolder(Path.GetDirectoryName(full)!, option, path);
        return full;
    }

    /// <summary>Checks a folder that the command will create or write into; returns its full path.</summary>
    internal static string Folder(string path, string option, IEnumerable<string> dataFolders)
    {
        var full = Path.GetFullPath(path);
        if (System.IO.File.Exists(full))
            throw new UnusableOutputException($"error: {option} '{path}' is a file; give a folder.");
        RefuseInsideData(path, RealOrPlanned(full), option, dataFolders);
        EnsureWritableFolder(full, option, path);
        return full;
    }

    static void RefuseInsideData(string path, string real, string option, IEnumerable<string> dataFolders)
    {
        foreach (var folder in dataFolders)
        {
            var full = Path.GetFullPath(folder);
            if (DataTree.RealPath(full) is { } realFolder && Directory.Exists(realFolder) && DataTree.IsWithin(real, realFolder))
                throw new UnusableOutputException($"error: {option} '{path}' lies inside the data folder '{folder}'; outputs there would overwrite or join the data. Write it elsewhere.");
        }
    }

    // The real path of the deepest part that exists, with the rest appended: where the output will actually land.
    static string RealOrPlanned(string full)
    {
        var existing = full;
        var rest = new Stack<string>();
        while (!System.IO.File.Exists(existing) && !Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }
        var real = DataTree.RealPath(existing) ?? existing;
        return rest.Aggregate(real, Path.Combine);
    }

    // A probe file in the folder, or in its deepest existing parent when the command will create it, so a read-only
    // or full place fails now rather than after the work, and nothing is left behind.
    static void EnsureWritableFolder(string folder, string option, string given)
    {
        var existing = folder;
        while (!Directory.Exists(existing))
        {
            if (System.IO.File.Exists(existing))
                throw new UnusableOutputException($"error: {option} '{given}' cannot be created: '{existing}' is a file, not a folder.");
            existing = Path.GetDirectoryName(existing) ?? throw new UnusableOutputException($"error: {option} '{given}' has no existing parent folder.");
        }
        try
        {
            var probe = Path.Combine(existing, $".autoclassify-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnusableOutputException($"error: {option} '{given}' cannot be written: {CliApp.IoCause(e)} in '{existing}'.");
        }
    }
}
