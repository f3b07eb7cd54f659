using System.Globalization;
using System.Text.RegularExpressions;
using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.Segmenters;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Training speed of the default U-Net (depth 3, width 16, 128-px patches, batch 8) in float32 against bfloat16
/// autocast (<see cref="UNetOptions.TrainingPrecision"/>, <c>--train-precision bf16</c>), side by side in one process:
/// short fits on emps-particles at object scale 40 px (as the figures train), no validation split, alternating
/// float32 and bfloat16 for a number of rounds with the same seed, so both draw the same patches. Prints each epoch's
/// seconds as the trainer logs them (the first epoch of a fit is left out: it warms oneDNN's kernels), the median per
/// precision, their ratio, and each fit's training losses, which should run close. Needs a CPU with native bfloat16.
/// Settings: <c>--rounds=3 --epochs=3 --steps=20 --threads=2 --seed=42</c>.
/// </summary>
internal sealed partial class UNetTrainBench : IBenchSuite
{
    public string Name => "unet-train";

    public string Description => "U-Net training steps, float32 vs bfloat16 autocast, emps-particles at object scale, side by side";

    public void Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RequireKnownSettings(Name, ["rounds", "epochs", "steps", "threads", "seed"]);
        var rounds = options.Int("rounds", options.Quick ? 1 : 3);
        var epochs = options.Int("epochs", options.Quick ? 2 : 3);
        var steps = options.Int("steps", options.Quick ? 5 : 20);
        var threads = options.Int("threads", 2);
        var seed = options.Int("seed", 42);
        if (rounds < 1 || epochs < 2 || steps < 1)
            throw new ArgumentException("--rounds and --steps must be at least 1 and --epochs at least 2 (the first epoch of a fit is left out).");
        if (!InferencePrecisions.NativeBFloat16)
        {
            Console.WriteLine("  skipped: this CPU has no native bfloat16 (avx512_bf16 or amx_bf16), where bf16 training would be emulated");
            return;
        }
        var root = Path.Combine(options.SharedRoot, "datasets", "emps-particles");
        var data = SegmentationDataLoader.Load(root, new SegmentationDataOptions { Threads = threads }).Data;
        Console.WriteLine($"  {data.Samples.Count} images from {root}; load average before: {LoadAverage.Now()}");
        var seconds = new Dictionary<InferencePrecision, List<double>> { [InferencePrecision.Float32] = [], [InferencePrecision.BFloat16] = [] };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var precision in new[] { InferencePrecision.Float32, InferencePrecision.BFloat16 })
            {
                var epochSeconds = new List<double>();
                var trainer = new UNetTrainer(new UNetOptions
                {
                    ObjectSize = 40,
                    MaxEpochs = epochs,
                    StepsPerEpoch = steps,
                    ValidationFraction = 0,
                    TrainingPrecision = precision,
                    Threads = threads,
                });
                var summary = new SegmenterTrainingSummary();
                var context = new TrainingContext
                {
                    Seed = seed,
                    Threads = threads,
                    Log = line =>
                    {
                        if (EpochLine().Match(line) is { Success: true } match)
                            epochSeconds.Add(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
                    },
                };
                using (trainer.Train(data, context, summary))
                {
                }
                seconds[precision].AddRange(epochSeconds.Skip(1));
                var losses = string.Join(" ", summary.Curves["train_loss"].Select(l => l.ToString("F4", CultureInfo.InvariantCulture)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round + 1} {precision.Name()}: epoch s {string.Join(" ", epochSeconds.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))}; train loss {losses}"));
            }
        }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var fp32 = Median(seconds[InferencePrecision.Float32]);
        var bf16 = Median(seconds[InferencePrecision.BFloat16]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  median epoch ({steps} steps of 8 x 128²): fp32 {fp32:F2} s, bf16 {bf16:F2} s; fp32 / bf16 = {fp32 / bf16:F2} ({seconds[InferencePrecision.Float32].Count} epochs each)"));
        Console.WriteLine($"  load average after: {LoadAverage.Now()}");
    }

    [GeneratedRegex(@" epoch \d+/\d+: .*, ([0-9.]+) s$")]
    private static partial Regex EpochLine();
}
