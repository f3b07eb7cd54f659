using System.Diagnostics;
using System.Text.Json.Nodes;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Evaluation.BenchmarkOverlapTests;

namespace AutoClassify.Tests.Evaluation;

public class SecondProcessTests
{
    [Fact]
    public void Should_give_the_numbers_of_a_one_process_run_when_a_second_worker_trains_the_last_network_fold()
    {
        // Given an overlapped run of svm and lipnet1 on 2 threads, and the same run with a checkpoint and a worker that
        // trains units as a cluster task would; the network waits for the worker, so a fold is surely left to it
        using var dir = new TempDirectory("second-process");
        var data = Crops(dir);
        var alone = BenchmarkRunner.Run(Options(data, overlap: true));
        var worker = new TaskWorker(data, dir.Combine("checkpoint"));
        var messages = new List<string>();
        var shared = BenchmarkRunner.Run(Options(data, overlap: true, checkpoint: dir.Combine("checkpoint"), worker: worker), new MessageObserver(messages),
            Waiting(worker), CancellationToken.None);

        // Then the worker trained the last network fold, and maybe the ones before it if it was done before this
        // process reached them (it claims from the end), and the run says so
        Assert.Equal([.. Enumerable.Range(0, worker.Units.Count).Select(k => new BenchmarkUnit("lipnet1", Folds - 1 - k))], worker.Units);
        Assert.Matches(@"^lipnet1:fold3(, lipnet1:fold[0-2])* trained in a second process", shared.Settings.Extra["second_process"]);
        Assert.Contains(messages, m => m.Contains("lipnet1:fold3 trains in a second process", StringComparison.Ordinal));
        Assert.False(alone.Settings.Extra.ContainsKey("second_process"));

        // And every probability, metric, fact and curve equals the one-process run's, and no fold counts as resumed
        AssertSameModels(alone, shared);
        Assert.False(shared.Settings.Extra.ContainsKey("resumed_folds"));

        // And the worker's fold is booked in the network's training time
        Assert.Equal(Folds, shared.Timing!.Single(r => r.Model == "lipnet1" && r.Stage == "training").Folds);
    }

    [Fact]
    public void Should_train_the_fold_here_when_the_second_worker_fails()
    {
        // Given a worker that claims a unit and fails on it
        using var dir = new TempDirectory("second-process");
        var data = Crops(dir);
        var alone = BenchmarkRunner.Run(Options(data, overlap: true));
        var worker = new TaskWorker(data, dir.Combine("checkpoint"), fail: true);
        var messages = new List<string>();
        var shared = BenchmarkRunner.Run(Options(data, overlap: true, checkpoint: dir.Combine("checkpoint"), worker: worker), new MessageObserver(messages),
            Waiting(worker), CancellationToken.None);

        // Then the run completes with the fold trained here, says why, and gives the one-process numbers
        Assert.Equal([new BenchmarkUnit("lipnet1", Folds - 1)], worker.Units);
        Assert.Contains(messages, m => m.StartsWith("The second process failed on lipnet1:fold3; it is trained in this process instead.", StringComparison.Ordinal));
        Assert.StartsWith("asked, but no network unit", shared.Settings.Extra["second_process"], StringComparison.Ordinal);
        Assert.Equal(Json(alone.Models[1].Predictions), Json(shared.Models[1].Predictions));
    }

    [Fact]
    public void Should_not_use_a_second_worker_when_the_networks_thread_count_does_not_fit_twice()
    {
        // Given a worker offered to a run on 3 threads, where the networks hold 2
        using var dir = new TempDirectory("second-process");
        var data = Crops(dir);
        var worker = new TaskWorker(data, dir.Combine("checkpoint"), threads: 3);

        // When it runs
        var result = BenchmarkRunner.Run(Options(data, overlap: true, checkpoint: dir.Combine("checkpoint"), threads: 3, worker: worker));

        // Then the worker is never asked and the run records nothing about it
        Assert.Empty(worker.Units);
        Assert.False(result.Settings.Extra.ContainsKey("second_process"));
        Assert.All(result.Models.Single(m => m.Name == "lipnet1").Folds, f => Assert.Equal("2", f.Training.Facts["threads"]));
    }

    [Fact]
    public void Should_train_network_folds_in_a_second_autoclassify_process_with_the_same_numbers()
    {
        // Given generated crops, and the real program run twice: by default, and with --one-process
        using var dir = new TempDirectory("second-process");
        var data = Crops(dir);
        string[] settings = ["--models", "svm,lipnet1", "--folds", "3", "--seed", "11", "--threads", "2", "--overlap-min-images", "0",
            "--grid", "coarse", "--inner-folds", "2", "--epochs", "40", "--patience", "40", "--augment", "none"];
        var two = Program(["benchmark", data, "--out", dir.Combine("two"), .. settings]);
        var one = Program(["benchmark", data, "--out", dir.Combine("one"), "--one-process", .. settings]);
        Assert.True(two.Code == 0, two.Output);
        Assert.True(one.Code == 0, one.Output);

        // Then the default run trained a network fold in a second process and cleaned up after it
        var twoResults = JsonNode.Parse(File.ReadAllText(dir.Combine("two", "results.json")))!;
        var oneResults = JsonNode.Parse(File.ReadAllText(dir.Combine("one", "results.json")))!;
        var second = (string)twoResults["settings"]!["extra"]!["second_process"]!;
        Assert.Matches("^lipnet1:fold[23](, lipnet1:fold[23])? trained in a second process", second);
        Assert.Null(oneResults["settings"]!["extra"]!["second_process"]);
        Assert.Contains("trains in a second process", two.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("two", FoldCheckpoint.DefaultFolderName)));

        // And both runs give the same predictions, model by model
        Assert.Equal(Strip(oneResults["models"]!).ToJsonString(), Strip(twoResults["models"]!).ToJsonString());
    }

    // Trainers whose network fits wait until the worker took its first unit, so the test never races the feature arm.
    static Func<string, ModelSettings, IModelTrainer> Waiting(TaskWorker worker) => (name, settings) =>
    {
        var trainer = ModelCatalog.Create(name, settings);
        return ModelCatalog.IsFeatureModel(name) ? trainer : new WaitingTrainer(trainer, worker.Started);
    };

    static (int Code, string Output) Program(string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "autoclassify"), args)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Environment.ProcessPath) is { } host && File.Exists(Path.Combine(host, "dotnet"))
            ? host : Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? "/usr/share/dotnet";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    // The models' results without what depends on the clock.
    static JsonNode Strip(JsonNode models)
    {
        var copy = models.DeepClone();
        foreach (var model in copy.AsArray())
        {
            foreach (var fold in model!["folds"]!.AsArray())
            {
                var training = fold!["training"]!.AsObject();
                training.Remove("trainingTime");
                training.Remove("training_time");
                training.Remove("stageSeconds");
                training.Remove("stage_seconds");
                if (training["curves"] is JsonObject curves)
                {
                    foreach (var key in curves.Select(c => c.Key).Where(k => k.EndsWith("_seconds", StringComparison.Ordinal)).ToList())
                        curves.Remove(key);
                }
            }
        }
        return copy;
    }

    sealed class WaitingTrainer(IModelTrainer inner, ManualResetEventSlim started) : IModelTrainer
    {
        public string Name => inner.Name;

        public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
        {
            started.Wait(TimeSpan.FromMinutes(2), context.CancellationToken);
            return inner.Train(data, trainIndices, context);
        }
    }

    // Trains a unit as a cluster task does (RunUnits into the shared checkpoint), here on a thread of this process.
    sealed class TaskWorker(string data, string checkpoint, bool fail = false, int threads = 2) : IUnitWorker
    {
        public ManualResetEventSlim Started { get; } = new();

        public List<BenchmarkUnit> Units { get; } = [];

        public void Train(BenchmarkUnit unit, CancellationToken cancellationToken)
        {
            lock (Units)
                Units.Add(unit);
            Started.Set();
            if (fail)
                throw new InvalidOperationException("the worker's process was killed");
            BenchmarkRunner.RunUnits(Options(data, overlap: true, checkpoint: checkpoint, threads: threads, units: [unit]), null, cancellationToken);
        }
    }
}
