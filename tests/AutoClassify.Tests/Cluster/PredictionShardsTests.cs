using AutoClassify.Cluster;

namespace AutoClassify.Tests.Cluster;

public sealed class PredictionShardsTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(2, 5)]
    [InlineData(1000, 7)]
    public void Should_cut_the_file_list_into_contiguous_slices_that_cover_it_once(int total, int shards)
    {
        // When every shard's slice is taken
        var slices = Enumerable.Range(0, shards).Select(k => PredictionShards.Slice(total, shards, k)).ToList();

        // Then they follow each other without gap or overlap, and differ in size by one at most
        var next = 0;
        foreach (var (start, count) in slices)
        {
            Assert.Equal(next, start);
            next += count;
        }
        Assert.Equal(total, next);
        Assert.True(slices.Max(s => s.Count) - slices.Min(s => s.Count) <= 1);
    }
}
