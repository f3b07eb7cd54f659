using System.Text.Json;
using AutoClassify.Dataset.Synthesis;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Reporting;
using AutoClassify.Tensors;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Evaluation;

public class BenchmarkOverlapTests
{
    internal const int Folds = 3;

    internal static BenchmarkOptions Options(string data, bool overlap, int cnnThreads = 0, IReadOnlyList<string>? models = null, string? checkpoint = null,
        bool resume = false, int minImages = 0, int threads = 2, IUnitWorker? worker = null, IReadOnlyList<BenchmarkUnit>? units = null) => new()
        {
            DatasetPath = data,
            Folds = Folds,
            Seed = 11,
            Models = models ?? ["svm", "lipnet1"],
            Threads = threads,
            Overlap = overlap,
            OverlapMinImages = minImages,
            CheckpointDirectory = checkpoint,
            Resume = resume,
            UnitWorker = worker,
            Scope = units is null ? BenchmarkScope.All : BenchmarkScope.Units,
            Units = units ?? [],
            ModelSettings = new ModelSettings
            {
                Grid = "coarse",
                InnerFolds = 2,
                Cnn = new CnnOptions { MaxEpochs = 2, Patience = 1, BatchSize = 16, Threads = cnnThreads, Augmentation = AugmentationOptions.None },
            },
        };

    internal static string Crops(TempDirectory dir)
    {
        var data = dir.Combine("crops");
        LiposomeSynthesizer.Generate(data, new LiposomeSynthesisOptions { Count = 45, MinPerClass = 6, ImageSize = 48, Seed = 3, MaxDegreeOfParallelism = 2 });
        return data;
    }

    [Fact]
    public void Should_give_the_svm_numbers_of_a_serial_run_and_the_network_those_of_a_serial_run_on_its_thread_count()
    {
        // Given generated crops, an overlapped run of svm and lipnet1 on 2 threads, and a serial run whose network has the rule's 1 thread
        using var dir = new TempDirectory("overlap");
        var data = Crops(dir);
        var messages = new List<string>();
        var overlapped = BenchmarkRunner.Run(Options(data, overlap: true), new MessageObserver(messages));
        var serial = BenchmarkRunner.Run(Options(data, overlap: false, cnnThreads: 1));

        // Then the run says what ran beside what, and the network trained on 1 thread in every fold
        Assert.StartsWith("on: svm beside lipnet1; networks on 1 of 2 threads", overlapped.Settings.Extra["overlap"], StringComparison.Ordinal);
        Assert.Equal("off (--no-overlap)", serial.Settings.Extra["overlap"]);
        Assert.Contains(messages, m => m.StartsWith("Overlap on:", StringComparison.Ordinal));
        Assert.All(overlapped.Models.Single(m => m.Name == "lipnet1").Folds, f => Assert.Equal("1", f.Training.Facts["threads"]));

        // And the models come in the order asked, every probability, metric and fact bit-identical to the serial run's
        Assert.Equal(["svm", "lipnet1"], overlapped.Models.Select(m => m.Name));
        AssertSameModels(serial, overlapped);

        // And the time table has every row of the serial run, in its order, each model's over all folds, then the arms' wall time
        var rows = Assert.IsType<List<StageTime>>(overlapped.Timing);
        Assert.Equal([.. Names(serial.Timing!), ModelArms.WallStage], Names(rows));
        Assert.Contains("lipnet1: training", Names(rows));
        Assert.Contains("svm: final fit", Names(rows));
        Assert.All(rows.Where(r => r.Model is not null), r => Assert.Equal(Folds, r.Folds));
        var wall = rows.Single(r => r.Stage == ModelArms.WallStage).Seconds;
        Assert.True(wall <= overlapped.Settings.WallTime.TotalSeconds);
        foreach (var model in new[] { "svm", "lipnet1" })
        {
            var busy = rows.Where(r => r.Model == model).Sum(r => r.Seconds);
            Assert.True(busy <= wall + 0.05, $"{model} was busy {busy:F2} s within {wall:F2} s of wall time");
        }
        Assert.Contains("ran beside the networks", HtmlReport.Render(overlapped), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_resume_an_interrupted_overlapped_run_to_the_numbers_of_an_uninterrupted_one()
    {
        // Given the result of an uninterrupted overlapped run, and the same run cancelled once two folds are saved
        using var dir = new TempDirectory("overlap");
        var data = Crops(dir);
        var full = BenchmarkRunner.Run(Options(data, overlap: true));
        var checkpoint = dir.Combine("out", FoldCheckpoint.DefaultFolderName);
        using var cancel = new CancellationTokenSource();
        var interrupted = new RecordingObserver { CancelAfterFolds = 2, Cancel = cancel };
        Assert.ThrowsAny<OperationCanceledException>(() => BenchmarkRunner.Run(Options(data, overlap: true, checkpoint: checkpoint), interrupted, cancel.Token));
        var saved = Directory.GetFiles(checkpoint, "*-fold*.json").Length;
        Assert.InRange(saved, 2, 2 * Folds - 1);

        // When it is resumed, overlapped again
        var observer = new RecordingObserver();
        var resumed = BenchmarkRunner.Run(Options(data, overlap: true, checkpoint: checkpoint, resume: true), observer);

        // Then only the missing folds were trained, and every model's predictions equal the uninterrupted run's
        Assert.Equal(saved, observer.Resumed);
        Assert.Equal(2 * Folds - saved, observer.FoldsTrained);
        Assert.Equal(["svm", "lipnet1"], resumed.Models.Select(m => m.Name));
        for (var i = 0; i < 2; i++)
            Assert.Equal(Json(full.Models[i].Predictions), Json(resumed.Models[i].Predictions));
        Assert.Contains("restored from the checkpoint", resumed.Settings.Extra["resumed_folds"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lipnet1")]
    [InlineData("svm")]
    public void Should_stop_both_arms_and_report_the_failure_of_one_as_a_serial_run_would(string failing)
    {
        // Given an overlapped run in which one model's first fit throws
        using var dir = new TempDirectory("overlap");
        var data = Crops(dir);
        var trainers = new System.Collections.Concurrent.ConcurrentDictionary<string, CountingTrainer>();
        IModelTrainer Create(string name, ModelSettings settings) =>
            trainers[name] = new CountingTrainer(ModelCatalog.Create(name, settings), failOnCall: name == failing ? 1 : -1);

        // When it runs
        var error = Assert.Throws<InvalidOperationException>(() => BenchmarkRunner.Run(Options(data, overlap: true), null, Create, CancellationToken.None));

        // Then the failure itself comes out, not a wrapper nor the other arm's cancellation
        Assert.Equal($"{failing} failed on call 1", error.Message);
        Assert.Equal(1, trainers[failing].Calls);
        // And the networks, slower than the SVM's folds, were stopped before their last fold
        if (failing == "svm")
            Assert.True(trainers["lipnet1"].Calls < Folds, $"lipnet1 started {trainers["lipnet1"].Calls} folds");
    }

    [Fact]
    public void Should_leave_a_run_of_one_kind_of_model_as_it_was()
    {
        // Given an SVM-only run with overlap asked and one without
        using var dir = new TempDirectory("overlap");
        var data = Crops(dir);
        var asked = BenchmarkRunner.Run(Options(data, overlap: true, models: ["svm"]));
        var off = BenchmarkRunner.Run(Options(data, overlap: false, models: ["svm"]));

        // Then nothing overlapped: same numbers, same time table, and the setting says why
        Assert.Equal("off (one kind of model: nothing to overlap)", asked.Settings.Extra["overlap"]);
        Assert.Equal(Json(off.Models.Single().Predictions), Json(asked.Models.Single().Predictions));
        Assert.Equal(Names(off.Timing!), Names(asked.Timing!));
        Assert.DoesNotContain(ModelArms.WallStage, Names(asked.Timing!));

        // And a network alone keeps every thread
        var networkOnly = ModelOverlap.Plan(Options(data, overlap: true, models: ["lipnet1"]), threads: 2, images: 100);
        Assert.False(networkOnly.Enabled);
        Assert.Equal(2, networkOnly.NetworkThreads);
    }

    [Fact]
    public void Should_give_the_networks_threads_minus_one_by_rule_and_the_feature_models_the_rest_until_the_networks_are_done()
    {
        // Given svm and lipnet1 on 4 threads
        var options = Options("unused", overlap: true);
        var plan = ModelOverlap.Plan(options, threads: 4, images: 100);

        // Then the network's count is fixed and the feature models' follows the network arm
        Assert.True(plan.Enabled);
        Assert.Equal(3, plan.NetworkThreads);
        Assert.Equal(3, plan.NetworkSettings(options.ModelSettings).Cnn.Threads);
        Assert.Equal(4, plan.FeatureThreadsNow);
        using (plan.NetworksRunning())
            Assert.Equal(1, plan.FeatureThreadsNow);
        Assert.Equal(4, plan.FeatureThreadsNow);

        // And a smaller CNN count given by the caller is kept, one thread or --no-overlap turns it all off
        Assert.Equal(2, ModelOverlap.Plan(Options("unused", overlap: true, cnnThreads: 2), threads: 4, images: 100).NetworkThreads);
        Assert.Equal("off (1 thread)", ModelOverlap.Plan(options, threads: 1, images: 100).Describe(asked: true));
        var off = ModelOverlap.Plan(Options("unused", overlap: false), threads: 4, images: 100);
        Assert.False(off.Enabled);
        Assert.Equal(4, off.NetworkThreads);
        Assert.Equal("off (--no-overlap)", off.Describe(asked: false));
    }

    [Fact]
    public void Should_refuse_to_resume_a_serial_checkpoint_overlapped_because_the_network_thread_count_differs()
    {
        // Given a checkpoint of a serial run, interrupted while preparing images
        using var dir = new TempDirectory("overlap");
        var data = Crops(dir);
        var checkpoint = dir.Combine("ckpt");
        using (var cancel = new CancellationTokenSource())
        {
            var observer = new RecordingObserver { CancelAtStage = "Preparing images", Cancel = cancel };
            Assert.ThrowsAny<OperationCanceledException>(() => BenchmarkRunner.Run(Options(data, overlap: false, checkpoint: checkpoint), observer, cancel.Token));
        }

        // When the run is resumed with overlap
        var error = Assert.Throws<CheckpointMismatchException>(() => BenchmarkRunner.Run(Options(data, overlap: true, checkpoint: checkpoint, resume: true)));

        // Then the network's thread count is named as the difference
        Assert.Equal(["cnnThreads: 2 -> 1"], error.Differences);
    }

    [Fact]
    public void Should_overlap_only_data_sets_of_the_minimum_size_and_say_so()
    {
        // Given svm + lipnet1 on 2 threads at the default minimum
        var options = Options("unused", overlap: true, minImages: ModelOverlap.DefaultMinImages);

        // When planned for one image fewer than the minimum, and for the minimum
        var small = ModelOverlap.Plan(options, threads: 2, images: ModelOverlap.DefaultMinImages - 1);
        var large = ModelOverlap.Plan(options, threads: 2, images: ModelOverlap.DefaultMinImages);

        // Then the small set runs one model after another, the network on both threads, and the reason is given
        Assert.False(small.Enabled);
        Assert.Equal(2, small.NetworkThreads);
        Assert.Equal("off (1999 images, fewer than --overlap-min-images 2000)", small.Describe(asked: true));
        Assert.True(large.Enabled);
        Assert.Equal(1, large.NetworkThreads);
    }

    [Fact]
    public void Should_overlap_from_the_command_line_by_default_and_not_with_no_overlap()
    {
        // Given generated crops and the same svm + lipnet1 benchmark on 2 threads
        using var dir = new TempDirectory("overlap-cli");
        var data = Crops(dir);
        string[] settings = ["--models", "svm,lipnet1", "--folds", "3", "--seed", "4", "--epochs", "2", "--batch-size", "16", "--grid", "coarse",
            "--inner-folds", "2", "--threads", "2", "--overlap-min-images", "0"];

        // When it runs as typed (overlapping a set this small only because the minimum is lowered), and with --no-overlap
        var (code, stdout, stderr) = CliRunner.Run(["benchmark", data, "--out", dir.Combine("on"), .. settings]);
        var off = CliRunner.Run(["benchmark", data, "--out", dir.Combine("off"), "--no-overlap", .. settings]);

        // Then the first ran both models' stages at once with the network on 1 thread, the second one after another on 2
        Assert.True(code == 0, stderr);
        Assert.True(off.Code == 0, off.Err);
        Assert.Contains("Overlap on: svm beside lipnet1", stdout, StringComparison.Ordinal);
        var (on, serial) = (ResultsJson.Read(dir.Combine("on", "results.json")), ResultsJson.Read(dir.Combine("off", "results.json")));
        Assert.StartsWith("on: ", on.Settings.Extra["overlap"], StringComparison.Ordinal);
        Assert.Equal("off (--no-overlap)", serial.Settings.Extra["overlap"]);
        Assert.All(on.Models[1].Folds, f => Assert.Equal("1", f.Training.Facts["threads"]));
        Assert.All(serial.Models[1].Folds, f => Assert.Equal("2", f.Training.Facts["threads"]));
        Assert.DoesNotContain(serial.Timing!, r => r.Stage == ModelArms.WallStage);
        Assert.Contains(on.Timing!, r => r.Stage == ModelArms.WallStage);

        // And the SVM's predictions are the same either way
        Assert.Equal(Json(serial.Models[0].Predictions), Json(on.Models[0].Predictions));
    }

    [Fact]
    public void Should_set_libtorchs_thread_count_for_the_calling_thread_only()
    {
        // Given this thread on 2 libtorch threads, under the gate every CNN fit takes
        using var gate = TorchThreads.Gate.EnterScope();
        using var mine = new TorchThreads(2);
        using var set = new ManualResetEventSlim();
        using var read = new ManualResetEventSlim();
        var theirs = 0;

        // When another thread sets 1 for itself and holds it
        var other = new Thread(() =>
        {
            using var scope = new TorchThreads(1);
            theirs = Torch.Threads;
            set.Set();
            read.Wait();
        });
        other.Start();
        set.Wait();
        var meanwhile = Torch.Threads;
        read.Set();
        other.Join();

        // Then each thread kept its own count (OpenMP's is per calling thread), so a network arm cannot change the others'
        Assert.Equal(1, theirs);
        Assert.Equal(2, meanwhile);
        Assert.Equal(2, Torch.Threads);
    }

    [Fact]
    public void Should_give_an_enclosing_scope_its_thread_count_back_and_leave_the_outermost_count_in_place()
    {
        // Given a fresh thread on 1 libtorch thread (the count is per calling thread, so this test has it to itself)
        int inner = 0, enclosing = 0, after = 0;
        var thread = new Thread(() =>
        {
            Torch.Threads = 1;
            using (new TorchThreads(2))
            {
                // When a nested scope asks for 1 and ends
                using (new TorchThreads(1))
                    inner = Torch.Threads;
                enclosing = Torch.Threads;
            }
            after = Torch.Threads;
        });
        thread.Start();
        thread.Join();

        // Then the nested scope ran on 1, the enclosing scope got its 2 back, and the outermost left its 2 in place
        // (setting the count empties oneDNN's convolution cache, so restoring it would cost every next call a rebuild)
        Assert.Equal(1, inner);
        Assert.Equal(2, enclosing);
        Assert.Equal(2, after);
    }

    static List<string> Names(IEnumerable<StageTime> rows) => [.. rows.Select(t => t.Model is null ? t.Stage : $"{t.Model}: {t.Stage}")];

    /// <summary>Every model's predictions, aggregates, and per fold its facts, untimed curves and importance, bit for bit.</summary>
    internal static void AssertSameModels(BenchmarkResult expected, BenchmarkResult actual)
    {
        Assert.Equal(expected.Models.Count, actual.Models.Count);
        for (var i = 0; i < expected.Models.Count; i++)
        {
            var (a, b) = (expected.Models[i], actual.Models[i]);
            Assert.Equal(Json(a.Predictions), Json(b.Predictions));
            Assert.Equal(Json(a.Aggregate), Json(b.Aggregate));
            for (var k = 0; k < a.Folds.Count; k++)
            {
                Assert.Equal(a.Folds[k].Training.Facts, b.Folds[k].Training.Facts);
                Assert.Equal(Json(Untimed(a.Folds[k].Training.Curves)), Json(Untimed(b.Folds[k].Training.Curves)));
                Assert.Equal(Json(a.Folds[k].Training.PermutationImportance), Json(b.Folds[k].Training.PermutationImportance));
            }
        }
    }

    internal static Dictionary<string, double[]> Untimed(Dictionary<string, double[]> curves) =>
        curves.Where(c => !c.Key.EndsWith("_seconds", StringComparison.Ordinal)).ToDictionary();

    internal static string Json<T>(T value) => JsonSerializer.Serialize(value, ResultsJson.Options);

    sealed class CountingTrainer(IModelTrainer inner, int failOnCall) : IModelTrainer
    {
        int calls;

        public string Name => inner.Name;

        public int Calls => Volatile.Read(ref calls);

        public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
        {
            if (Interlocked.Increment(ref calls) == failOnCall)
                throw new InvalidOperationException($"{Name} failed on call {failOnCall}");
            return inner.Train(data, trainIndices, context);
        }
    }
}
