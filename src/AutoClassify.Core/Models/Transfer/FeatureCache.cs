using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using AutoClassify.Imaging;
using AutoClassify.IO;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// Pooled backbone features on disk (and in memory), like ML.NET's bottleneck cache: one small file per image,
/// backbone and preprocessing, named by a SHA-256 key (see <see cref="FeatureKeys"/>). Entries are written
/// atomically and carry their own checksum; an unreadable or damaged entry is reported through the warning
/// callback, deleted and recomputed by the caller. A cache folder that cannot be written turns the cache into a
/// memory-only one with a single warning: a cache must never fail a run.
/// <para>Entry layout: <c>ACFC</c>, format (uint32 = 1), dimension (int32), the float32 values, then the SHA-256 of everything before it.</para>
/// </summary>
public sealed class FeatureCache
{
    const uint Format = 1;
    const int HeaderBytes = 12;
    const int HashBytes = 32;
    static readonly byte[] Magic = "ACFC"u8.ToArray();

    readonly ConcurrentDictionary<string, float[]> memory = new(StringComparer.Ordinal);
    readonly Action<string>? warn;
    long memoryHits, diskHits, misses, corrupt, writes;
    volatile bool diskFailed;

    /// <param name="directory">Folder of the entries (created when first written); null keeps features in memory only.</param>
    /// <param name="warn">Receives one line per damaged entry and when the folder cannot be written.</param>
    public FeatureCache(string? directory, Action<string>? warn = null)
    {
        Directory = directory is null ? null : Path.GetFullPath(directory);
        this.warn = warn;
    }

    /// <summary>
    /// <c>features</c> beside the weights cache: <c>$AUTOCLASSIFY_CACHE/features</c>, else
    /// <c>$XDG_CACHE_HOME/autoclassify/features</c>, else <c>~/.cache/autoclassify/features</c>. Shared by every run of
    /// the user, so a second benchmark on the same images and backbone extracts nothing.
    /// </summary>
    public static string DefaultDirectory
    {
        get
        {
            var own = Environment.GetEnvironmentVariable("AUTOCLASSIFY_CACHE");
            if (!string.IsNullOrWhiteSpace(own))
                return Path.Combine(own, "features");
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "autoclassify", "features");
        }
    }

    /// <summary>The entry folder, or null for a memory-only cache.</summary>
    public string? Directory { get; }

    /// <summary>Lookups answered from memory.</summary>
    public long MemoryHits => Interlocked.Read(ref memoryHits);

    /// <summary>Lookups answered from a valid file on disk.</summary>
    public long DiskHits => Interlocked.Read(ref diskHits);

    /// <summary>Lookups that found nothing usable (the caller extracts).</summary>
    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Entries found damaged and discarded.</summary>
    public long CorruptEntries => Interlocked.Read(ref corrupt);

    /// <summary>Entries written to disk.</summary>
    public long Writes => Interlocked.Read(ref writes);

    /// <summary>The file of a key (whether or not it exists); null for a memory-only cache.</summary>
    public string? PathOf(string key)
    {
        CheckKey(key);
        return Directory is null ? null : Path.Combine(Directory, key[..2], key + ".feat");
    }

    /// <summary>Looks a key up in memory, then on disk; a valid entry of another dimension counts as damaged.</summary>
    public bool TryGet(string key, int dimension, out float[] features)
    {
        CheckKey(key);
        if (memory.TryGetValue(key, out var cached) && cached.Length == dimension)
        {
            Interlocked.Increment(ref memoryHits);
            features = cached;
            return true;
        }
        if (PathOf(key) is { } path && !diskFailed && File.Exists(path))
        {
            var (values, problem) = Read(path, dimension);
            if (values is not null)
            {
                memory[key] = values;
                Interlocked.Increment(ref diskHits);
                features = values;
                return true;
            }
            Interlocked.Increment(ref corrupt);
            warn?.Invoke($"Feature cache entry '{path}' is damaged ({problem}); recomputing it.");
            TryDelete(path);
        }
        Interlocked.Increment(ref misses);
        features = [];
        return false;
    }

    /// <summary>Stores freshly extracted features in memory and, atomically, on disk.</summary>
    public void Put(string key, float[] features)
    {
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(features);
        memory[key] = features;
        if (PathOf(key) is not { } path || diskFailed)
            return;
        try
        {
            AtomicFile.WriteAllBytes(path, Encode(features));
            Interlocked.Increment(ref writes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diskFailed = true;
            warn?.Invoke($"Feature cache folder '{Directory}' cannot be written ({e.Message}); features stay in memory for this run.");
        }
    }

    /// <summary>One line for logs and the report: where the cache is and how it answered.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Directory ?? "memory only"}: {MemoryHits} memory hits, {DiskHits} disk hits, {Misses} extracted, {CorruptEntries} damaged");

    internal static byte[] Encode(ReadOnlySpan<float> values)
    {
        var bytes = new byte[HeaderBytes + values.Length * sizeof(float) + HashBytes];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Format);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), values.Length);
        var body = bytes.AsSpan(HeaderBytes, values.Length * sizeof(float));
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(body[(i * sizeof(float))..], values[i]);
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashBytes), bytes.AsSpan(bytes.Length - HashBytes));
        return bytes;
    }

    static (float[]? Values, string Problem) Read(string path, int dimension)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, e.Message);
        }
        var expected = HeaderBytes + dimension * sizeof(float) + HashBytes;
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
            return (null, "not a feature cache entry");
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != Format)
            return (null, "unknown entry format");
        var stored = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (stored != dimension)
            return (null, string.Create(CultureInfo.InvariantCulture, $"it holds {stored} features, the backbone gives {dimension}"));
        if (bytes.Length != expected)
            return (null, string.Create(CultureInfo.InvariantCulture, $"{bytes.Length} bytes instead of {expected}, truncated"));
        Span<byte> hash = stackalloc byte[HashBytes];
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashBytes), hash);
        if (!hash.SequenceEqual(bytes.AsSpan(bytes.Length - HashBytes)))
            return (null, "checksum mismatch");
        var values = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(HeaderBytes + i * sizeof(float)));
            if (!float.IsFinite(values[i]))
                return (null, "a value is not finite");
        }
        return (values, "");
    }

    static void CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != 64 || !key.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException($"Feature cache keys are 64 lower-case hex digits, not '{key}'.", nameof(key));
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

/// <summary>
/// The parts of a cached feature's key: what the image holds, which network (architecture and exact weights) saw
/// it, and how it was prepared and augmented. Any change to one of them gives a different key, so a stale entry
/// is never read; nothing else (paths, folds, seeds of the run) enters, so entries are shared between runs.
/// </summary>
public static class FeatureKeys
{
    static readonly ConditionalWeakTable<GrayImage, string> ImageHashes = new();
    static readonly ConditionalWeakTable<BinaryMask, string> MaskHashes = new();

    /// <summary>SHA-256 (lower-case hex) of an image's size and pixels; remembered for the image's lifetime.</summary>
    public static string ImageHash(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageHashes.GetValue(image, static i =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Span<byte> size = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(size, i.Width);
            BinaryPrimitives.WriteInt32LittleEndian(size[4..], i.Height);
            hash.AppendData(size);
            hash.AppendData(MemoryMarshal.AsBytes(i.Pixels.AsSpan()));
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        });
    }

    /// <summary>SHA-256 (lower-case hex) of a mask's size and values, or <c>none</c>.</summary>
    public static string MaskHash(BinaryMask? mask)
    {
        if (mask is null)
            return "none";
        return MaskHashes.GetValue(mask, static m =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Span<byte> size = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(size, m.Width);
            BinaryPrimitives.WriteInt32LittleEndian(size[4..], m.Height);
            hash.AppendData(size);
            hash.AppendData(m.Data);
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        });
    }

    /// <summary>
    /// The backbone's identity: its name and a SHA-256 over every state-dict entry (name, type, shape and bytes), so
    /// two weight files, or a fine-tuned copy, never share features.
    /// </summary>
    public static string BackboneIdentity(IFeatureBackbone backbone)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in backbone.Network.StateDict())
        {
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{name}:{tensor.DType}:{Tensor.FormatShape(tensor.Shape)};")));
            var bytes = new byte[checked(tensor.NumElements * tensor.DType.ElementSize())];
            tensor.CopyRawTo(bytes);
            hash.AppendData(bytes);
        }
        return backbone.Name + "@" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>The entry key: SHA-256 (lower-case hex) over every part, each on its own line.</summary>
    /// <param name="backboneIdentity">From <see cref="BackboneIdentity"/>.</param>
    /// <param name="input">The preparation (size, channels, normalisation, region).</param>
    /// <param name="image">The source image.</param>
    /// <param name="mask">Its mask; only part of the key when the region depends on it.</param>
    /// <param name="augmentation">The augmentation draw, e.g. <c>none</c> or <c>all#3</c>.</param>
    public static string Compute(string backboneIdentity, BackboneInputSpec input, GrayImage image, BinaryMask? mask, string augmentation)
    {
        ArgumentNullException.ThrowIfNull(backboneIdentity);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(augmentation);
        var text = string.Join('\n',
            "autoclassify-features-v1",
            backboneIdentity,
            input.KeyText,
            ImageHash(image),
            input.UsesMask ? MaskHash(mask) : "-",
            augmentation);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
