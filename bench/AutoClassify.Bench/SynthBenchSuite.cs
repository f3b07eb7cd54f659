using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset.Synthesis;

namespace AutoClassify.Bench;

/// <summary>Liposome synthesis throughput: rendering alone, and full generation with 1 and all threads.</summary>
internal sealed class SynthBenchSuite : IBenchSuite
{
    public string Name => "synth";

    public string Description => "synthetic liposome crops: render ms/crop, write speed-up with threads";

    public void Run(BenchOptions options)
    {
        var count = options.Quick ? 120 : 400;
        var synthesizer = new LiposomeSynthesizer(new LiposomeSynthesisOptions { Count = count });
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 60; i++)
            synthesizer.Render((LiposomeClass)(i % 3), i);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"render: {clock.Elapsed.TotalMilliseconds / 60:F2} ms per 64-px crop (1 thread)"));

        var dir = Directory.CreateTempSubdirectory("ac-bench-synth-").FullName;
        try
        {
            var serial = Time(() => LiposomeSynthesizer.Generate(Path.Combine(dir, "serial"),
                new LiposomeSynthesisOptions { Count = count, MaxDegreeOfParallelism = 1 }));
            var parallel = Time(() => LiposomeSynthesizer.Generate(Path.Combine(dir, "parallel"),
                new LiposomeSynthesisOptions { Count = count }));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"generate {count} crops + masks: 1 thread {serial:F2} s, {Environment.ProcessorCount} threads {parallel:F2} s, speed-up x{serial / parallel:F2}"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
