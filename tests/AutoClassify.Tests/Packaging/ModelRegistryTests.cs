using AutoClassify.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Packaging;

[Collection(PackagingTests.Name)]
public sealed class ModelRegistryTests(TrainedPackageFixture fixture) : IClassFixture<TrainedPackageFixture>, IDisposable
{
    readonly TempDirectory temp = new("registry");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_number_versions_upwards_and_make_only_the_first_champion()
    {
        // Given an empty registry
        var registry = new ModelRegistry(temp.Combine("models"));

        // When the same package is added three times, each time promoting if there is no champion
        var versions = new List<int>();
        var promoted = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            var version = registry.Add("vesicles", fixture.PackagePath);
            versions.Add(version);
            promoted.Add(registry.PromoteIfNoChampion("vesicles", version));
        }

        // Then versions are 1, 2, 3, only the first became champion, and the layout is as documented
        Assert.Equal([1, 2, 3], versions);
        Assert.Equal([true, false, false], promoted);
        Assert.Equal(1, registry.ChampionVersion("vesicles"));
        Assert.Equal(temp.Combine("models", "vesicles", "v1", "model.acpkg"), registry.ResolveChampion("vesicles"));
        var shown = registry.Show("vesicles");
        Assert.Equal([1, 2, 3], shown.Versions.Select(v => v.Version));
        Assert.All(shown.Versions, v => Assert.Equal("svm", v.Manifest!.ModelKind));
        Assert.Equal([true, false, false], shown.Versions.Select(v => v.IsChampion));
        Assert.Equal(["vesicles"], registry.List().Select(m => m.Name));
    }

    [Fact]
    public void Should_move_the_champion_pointer_on_promotion_without_leaving_temporary_files()
    {
        // Given two versions, the first champion
        var registry = new ModelRegistry(temp.Combine("models"));
        registry.PromoteIfNoChampion("m", registry.Add("m", fixture.PackagePath));
        registry.Add("m", fixture.PackagePath);

        // When version 2 is promoted
        registry.Promote("m", 2);

        // Then the pointer names it and only the pointer and version folders are in the model folder
        Assert.Equal(2, registry.ChampionVersion("m"));
        Assert.Equal(registry.PackagePath("m", 2), registry.ResolveChampion("m"));
        Assert.Equal(["champion.json"], Directory.GetFiles(temp.Combine("models", "m")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Should_never_show_a_reader_a_missing_or_partial_champion_pointer_while_it_changes()
    {
        // Given two versions
        var registry = new ModelRegistry(temp.Combine("models"));
        registry.PromoteIfNoChampion("m", registry.Add("m", fixture.PackagePath));
        registry.Add("m", fixture.PackagePath);
        var seen = new HashSet<int>();

        // When one thread flips the champion 200 times while another keeps resolving it
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var version = registry.ChampionVersion("m") ?? throw new InvalidOperationException("champion vanished");
                lock (seen)
                    seen.Add(version);
            }
        });
        for (var i = 0; i < 200; i++)
            registry.Promote("m", 1 + (i % 2));
        stop.Cancel();

        // Then the reader never failed and only ever saw complete pointers to real versions
        await reader;
        Assert.Subset(new HashSet<int> { 1, 2 }, seen);
    }

    [Fact]
    public void Should_give_concurrent_writers_distinct_version_numbers()
    {
        // Given an empty registry
        var registry = new ModelRegistry(temp.Combine("models"));

        // When eight writers add at once
        var versions = new int[8];
        Parallel.For(0, versions.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => versions[i] = registry.Add("m", fixture.PackagePath));

        // Then each got its own number and every package is complete
        Assert.Equal(Enumerable.Range(1, 8), versions.Order());
        Assert.All(registry.Show("m").Versions, v => Assert.Null(v.Problem));
    }

    [Fact]
    public void Should_refuse_to_store_a_package_it_would_refuse_to_read()
    {
        // Given a registry and a writer that produces garbage
        var registry = new ModelRegistry(temp.Combine("models"));

        // When added
        var ex = Assert.Throws<InvalidModelPackageException>(() => registry.Add("m", s => s.Write("not a zip"u8)));

        // Then nothing was stored: no version, no staging file
        Assert.Contains("not a readable zip archive", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Combine("models", "m")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void Should_refuse_model_names_that_could_leave_the_registry(string name)
    {
        var registry = new ModelRegistry(temp.Combine("models"));
        var ex = Assert.Throws<ArgumentException>(() => registry.Add(name, fixture.PackagePath));
        Assert.Contains("is not allowed", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("escape")));
    }

    [Fact]
    public void Should_explain_what_is_missing_when_no_champion_can_be_resolved()
    {
        var registry = new ModelRegistry(temp.Combine("models"));
        Assert.Contains("No model 'nope'", Assert.Throws<ModelRegistryException>(() => registry.ResolveChampion("nope")).Message, StringComparison.Ordinal);
        registry.Add("m", fixture.PackagePath);
        Assert.Contains("has no champion", Assert.Throws<ModelRegistryException>(() => registry.ResolveChampion("m")).Message, StringComparison.Ordinal);
        Assert.Contains("has no version 7", Assert.Throws<ModelRegistryException>(() => registry.Promote("m", 7)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_sweep_only_stale_temporary_files()
    {
        // Given a fresh and an old staging file left by killed writers
        var registry = new ModelRegistry(temp.Combine("models"));
        registry.Add("m", fixture.PackagePath);
        var fresh = temp.Combine("models", "m", ".staging-fresh.acpkg.tmp");
        var old = temp.Combine("models", "m", ".staging-old.acpkg.tmp");
        File.WriteAllText(fresh, "partial");
        File.WriteAllText(old, "partial");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow - ModelRegistry.StaleAfter - TimeSpan.FromMinutes(1));

        // When swept
        var deleted = registry.SweepStaleFiles(ModelRegistry.StaleAfter);

        // Then only the old one is gone and the version is untouched
        Assert.Equal(1, deleted);
        Assert.True(File.Exists(fresh));
        Assert.False(File.Exists(old));
        Assert.Equal([1], registry.Show("m").Versions.Select(v => v.Version));
    }
}
