using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Preprocessing.Formats;

/// <summary>The real microscope files in ../shared/datasets/em-formats (read in place, never copied into the project).</summary>
internal static class EmSamples
{
    public static string Root => Path.Combine(RepoPaths.Shared, "datasets", "em-formats");

    public static string File(string name)
    {
        var path = Path.Combine(Root, name);
        Assert.True(System.IO.File.Exists(path),
            $"The sample {name} is missing: expected it at {path} (../shared/datasets/em-formats beside the clone). These tests need the shared data folder.");
        return path;
    }
}
