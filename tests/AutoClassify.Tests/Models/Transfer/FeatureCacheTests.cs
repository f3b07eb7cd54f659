using AutoClassify.Models.Transfer;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Models.Transfer;

public sealed class FeatureCacheTests : IDisposable
{
    readonly TempDirectory temp = new("featcache");

    public void Dispose() => temp.Dispose();

    static string Key(int n) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([(byte)n]));

    [Fact]
    public void Should_read_back_exactly_what_it_stored_from_a_fresh_instance()
    {
        // Given a cache that stored one vector
        float[] values = [1.5f, -2.25f, 0f, 3.125e-7f];
        new FeatureCache(temp.Path).Put(Key(1), values);

        // When a new instance (nothing in memory) looks it up
        var cache = new FeatureCache(temp.Path);
        var found = cache.TryGet(Key(1), values.Length, out var read);

        // Then it comes from disk, bit for bit
        Assert.True(found);
        Assert.Equal(values, read);
        Assert.Equal(1, cache.DiskHits);
        Assert.Equal(0, cache.Misses);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("garbage")]
    public void Should_warn_discard_and_miss_on_a_damaged_entry(string damage)
    {
        // Given an entry damaged on disk
        new FeatureCache(temp.Path).Put(Key(2), [1f, 2f, 3f]);
        var path = new FeatureCache(temp.Path).PathOf(Key(2))!;
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(path, bytes[..^5]);
                break;
            case "flipped":
                bytes[14] ^= 0x40;
                File.WriteAllBytes(path, bytes);
                break;
            default:
                File.WriteAllText(path, "not a feature file");
                break;
        }
        var warnings = new List<string>();

        // When it is looked up
        var cache = new FeatureCache(temp.Path, warnings.Add);
        var found = cache.TryGet(Key(2), 3, out _);

        // Then it is a miss with one warning naming the file, and the file is gone so the caller rewrites it
        Assert.False(found);
        Assert.Equal(1, cache.CorruptEntries);
        Assert.Contains(path, Assert.Single(warnings), StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Should_treat_an_entry_of_another_dimension_as_damaged()
    {
        new FeatureCache(temp.Path).Put(Key(3), [1f, 2f]);
        var warnings = new List<string>();

        var found = new FeatureCache(temp.Path, warnings.Add).TryGet(Key(3), 5, out _);

        Assert.False(found);
        Assert.Contains("holds 2 features", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_working_in_memory_when_the_folder_cannot_be_written()
    {
        // Given a cache folder whose path is taken by a file
        var blocked = temp.File("blocked");
        File.WriteAllText(blocked, "a file, not a folder");
        var warnings = new List<string>();
        var cache = new FeatureCache(blocked, warnings.Add);

        // When two entries are stored
        cache.Put(Key(4), [1f]);
        cache.Put(Key(5), [2f]);

        // Then both are served from memory and the problem is reported once
        Assert.True(cache.TryGet(Key(4), 1, out var a) && a[0] == 1f);
        Assert.True(cache.TryGet(Key(5), 1, out var b) && b[0] == 2f);
        Assert.Single(warnings);
        Assert.Equal(0, cache.Writes);
    }

    [Fact]
    public void Should_refuse_keys_that_are_not_sha256_hex()
    {
        var cache = new FeatureCache(null);

        Assert.Throws<ArgumentException>(() => cache.Put("../../etc/passwd", [1f]));
    }
}
