using System.Security.Cryptography;

namespace AutoClassify.IO;

/// <summary>Fingerprints of files on disk, for manifests, run records and provenance.</summary>
public static class FileHash
{
    /// <summary>The SHA-256 of the file's bytes, as upper-case hexadecimal.</summary>
    public static string Sha256Hex(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
