using System.Globalization;

namespace AutoClassify.Imaging.Formats;

/// <summary>
/// Names of stack sections: section k (1-based, as RELION counts) of <c>stack.mrcs</c> is <c>stack.mrcs#k</c>.
/// </summary>
public static class EmPath
{
    /// <summary>The name of section <paramref name="index"/> (0-based) of a stack file: <c>file#(index + 1)</c>.</summary>
    public static string Section(string file, int index) => file + "#" + (index + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Splits <c>file.mrcs#k</c> into the file and the 0-based section; any other path is its own file with no
    /// section. Only MRC names take a section, so a '#' elsewhere in a name is left alone.
    /// </summary>
    public static (string File, int? Section) Split(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var hash = path.LastIndexOf('#');
        if (hash <= 0 || hash == path.Length - 1)
            return (path, null);
        var file = path[..hash];
        if (!EmFormats.IsStackExtension(Path.GetExtension(file))
            || !int.TryParse(path.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k < 1)
            return (path, null);
        return (file, k - 1);
    }

    /// <summary>The file on disk behind a path that may name a stack section.</summary>
    public static string FileOf(string path) => Split(path).File;
}

/// <summary>File access for the readers, turning I/O failures into <see cref="ImageDecodeException"/>s that name the file.</summary>
internal static class EmFile
{
    public static FileStream Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ImageDecodeException.Reading(path, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16));
    }

    public static void ReadExactly(Stream stream, Span<byte> buffer, string source)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw new ImageDecodeException(source, string.Create(CultureInfo.InvariantCulture,
                $"the file ends early (wanted {buffer.Length} bytes at offset {stream.Position}); it is truncated"));
    }
}
