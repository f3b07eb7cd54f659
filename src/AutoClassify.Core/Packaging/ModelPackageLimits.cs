using System.Globalization;

namespace AutoClassify.Packaging;

/// <summary>
/// How much a package may claim before it is refused unread (zip-bomb guard). Sizes are the uncompressed
/// sizes the archive declares; extraction also stops any entry that inflates past its declared size.
/// </summary>
public sealed class ModelPackageLimits
{
    public static ModelPackageLimits Default { get; } = new();

    /// <summary>Entries in the archive (a package holds the manifest and a few payload files).</summary>
    public int MaxEntries { get; init; } = 64;

    /// <summary>Uncompressed bytes of any one entry.</summary>
    public long MaxEntryBytes { get; init; } = 1L << 30;

    /// <summary>Uncompressed bytes of all entries together.</summary>
    public long MaxTotalBytes { get; init; } = 2L << 30;

    /// <summary>Uncompressed bytes of <c>manifest.json</c> (it lists every training file, ~150 bytes each).</summary>
    public long MaxManifestBytes { get; init; } = 64L << 20;

    /// <summary>Uncompressed / compressed size allowed for entries of 1 MiB or more; model files compress far less.</summary>
    public double MaxCompressionRatio { get; init; } = 100;

    /// <summary>Throws naming the first bad limit.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEntries, 2, nameof(MaxEntries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEntryBytes, 1, nameof(MaxEntryBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTotalBytes, 1, nameof(MaxTotalBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxManifestBytes, 1, nameof(MaxManifestBytes));
        if (!double.IsFinite(MaxCompressionRatio) || MaxCompressionRatio < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxCompressionRatio), MaxCompressionRatio.ToString(CultureInfo.InvariantCulture), "The compression ratio limit must be at least 1.");
    }
}
