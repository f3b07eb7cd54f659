using System.Collections.Concurrent;
using System.Text;

namespace AutoClassify.IO;

/// <summary>
/// Writes a file so readers see either the old content or the complete new one, never a half-written file:
/// the content goes to a temporary file in the same directory, which is then renamed over the target.
/// </summary>
public static class AtomicFile
{
    static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
    static readonly ConcurrentDictionary<string, byte> Pending = new(StringComparer.Ordinal);

    /// <summary>Writes <paramref name="contents"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        WriteAllBytes(path, Utf8NoBom.GetBytes(contents));
    }

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Lets <paramref name="write"/> fill the new file; if it throws, the old file is left untouched.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        WriteVia(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            write(stream);
            stream.Flush(flushToDisk: true);
        });
    }

    /// <summary>
    /// Lets <paramref name="writeTemporary"/> create the new file at the temporary path it is given (for writers
    /// that need a path, such as native libraries), then renames it over <paramref name="path"/>.
    /// </summary>
    public static void WriteVia(string path, Action<string> writeTemporary)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(writeTemporary);
        var target = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(target)
            ?? throw new ArgumentException($"'{path}' has no parent directory.", nameof(path));
        Directory.CreateDirectory(directory);

        // Same directory, so the rename stays on one file system and is atomic.
        var temp = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Pending.TryAdd(temp, 0);
        try
        {
            writeTemporary(temp);
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            Pending.TryRemove(temp, out _);
        }
    }

    /// <summary>
    /// Deletes the temporary files of writes still under way, for a process about to end before they finish (a
    /// signal during a long native call); returns how many it removed. Their targets keep their old content.
    /// </summary>
    public static int DeletePending()
    {
        var removed = 0;
        foreach (var temp in Pending.Keys)
        {
            if (File.Exists(temp))
            {
                TryDelete(temp);
                removed++;
            }
            Pending.TryRemove(temp, out _);
        }
        return removed;
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
