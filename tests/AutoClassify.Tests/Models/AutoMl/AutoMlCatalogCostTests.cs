using System.Globalization;
using AutoClassify.MLNet;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;

namespace AutoClassify.Tests.Models.AutoMl;

/// <summary>The cost estimate of a catalog learner (ML.NET maxent here) before its first trial, on a simulated clock.</summary>
public partial class AutoMlPipelineSearchTests
{
    /// <summary>
    /// Blobs (120 items, 3 classes) and a search of the small SVM space and ML.NET's maxent, on a clock where every SVM fit
    /// costs 0.5 s and every maxent fit (probe, inner fit or refit) 2 s plus 0.1 s per item it reads.
    /// </summary>
    static (AutoMlModel Model, SteppingClock Clock, List<string> Log) SearchWithMaxent(double budgetSeconds)
    {
        MLNetModels.Register();
        var data = SvmTestData.Blobs(count: 120, dimension: 4, shares: [0.34, 0.33, 0.33], seed: 21, separation: 4);
        var (train, _) = AutoMlTestData.OuterFold(data);
        var clock = new SteppingClock();
        var options = new AutoMlOptions
        {
            TimeBudget = TimeSpan.FromSeconds(budgetSeconds),
            Space = FeaturesOnly with { FeatureLearners = ["maxent"] },
            Clock = clock,
            Audit = a =>
            {
                if (a.Purpose is "fit" or "refit" or "probe")
                    clock.Advance(a.Family == "maxent" ? TimeSpan.FromSeconds(2 + (0.1 * a.Items.Count)) : TimeSpan.FromSeconds(0.5));
            },
        };
        var log = new List<string>();
        var model = new AutoMlTrainer(new ModelSettings { AutoMl = options }).Train(data, train, AutoMlTestData.Context(log: log.Add));
        return (model, clock, log);
    }

    [Fact]
    public void Should_skip_a_catalog_learner_whose_probe_shows_it_cannot_fit_instead_of_cutting_it_at_the_budgets_end()
    {
        // Given 8 SVM trials of 1.5 s, then maxent, whose 3 inner fits of about 60 items take 24 s, with 15 s reserved for its refit
        // When the budget is 40 s (the probes fit, the trial does not) or 20 s (the first probe alone is too long)
        var (roomy, roomyClock, roomyLog) = SearchWithMaxent(40);
        var (tight, tightClock, tightLog) = SearchWithMaxent(20);
        using (roomy)
        using (tight)
        {
            // Then maxent never started, the log and notes say why, and nothing was cut at the budget's end
            var board = Board(roomy, roomyLog) + "\n---\n" + Board(tight, tightLog);
            foreach (var model in new[] { roomy, tight })
            {
                Assert.DoesNotContain(model.Summary.Trials, t => t.Family == "maxent");
                Assert.All(model.Summary.Trials, t => Assert.True(t.ValidationMacroF1 is not null, board));
                Assert.Equal("time left too short for the next trial", model.Summary.Facts["automl_stopped_by"]);
                Assert.Equal("1", model.Summary.Facts["automl_skipped_trials"]);
            }
            Assert.Contains(roomyLog, l => l.StartsWith("auto: probe of maxent on object features: 2.9 s on 9 items and 3.8 s on 18 items;", StringComparison.Ordinal)
                && l.EndsWith("should take about 24.0 s", StringComparison.Ordinal));
            Assert.Contains(roomyLog, l => l.StartsWith("auto: maxent on object features does not start: its trial needs about 24.0 s and its refit 15.0 s (from its probe)", StringComparison.Ordinal));
            Assert.Contains("maxent on object features: 0.0 s in 0 (and 6.7 s of probes)", roomy.Summary.Facts["automl_time_by_pipeline"], StringComparison.Ordinal);
            Assert.Contains("maxent on object features does not start: its probe on 9 items took 2.9 s, more than the 1.8 s", tight.Summary.Facts["automl_notes"], StringComparison.Ordinal);
            Assert.True(roomyClock.Now <= TimeSpan.FromSeconds(40) && tightClock.Now <= TimeSpan.FromSeconds(20), board);
        }
    }

    [Fact]
    public void Should_run_a_catalog_learner_whose_probe_estimate_fits_and_take_about_what_it_estimated()
    {
        // Given the same search with an 80 s budget
        var (model, clock, log) = SearchWithMaxent(80);
        using (model)
        {
            // Then maxent ran to its end after its probes, in the 24 s its probe predicted, and the search kept to its budget
            var board = Board(model, log);
            var maxent = Assert.Single(model.Summary.Trials, t => t.Family == "maxent");
            Assert.Null(maxent.Note);
            Assert.NotNull(maxent.ValidationMacroF1);
            Assert.Equal(24.0, maxent.Seconds, precision: 6);
            Assert.Contains(log, l => l.EndsWith("should take about 24.0 s", StringComparison.Ordinal));
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"maxent on object features: 24.0 s in 1 (and 6.7 s of probes)"),
                model.Summary.Facts["automl_time_by_pipeline"], StringComparison.Ordinal);
            Assert.Equal("plan complete", model.Summary.Facts["automl_stopped_by"]);
            Assert.True(clock.Now <= TimeSpan.FromSeconds(80), board);
        }
    }
}
