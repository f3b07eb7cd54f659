using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Hostile;

/// <summary>One small data set and one SVM package trained from it, shared by the hostile-input tests of a class.</summary>
public sealed class HostileFixture : IDisposable
{
    readonly TempDirectory temp = new("hostile-fixture");

    public HostileFixture()
    {
        Data = PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 6, size: 32);
        var registry = temp.Combine("models");
        var (code, _, error) = Run("train", Data, "--name", "disks", "--registry", registry, "--grid", "coarse", "--seed", "3", "--threads", "2", "--validation", "0", "--reference", "0");
        if (code != 0)
            throw new InvalidOperationException("the fixture's training failed: " + error);
        Package = Directory.GetFiles(registry, "*.acpkg", SearchOption.AllDirectories).Single();
    }

    /// <summary>Two classes ('large', 'small') of six 32-px images.</summary>
    public string Data { get; }

    /// <summary>An SVM package trained on <see cref="Data"/>.</summary>
    public string Package { get; }

    public void Dispose() => temp.Dispose();
}
