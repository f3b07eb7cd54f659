using AutoClassify.Evaluation;
using AutoClassify.Models;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Evaluation;

public class StageTimingTests
{
    [Fact]
    public void Should_estimate_the_time_left_from_the_share_of_the_first_step_in_flight()
    {
        // Given a stage of 4 folds, the first a quarter done after 30 s
        var clock = new ManualClock();
        var tracker = new EtaTracker(4, clock);
        clock.Advance(TimeSpan.FromSeconds(30));
        tracker.Partial = 0.25;

        // Then the ETA is there before any fold ended: 3.75 folds at 120 s each
        Assert.Equal(TimeSpan.FromSeconds(450), tracker.Remaining);

        // And a finished step clears the share in flight
        clock.Advance(TimeSpan.FromSeconds(90));
        tracker.Step();
        Assert.Equal(0, tracker.Partial);
        Assert.Equal(TimeSpan.FromSeconds(360), tracker.Remaining);
    }

    [Fact]
    public void Should_time_each_stage_report_progress_within_folds_and_show_the_table()
    {
        // Given a small data set and an SVM run
        using var dir = new TempDirectory("timing");
        var data = dir.Combine("lipo");
        RepoPaths.CopyLiposomeSubset(data, perClass: 8);
        var observer = new ProgressObserver();

        // When the benchmark runs
        var result = BenchmarkRunner.Run(new BenchmarkOptions
        {
            DatasetPath = data,
            Folds = 2,
            Seed = 3,
            Models = ["svm"],
            Threads = 1,
            ModelSettings = new ModelSettings { Grid = "coarse", InnerFolds = 2 },
        }, observer);

        // Then the time table lists the shared stages and the SVM's parts, each fold counted
        var timing = Assert.IsType<List<StageTime>>(result.Timing);
        Assert.Equal(["prepare images", "features", "svm: grid search", "svm: final fit", "svm: prediction", "svm: permutation importance"],
            timing.Select(t => t.Model is null ? t.Stage : $"{t.Model}: {t.Stage}"));
        Assert.All(timing.Where(t => t.Model is not null), t => Assert.Equal(2, t.Folds));
        Assert.All(timing, t => Assert.True(t.Seconds >= 0));
        Assert.True(timing.Sum(t => t.Seconds) <= result.Settings.WallTime.TotalSeconds + 0.01);

        // And the observer heard the first fold's progress before the fold ended
        Assert.True(observer.ProgressBeforeFirstFold > 3, $"{observer.ProgressBeforeFirstFold} progress reports before the first fold ended");

        // And results.json and the report carry the table
        var back = ResultsJson.Deserialize(ResultsJson.Serialize(result));
        Assert.Equal(timing.Count, back.Timing!.Count);
        var html = HtmlReport.Render(result);
        Assert.Contains("id=\"stage-times\"", html, StringComparison.Ordinal);
        Assert.Contains("svm: grid search", html, StringComparison.Ordinal);
    }

    sealed class ProgressObserver : IBenchmarkObserver
    {
        int folds;
        int before;

        public int ProgressBeforeFirstFold => before;

        public void StageStarted(string stage, int totalSteps) { }

        public void StepCompleted(string stage)
        {
            if (stage.Contains("cross-validation", StringComparison.Ordinal))
                Interlocked.Increment(ref folds);
        }

        public void StepProgress(string stage, double fraction)
        {
            if (Volatile.Read(ref folds) == 0)
                Interlocked.Increment(ref before);
        }

        public void Message(string text) { }
    }

    sealed class ManualClock : TimeProvider
    {
        long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
