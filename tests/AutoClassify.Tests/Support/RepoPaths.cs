namespace AutoClassify.Tests.Support;

/// <summary>Locations in the source checkout the tests read from.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Liposomes => Path.Combine(Root, "datasets", "liposomes");

    /// <summary>The read-only shared folder that CI places beside the clone.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AutoClassify.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Tests must run from inside the AutoClassify checkout (no AutoClassify.sln found above " + AppContext.BaseDirectory + ").");
    }

    /// <summary>Copies the first <paramref name="perClass"/> images (and masks) of each class of the shipped liposome set.</summary>
    public static void CopyLiposomeSubset(string destination, int perClass)
    {
        foreach (var classDir in Directory.GetDirectories(Liposomes).Order(StringComparer.Ordinal))
        {
            var target = Path.Combine(destination, Path.GetFileName(classDir));
            Directory.CreateDirectory(target);
            var images = Directory.GetFiles(classDir, "*.png")
                .Where(f => !f.EndsWith(".mask.png", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Take(perClass);
            foreach (var image in images)
            {
                File.Copy(image, Path.Combine(target, Path.GetFileName(image)));
                var mask = Path.ChangeExtension(image, null) + ".mask.png";
                if (File.Exists(mask))
                    File.Copy(mask, Path.Combine(target, Path.GetFileName(mask)));
            }
        }
    }
}
