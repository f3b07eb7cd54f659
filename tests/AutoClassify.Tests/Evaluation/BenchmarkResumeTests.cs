using System.Text.Json;
using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Evaluation;

public class BenchmarkResumeTests
{
    const int Folds = 4;

    static BenchmarkOptions Options(string data, string? checkpoint, string model, int seed = 5, bool resume = false) => new()
    {
        DatasetPath = data,
        Folds = Folds,
        Seed = seed,
        Models = [model],
        Threads = 1,
        CheckpointDirectory = checkpoint,
        Resume = resume,
        ModelSettings = new ModelSettings
        {
            Grid = "coarse",
            InnerFolds = 2,
            Cnn = new CnnOptions { MaxEpochs = 2, Patience = 1, BatchSize = 16, Threads = 1, Augmentation = AugmentationOptions.None },
        },
    };

    [Theory]
    [InlineData("svm")]
    [InlineData("lipnet1")]
    public void Should_give_the_numbers_of_an_uninterrupted_run_when_resumed_after_fold_2(string model)
    {
        // Given a small data set and the result of an uninterrupted run
        using var dir = new TempDirectory("resume");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 8);
        var full = BenchmarkRunner.Run(Options(data, checkpoint: null, model));

        // When the same run is cancelled after its second fold and then resumed
        var checkpoint = dir.Combine("out", FoldCheckpoint.DefaultFolderName);
        using var cancel = new CancellationTokenSource();
        var interrupted = new RecordingObserver { CancelAfterFolds = 2, Cancel = cancel };
        Assert.ThrowsAny<OperationCanceledException>(() => BenchmarkRunner.Run(Options(data, checkpoint, model), interrupted, cancel.Token));
        Assert.Equal(2, Directory.GetFiles(checkpoint, $"{model}-fold*.json").Length);
        var observer = new RecordingObserver();
        var resumed = BenchmarkRunner.Run(Options(data, checkpoint, model, resume: true), observer);

        // Then only the two missing folds were trained, and probabilities, metrics and summaries equal the full run's
        Assert.Equal(2, observer.Resumed);
        Assert.Equal(2, observer.FoldsTrained);
        var (a, b) = (full.Models.Single(), resumed.Models.Single());
        Assert.Equal(Json(a.Predictions), Json(b.Predictions));
        Assert.Equal(Json(a.Aggregate), Json(b.Aggregate));
        for (var k = 0; k < Folds; k++)
        {
            Assert.Equal(Json(a.Folds[k].Metrics), Json(b.Folds[k].Metrics));
            Assert.Equal(a.Folds[k].Training.Facts, b.Folds[k].Training.Facts);
            Assert.Equal(Json(Untimed(a.Folds[k].Training.Curves)), Json(Untimed(b.Folds[k].Training.Curves)));
        }
        Assert.Contains($"{model} 2/{Folds}", resumed.Settings.Extra["resumed_folds"], StringComparison.Ordinal);

        // And resuming the finished checkpoint restores every fold exactly, training times included
        var again = BenchmarkRunner.Run(Options(data, checkpoint, model, resume: true), new RecordingObserver());
        Assert.Equal(Json(b), Json(again.Models.Single()));
        Assert.All(b.Folds, f => Assert.True(f.Training.TrainingTime > TimeSpan.Zero));
    }

    [Fact]
    public void Should_refuse_to_resume_and_name_every_change_when_settings_or_images_differ()
    {
        // Given a checkpoint of a run interrupted while preparing images
        using var dir = new TempDirectory("resume");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 5);
        var checkpoint = dir.Combine("ckpt");
        Interrupt(Options(data, checkpoint, "svm", seed: 5));

        // When one image is replaced by another and the run is resumed with another seed
        var images = Directory.GetFiles(Path.Combine(data, "multilamellar"), "*.png").Where(f => !f.EndsWith(".mask.png", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var changed = images[0];
        // Another image of the same class: one of another class would be a label conflict, which stops the run before the checkpoint is read.
        File.Copy(images[^1], changed, overwrite: true);
        var error = Assert.Throws<CheckpointMismatchException>(() => BenchmarkRunner.Run(Options(data, checkpoint, "svm", seed: 6, resume: true)));

        // Then the error lists both the seed and the changed image, and nothing was discarded
        Assert.Contains("seed: 5 -> 6", error.Differences);
        Assert.Contains(error.Differences, d => d.Contains("changed content", StringComparison.Ordinal) && d.Contains("multilamellar/" + Path.GetFileName(changed), StringComparison.Ordinal));
        Assert.Contains("without --resume", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(checkpoint, "run.json")));
    }

    [Fact]
    public void Should_start_afresh_with_a_message_when_a_checkpoint_exists_but_resume_is_not_asked()
    {
        // Given an interrupted run's checkpoint
        using var dir = new TempDirectory("resume");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 5);
        var checkpoint = dir.Combine("ckpt");
        Interrupt(Options(data, checkpoint, "svm", seed: 5));

        // When a run with other settings starts without --resume
        using var cancel = new CancellationTokenSource();
        var observer = new RecordingObserver { CancelAtStage = "Preparing images", Cancel = cancel };
        Assert.ThrowsAny<OperationCanceledException>(() => BenchmarkRunner.Run(Options(data, checkpoint, "svm", seed: 6), observer, cancel.Token));

        // Then it says the old checkpoint is discarded and the checkpoint now describes the new run
        Assert.Contains(observer.Messages, m => m.Contains("Discarding", StringComparison.Ordinal));
        Assert.Contains("\"seed\": \"6\"", File.ReadAllText(Path.Combine(checkpoint, "run.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_leave_resumed_steps_out_of_the_eta_pace()
    {
        // Given a stage of 5 steps, 2 of them restored from a checkpoint
        var clock = new ManualClock();
        var tracker = new EtaTracker(5, clock);
        tracker.Resume(2);
        Assert.Null(tracker.Remaining);

        // When one step takes 10 s
        clock.Advance(TimeSpan.FromSeconds(10));
        var done = tracker.Step();

        // Then 3 of 5 are done and the 2 left are estimated at 10 s each
        Assert.Equal(3, done);
        Assert.Equal(TimeSpan.FromSeconds(20), tracker.Remaining);
    }

    static void Interrupt(BenchmarkOptions options)
    {
        using var cancel = new CancellationTokenSource();
        var observer = new RecordingObserver { CancelAtStage = "Preparing images", Cancel = cancel };
        Assert.ThrowsAny<OperationCanceledException>(() => BenchmarkRunner.Run(options, observer, cancel.Token));
    }

    // Wall-clock curves differ between any two runs; every other curve must match to the last bit.
    static Dictionary<string, double[]> Untimed(Dictionary<string, double[]> curves) =>
        curves.Where(c => !c.Key.EndsWith("_seconds", StringComparison.Ordinal)).ToDictionary();

    static string Json<T>(T value) => JsonSerializer.Serialize(value, ResultsJson.Options);

    sealed class ManualClock : TimeProvider
    {
        long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
