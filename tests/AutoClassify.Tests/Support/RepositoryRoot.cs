namespace AutoClassify.Tests.Support;

/// <summary>Locates the clone (the folder holding AutoClassify.sln) from the test binary.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AutoClassify.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No AutoClassify.sln above {AppContext.BaseDirectory}.");
    }
}
