using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Evaluation;

namespace AutoClassify.Bench;

/// <summary>
/// What <c>benchmark</c>'s checkpoint costs before training starts: the run fingerprint (SHA-256 of every image and
/// mask, settings, versions) and the manifest it writes, on the shipped liposome set and on ncm-sem-6 when present.
/// </summary>
internal sealed class ResumeBench : IBenchSuite
{
    public string Name => "resume";

    public string Description => "checkpoint cost: run fingerprint (image hashes) and manifest, per data set and thread count";

    public void Run(BenchOptions options)
    {
        Console.WriteLine($"{"data set",-12} {"images",6} {"MB",7} {"threads",7} {"fingerprint ms",14} {"open ms",8} {"run.json KB",11}");
        Measure("liposomes", Path.Combine(options.RepoRoot, "datasets", "liposomes"), options.Quick);
        var sem = Path.Combine(options.SharedRoot, "datasets", "ncm-sem-6");
        if (Directory.Exists(sem))
            Measure("ncm-sem-6", sem, options.Quick);
        else
            Console.WriteLine($"(no {sem}: real SEM images skipped)");
    }

    static void Measure(string label, string root, bool quick)
    {
        var dataset = DatasetLoader.Load(root, new DatasetOptions { Threads = 2 });
        var megabytes = dataset.Items.Sum(i => new FileInfo(i.FullPath).Length + (i.MaskPath is null ? 0 : new FileInfo(i.MaskPath).Length)) / 1e6;
        var options = new BenchmarkOptions { DatasetPath = root, Models = ["svm", "lipnet4"] };
        var scratch = Path.Combine(Path.GetTempPath(), $"ac-bench-resume-{Guid.NewGuid():N}");
        try
        {
            foreach (var threads in quick ? [1] : new[] { 1, 2 })
            {
                RunFingerprint.Compute(options, dataset, threads);  // warm-up: file cache and JIT
                var clock = Stopwatch.StartNew();
                var fingerprint = RunFingerprint.Compute(options, dataset, threads);
                var hashing = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                FoldCheckpoint.Open(scratch, fingerprint, resume: false);
                var open = clock.Elapsed.TotalMilliseconds;
                var kb = new FileInfo(Path.Combine(scratch, "run.json")).Length / 1024.0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{label,-12} {dataset.Items.Count,6} {megabytes,7:F1} {threads,7} {hashing,14:F0} {open,8:F1} {kb,11:F0}"));
            }
        }
        finally
        {
            FoldCheckpoint.Delete(scratch);
        }
    }
}
