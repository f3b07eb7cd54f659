using AutoClassify.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Retraining;

public sealed class ReferenceSetTests : IDisposable
{
    readonly TempDirectory temp = new("reference");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_hold_out_a_rounded_share_of_each_class_and_at_least_one_of_a_class_of_three()
    {
        // Given 20 images of class 0, 3 of class 1, 2 of class 2 and 6 of class 3, interleaved
        int[] labels = [.. Enumerable.Repeat(0, 20), .. Enumerable.Repeat(1, 3), .. Enumerable.Repeat(2, 2), .. Enumerable.Repeat(3, 6)];
        new Random(1).Shuffle(labels);

        // When 15% is carved twice with one seed, once with another, and once keeping six per class for training
        var held = ReferenceSplit.Carve(labels, 0.15, seed: 7);
        var again = ReferenceSplit.Carve(labels, 0.15, seed: 7);
        var other = ReferenceSplit.Carve(labels, 0.15, seed: 8);
        var keepSix = ReferenceSplit.Carve(labels, 0.15, seed: 7, keepAtLeast: 6);

        // Then each class gives round(0.15 n), at least one from three up, none below three; the draw depends only
        // on the seed; and no class is left with fewer than the images it must keep
        int Held(bool[] mask, int label) => labels.Where((l, i) => l == label && mask[i]).Count();
        Assert.Equal([3, 1, 0, 1], Enumerable.Range(0, 4).Select(k => Held(held, k)));
        Assert.Equal(held, again);
        Assert.NotEqual(held, other);
        Assert.Equal([3, 0, 0, 0], Enumerable.Range(0, 4).Select(k => Held(keepSix, k)));
    }

    [Fact]
    public void Should_refuse_a_reference_file_of_another_schema_naming_it()
    {
        // Given a registry whose reference file has an unknown schema version
        var registry = new ModelRegistry(temp.Combine("models"));
        var path = ReferenceSet.PathIn(registry, "m");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """{ "schema_version": 9, "items": [] }""");

        // When it is read
        var error = Assert.Throws<ModelRegistryException>(() => ReferenceSet.TryRead(registry, "m"));

        // Then the message names the file and the problem
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("schema version 9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_read_back_what_it_wrote()
    {
        // Given a reference set
        var registry = new ModelRegistry(temp.Combine("models"));
        var set = new ReferenceSet
        {
            Seed = 5,
            CreatedUtc = new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero),
            Items = [new ReferenceItem("/data", "a/x.png", new string('A', 64), "a"), new ReferenceItem("/data", "b/y.png", new string('b', 64), "b")],
        };

        // When written and read
        set.WriteTo(registry, "m");
        var read = ReferenceSet.TryRead(registry, "m")!;

        // Then items, their hash and the content lookup survive
        Assert.Equal(set.Items, read.Items);
        Assert.Equal(set.ItemsSha256(), read.ItemsSha256());
        Assert.True(read.Contains(new string('B', 64)));
        Assert.Null(ReferenceSet.TryRead(registry, "other"));
    }
}
