namespace AutoClassify.Imaging;

/// <summary>An image or mask file could not be read; the message names the file and the problem.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/> with a short, lowercase <paramref name="reason"/>.</summary>
    public ImageDecodeException(string path, string reason, Exception? innerException = null)
        : base($"Cannot read image '{path}': {reason}.", innerException)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The file (or the source name given for an in-memory buffer).</summary>
    public string Path { get; }

    /// <summary>What is wrong, e.g. "file is empty".</summary>
    public string Reason { get; }

    /// <summary>Runs <paramref name="read"/> on <paramref name="path"/>, turning a missing or unreadable file into this exception.</summary>
    internal static T Reading<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(path, "file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, "cannot read the file (" + e.Message + ")", e);
        }
    }
}
