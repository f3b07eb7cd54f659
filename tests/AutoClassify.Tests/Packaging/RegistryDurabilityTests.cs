using System.Diagnostics;
using AutoClassify.Packaging;
using AutoClassify.Tests.Support;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Packaging;

/// <summary>
/// Real crashes: the CLI's <c>train</c> runs as a child process adding a version to a registry that already
/// has a champion, and is killed with SIGKILL at seeded random moments and the moment its staging file
/// appears. Whatever the moment, the old champion must still resolve and load, and every visible
/// <c>model.acpkg</c> must be complete.
/// </summary>
[Collection(PackagingTests.Name)]
public sealed class RegistryDurabilityTests(TrainedPackageFixture fixture, ITestOutputHelper output) : IClassFixture<TrainedPackageFixture>, IDisposable
{
    readonly TempDirectory temp = new("durability");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_keep_the_previous_champion_and_no_partial_package_when_train_is_killed_mid_run()
    {
        // Given a registry whose champion is version 1, and the child's full run time
        var registry = new ModelRegistry(temp.Combine("models"));
        registry.PromoteIfNoChampion("m", registry.Add("m", fixture.PackagePath));
        var championBytes = File.ReadAllBytes(registry.ResolveChampion("m"));
        var clock = Stopwatch.StartNew();
        using (var complete = StartTrain(registry.Root))
        {
            Assert.True(complete.WaitForExit(120_000), "the uninterrupted train did not finish in 2 minutes");
            Assert.Equal(0, complete.ExitCode);
        }
        var fullRun = clock.Elapsed;

        // When further trains are killed at random moments and as soon as their staging file appears
        var random = new Random(20261122);
        var outcomes = new List<string>();
        for (var attempt = 0; attempt < 6; attempt++)
        {
            var onStaging = attempt >= 4;
            using var child = StartTrain(registry.Root);
            if (onStaging)
            {
                var folder = Path.Combine(registry.Root, "m");
                var deadline = Stopwatch.StartNew();
                while (!Directory.EnumerateFiles(folder, ".staging-*").Any() && !child.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2))
                    Thread.SpinWait(1000);
            }
            else
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(random.NextDouble() * 0.8 * fullRun.TotalMilliseconds));
            }
            var exitedFirst = child.HasExited;
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            var staging = Directory.EnumerateFiles(Path.Combine(registry.Root, "m"), ".staging-*").Count();
            outcomes.Add($"attempt {attempt}: {(onStaging ? "on staging file" : "random delay")}, " +
                $"{(exitedFirst ? "finished before the kill" : "killed")}, {staging} staging file(s) left, versions {string.Join(",", registry.Show("m").Versions.Select(v => v.Version))}");

            // Then the champion is still version 1, byte for byte, and loads
            Assert.Equal(1, registry.ChampionVersion("m"));
            Assert.Equal(championBytes, File.ReadAllBytes(registry.ResolveChampion("m")));
            using (var champion = ModelPackage.Open(registry.ResolveChampion("m")))
                Assert.Equal("svm", champion.Manifest.ModelKind);

            // And every model.acpkg anywhere in the registry is a complete package
            foreach (var package in Directory.EnumerateFiles(registry.Root, ModelRegistry.PackageFileName, SearchOption.AllDirectories))
                ModelPackage.ReadManifest(package);
            Assert.All(registry.Show("m").Versions, v => Assert.Null(v.Problem));
        }
        foreach (var line in outcomes)
            output.WriteLine(line);
        output.WriteLine($"uninterrupted train took {fullRun.TotalSeconds:F1} s");
    }

    Process StartTrain(string registryRoot)
    {
        var bin = AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(bin, "autoclassify.dll"), "train", fixture.Dataset, "--name", "m", "--registry", registryRoot, "--grid", "coarse", "--threads", "1", "--seed", "9" })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
