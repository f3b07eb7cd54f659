using System.Runtime.InteropServices;

namespace AutoClassify.Dataset;

/// <summary>A symbolic link met while walking a data tree, with its final target's real path.</summary>
/// <param name="Path">The link itself, below the walked folder.</param>
/// <param name="Target">The real (fully resolved) path it points to; null when the target does not exist.</param>
/// <param name="IsFolder">Whether the target is a folder.</param>
public sealed record TreeLink(string Path, string? Target, bool IsFolder);

/// <summary>What a walk of a data folder found: regular files, the links it did not follow, and folders it could not read.</summary>
public sealed class TreeScan
{
    /// <summary>Regular files reached without crossing any symbolic link, in ordinal path order.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>Every symbolic link (to a file or a folder), none of them followed.</summary>
    public required IReadOnlyList<TreeLink> Links { get; init; }

    /// <summary>Folders that could not be listed, with the reason in the user's words.</summary>
    public required IReadOnlyList<(string Path, string Reason)> Unreadable { get; init; }
}

/// <summary>
/// Walks data folders without ever following a symbolic link, so a link can neither lead out of the tree nor
/// into a loop, and nothing is counted twice. Each link is handed back with its real target, for the caller to
/// refuse or to count once under the target's own path (see <see cref="Classify"/>).
/// </summary>
public static partial class DataTree
{
    /// <summary>
    /// Lists <paramref name="folder"/> recursively. Entries whose name <paramref name="ignore"/> accepts are left out
    /// with everything below them; folders that cannot be read are listed instead of failing the walk.
    /// </summary>
    public static TreeScan Scan(string folder, Func<string, bool>? ignore = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var files = new List<string>();
        var links = new List<TreeLink>();
        var unreadable = new List<(string, string)>();
        var pending = new Stack<string>();
        pending.Push(Path.GetFullPath(folder));
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            List<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(current).EnumerateFileSystemInfos().ToList();
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                unreadable.Add((current, e is UnauthorizedAccessException ? "folder cannot be read (permission denied)" : "folder cannot be read (" + e.Message + ")"));
                continue;
            }
            foreach (var entry in entries)
            {
                if (ignore?.Invoke(entry.Name) == true)
                    continue;
                if (entry.LinkTarget is not null)
                {
                    var target = RealPath(entry.FullName);
                    links.Add(new TreeLink(entry.FullName, target, target is not null && Directory.Exists(target)));
                }
                else if (entry is DirectoryInfo)
                {
                    pending.Push(entry.FullName);
                }
                else if (entry is FileInfo)
                {
                    files.Add(entry.FullName);
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        links.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        unreadable.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return new TreeScan { Files = files, Links = links, Unreadable = unreadable };
    }

    /// <summary>
    /// Why a link is not followed, for a tree whose real root is <paramref name="realRoot"/>: it dangles, leads out of
    /// the tree, or into a folder that holds it (a loop); otherwise it points inside the tree and
    /// <paramref name="insideTarget"/> gives the target relative to the root ('/' separators).
    /// </summary>
    public static string? Classify(TreeLink link, string realRoot, out string? insideTarget)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(realRoot);
        insideTarget = null;
        if (link.Target is null)
            return "symbolic link whose target does not exist";
        if (!IsWithin(link.Target, realRoot))
            return $"symbolic link to '{link.Target}', outside the data tree; not followed";
        var realParent = RealPath(Path.GetDirectoryName(link.Path)!) ?? Path.GetDirectoryName(link.Path)!;
        insideTarget = Relative(realRoot, link.Target);
        if (link.IsFolder && IsWithin(realParent, link.Target))
            return $"symbolic link to the folder '{(insideTarget == "." ? "the data root" : insideTarget + "/")}' that holds it (a loop); not followed";
        return null;
    }

    /// <summary>The real path of <paramref name="path"/>, every link resolved; null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            var info = new FileInfo(path);
            return info.Exists || Directory.Exists(path) ? (info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName) : null;
        }
        var resolved = CRealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
            return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies below it (both full paths).</summary>
    public static bool IsWithin(string path, string folder)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(folder);
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path == folder || path.StartsWith(prefix, StringComparison.Ordinal);
    }

    static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    // glibc's realpath mallocs its result when given no buffer; FreeHGlobal is free() on Unix.
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr CRealPath(string path, IntPtr resolved);
}
