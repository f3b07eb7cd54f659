using AutoClassify.IO;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Reporting;

public class AtomicFileTests
{
    [Fact]
    public void Should_replace_the_old_file_and_leave_no_temporary_files()
    {
        // Given an existing file
        using var dir = new TempDirectory();
        var path = dir.File("results.json");
        File.WriteAllText(path, "old content that is longer than the new one");

        // When
        AtomicFile.WriteAllText(path, "new ✓");

        // Then
        Assert.Equal("new ✓", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
        Assert.NotEqual(0xEF, File.ReadAllBytes(path)[0]); // no byte-order mark
    }

    [Fact]
    public void Should_keep_the_old_file_and_clean_up_when_the_writer_fails()
    {
        using var dir = new TempDirectory();
        var path = dir.File("index.html");
        File.WriteAllText(path, "complete old report");

        var ex = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("half a rep"u8);
            throw new InvalidOperationException("renderer failed");
        }));

        Assert.Equal("renderer failed", ex.Message);
        Assert.Equal("complete old report", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Should_create_the_directory_and_write_bytes()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "sub", "data.bin");

        AtomicFile.WriteAllBytes(path, [1, 2, 3]);

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "sub")));
    }
}
