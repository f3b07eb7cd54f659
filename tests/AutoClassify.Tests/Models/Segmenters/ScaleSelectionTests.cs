using System.Text.Json;
using AutoClassify.Models.Segmenters;

namespace AutoClassify.Tests.Models.Segmenters;

public class ScaleSelectionTests
{
    const int ObjectSize = 40;

    // A ladder half an octave apart whose objects measure `sizes` working pixels (null: none found).
    static ScaleRung[] Ladder(double?[] sizes, double[] confidence, double?[]? spread = null) =>
        [.. sizes.Select((d, i) => new ScaleRung(0.25 * Math.Pow(2, i / 2.0), d, spread?[i] ?? 0.2, confidence[i]))];

    [Fact]
    public void Should_pick_the_rung_whose_objects_keep_their_size_in_image_pixels_unless_confidence_outweighs_it()
    {
        // Given rungs 2 to 4 that find objects of about 160 image pixels (real particles, resized with the image), and
        // rung 5 whose objects stay at about 40 working pixels (fragments cut at the network's scale), which the
        // network is surer of
        var ladder = Ladder([8, 20, 28, 40, 57, 46, 47], [0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7]);
        // (image-pixel sizes: 32, 57, 56, 57, 57, 33, 23)

        // When the default weights choose, and weights that trust confidence alone
        var byDefault = ScaleSelection.Default.Choose(ladder, ObjectSize);
        var byConfidence = new ScaleSelection { DriftWeight = 0, SpreadWeight = 0, ConfidenceWeight = 1 }.Choose(ladder, ObjectSize);

        // Then the default takes a rung inside the stable run, and confidence alone the fragments' rung
        Assert.Equal(3, byDefault);
        Assert.Equal(5, byConfidence);
    }

    [Fact]
    public void Should_fall_back_to_the_rung_closest_to_the_object_size_when_none_qualifies()
    {
        // Given a ladder whose objects are all more than 1.5x off the size, one with none at all
        var ladder = Ladder([null, 100, 90, 12], [0.9, 0.9, 0.9, 0.9]);

        // When the weights choose, then the closest in log ratio wins (90 is 2.25x off, 12 is 3.3x off)
        Assert.Equal(2, ScaleSelection.Default.Choose(ladder, ObjectSize));
        Assert.Throws<ArgumentException>(() => ScaleSelection.Default.Choose([], ObjectSize));
    }

    [Fact]
    public void Should_draw_the_choice_towards_an_independent_estimate_only_as_far_as_its_weight_says()
    {
        // Given the ladder the default weights choose rung 3 of, and estimates of the factor at rungs 5 and 2
        var ladder = Ladder([8, 20, 28, 40, 57, 46, 47], [0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7]);
        var weighted = ScaleSelection.Default with { EstimateWeight = 1 };

        // When the weights choose with and without an estimate
        // Then a weight of 1 moves the choice to the estimate's rung, a quarter of it does not outweigh the drift
        // (scores -0.918 at rung 3 against -0.857 at rung 5), no estimate or no weight leaves the default's choice, and
        // a rung whose objects do not qualify is never taken, however close the estimate
        Assert.Equal(5, weighted.Choose(ladder, ObjectSize, ladder[5].Factor));
        Assert.Equal(2, weighted.Choose(ladder, ObjectSize, ladder[2].Factor));
        Assert.Equal(3, (ScaleSelection.Default with { EstimateWeight = 0.25 }).Choose(ladder, ObjectSize, ladder[5].Factor));
        Assert.Equal(3, weighted.Choose(ladder, ObjectSize));
        Assert.Equal(3, ScaleSelection.Default.Choose(ladder, ObjectSize, ladder[5].Factor));
        Assert.Equal(2, new ScaleSelection { EstimateWeight = 100 }.Choose(ladder, ObjectSize, ladder[1].Factor));
        Assert.Throws<ArgumentOutOfRangeException>(() => weighted.Choose(ladder, ObjectSize, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => weighted.Choose(ladder, ObjectSize, double.NaN));
        Assert.Contains("estimate -1", new ScaleSelection { EstimateWeight = -1 }.FindProblem(), StringComparison.Ordinal);
        Assert.EndsWith("estimate 1", weighted.Summary(), StringComparison.Ordinal);
        Assert.DoesNotContain("estimate", ScaleSelection.Default.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_tune_the_weights_that_pick_the_best_validation_rungs_and_keep_the_default_on_a_tie()
    {
        // Given validation ladders where the confident rung (5) is the right one: the truth agrees with the network
        var ladder = Ladder([8, 20, 28, 40, 57, 46, 47], [0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7]);
        double[] f1 = [0, 0.1, 0.2, 0.3, 0.4, 0.9, 0.5];
        var images = Enumerable.Repeat(new ScaleTuningImage(ladder, f1), 3).ToArray();

        // When the tuner searches the grid
        var result = ScaleSelectionTuner.Tune(images, ObjectSize);

        // Then the chosen weights pick rung 5 on every image, where the default picked rung 3, a gain without noise,
        // and the best rung bounds both
        Assert.Equal(5, result.Chosen.Choose(ladder, ObjectSize));
        Assert.Same(result.Best, result.Chosen);
        Assert.Equal(0.9, result.F1, 12);
        Assert.Equal(0.3, result.DefaultF1, 12);
        Assert.Equal(0.6, result.Gain, 12);
        Assert.Equal(0, result.GainError, 12);
        Assert.Equal(0.9, result.BestRungF1, 12);
        Assert.Equal(3, result.Images);
        Assert.Equal(new ScaleSelectionGrid().Count, result.Candidates);
        Assert.Contains(result.Describe(), f => f.Key == "scale_selection" && f.Value == result.Chosen.Summary());

        // And when the best's gain over the default is within twice its standard error (+0.6, -0.5 and +0.1 image by
        // image), the default stays
        var noisy = ScaleSelectionTuner.Tune(
        [
            new ScaleTuningImage(ladder, [0, 0, 0, 0.3, 0, 0.9, 0]),
            new ScaleTuningImage(ladder, [0, 0, 0, 0.9, 0, 0.4, 0]),
            new ScaleTuningImage(ladder, [0, 0, 0, 0.3, 0, 0.4, 0]),
        ], ObjectSize);
        Assert.Equal(5, noisy.Best.Choose(ladder, ObjectSize));
        Assert.Equal(0.2 / 3, noisy.Gain, 12);
        Assert.True(noisy.Gain < 2 * noisy.GainError);
        Assert.Same(ScaleSelection.Default, noisy.Chosen);
        Assert.Equal(0.5, noisy.F1, 12);
        Assert.Contains("default kept", noisy.Describe().Single(f => f.Key == "scale_selection_best_candidate").Value, StringComparison.Ordinal);

        // And when every rung scores alike, nothing moves the weights from the default
        var flat = ScaleSelectionTuner.Tune([new ScaleTuningImage(ladder, [.. f1.Select(_ => 0.5)])], ObjectSize);
        Assert.Same(ScaleSelection.Default, flat.Chosen);

        // And images whose rungs have no objects on either side (NaN) do not count
        var empty = new ScaleTuningImage(ladder, [.. f1.Select(_ => double.NaN)]);
        Assert.Equal(0.9, ScaleSelectionTuner.Tune([.. images, empty], ObjectSize).F1, 12);
        var nothing = ScaleSelectionTuner.Tune([empty], ObjectSize);
        Assert.Same(ScaleSelection.Default, nothing.Chosen);
        Assert.True(double.IsNaN(nothing.F1));
    }

    [Fact]
    public void Should_refuse_unusable_weights_and_ladders_that_do_not_match_their_scores()
    {
        var ladder = Ladder([40, 40], [0.5, 0.5]);
        Assert.Throws<ArgumentException>(() => ScaleSelectionTuner.Tune([new ScaleTuningImage(ladder, [0.5])], ObjectSize));
        Assert.Throws<ArgumentException>(() => ScaleSelectionTuner.Tune([], ObjectSize));
        Assert.Throws<ArgumentException>(() => ScaleSelectionTuner.Tune([new ScaleTuningImage(ladder, [0.5, 0.5])], ObjectSize,
            new ScaleSelectionGrid { ConfidenceWeights = [-1] }));
        Assert.Contains("non-negative", new ScaleSelection { SpreadWeight = double.NaN }.FindProblem(), StringComparison.Ordinal);
        Assert.Null(ScaleSelection.Default.FindProblem());
    }

    [Fact]
    public void Should_read_an_object_scale_written_before_the_weights_were_stored_with_the_default_weights()
    {
        // Given the snake-case JSON of a format-3 object scale without a selection, and one with tuned weights
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        const string old = """{"object_size": 40, "min_factor": 0.1, "max_factor": 2, "probe_factor": 0.5, "max_pixels": 4000000}""";
        var tuned = new ObjectScale { ObjectSize = 40, MinFactor = 0.1, MaxFactor = 2, ProbeFactor = 0.5, Selection = new ScaleSelection { ConfidenceWeight = 8, DriftWeight = 0 } };

        // When both are read
        var read = JsonSerializer.Deserialize<ObjectScale>(old, options)!;
        var again = JsonSerializer.Deserialize<ObjectScale>(JsonSerializer.Serialize(tuned, options), options)!;

        // Then the old one selects as before, the tuned one keeps its weights, and a null selection is a named problem
        Assert.Equal(ScaleSelection.Default, read.Selection);
        Assert.Null(read.FindProblem());
        Assert.Equal(tuned, again);
        // And the estimate's weight is written only when set, so scales without it read as before
        Assert.DoesNotContain("estimate_weight", JsonSerializer.Serialize(tuned, options), StringComparison.Ordinal);
        var drawn = tuned with { Selection = tuned.Selection with { EstimateWeight = 0.5 } };
        Assert.Equal(drawn, JsonSerializer.Deserialize<ObjectScale>(JsonSerializer.Serialize(drawn, options), options));
        var broken = JsonSerializer.Deserialize<ObjectScale>("""{"object_size": 40, "min_factor": 0.1, "max_factor": 2, "probe_factor": 0.5, "selection": null}""", options)!;
        Assert.Equal("selection must not be null", broken.FindProblem());
    }
}
