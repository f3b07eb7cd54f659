using System.Text.Json;
using AutoClassify.Evaluation.Statistics;
using AutoClassify.Retraining;

namespace AutoClassify.Tests.Retraining;

/// <summary>The retrain's paired decision against tests/fixtures/retrain/paired.py (exact fractions, standard library only).</summary>
public sealed class PairedComparisonTests
{
    static readonly Lazy<JsonElement> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "retrain", "paired.json"))).RootElement);

    static int[] Ints(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32())];

    static JsonElement Case(string name) => Reference.Value.GetProperty("paired").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    static PairedComparison Compare(JsonElement c)
    {
        var truth = Ints(c, "truth");
        var classes = Enumerable.Range(0, c.GetProperty("classes").GetInt32()).Select(k => "c" + k).ToArray();
        return PairedComparison.Compute([.. truth.Select((_, i) => $"img_{i:000}.png")], truth, Ints(c, "champion"), Ints(c, "challenger"), classes, seed: 7, replicates: 500);
    }

    [Fact]
    public void Should_match_the_exact_McNemar_p_from_the_discordant_counts()
    {
        foreach (var c in Reference.Value.GetProperty("mcnemar").EnumerateArray())
        {
            var result = McNemar.Exact(c.GetProperty("b").GetInt32(), c.GetProperty("c").GetInt32());
            Assert.Equal(c.GetProperty("p").GetDouble(), result.PValue, 12);
        }
    }

    [Fact]
    public void Should_say_one_flip_of_a_class_of_two_is_noise_the_tolerance_cannot_resolve()
    {
        // Given the case: 60 reference images, 2 of class c2, and a challenger that gets one of those wrong
        var c = Case("one-flip-of-a-class-of-two");

        // When compared
        var paired = Compare(c);

        // Then the counts, p and difference match the reference; the change is neither significant way, and the set cannot resolve 0.01
        Assert.Equal(c.GetProperty("only_champion").GetInt32(), paired.McNemar.OnlyFirstCorrect);
        Assert.Equal(c.GetProperty("only_challenger").GetInt32(), paired.McNemar.OnlySecondCorrect);
        Assert.Equal(c.GetProperty("p").GetDouble(), paired.McNemar.PValue, 12);
        Assert.Equal(c.GetProperty("macro_f1_difference").GetDouble(), paired.MacroF1Difference, 12);
        Assert.Equal(c.GetProperty("one_flip").GetDouble(), paired.OneFlip, 12);
        Assert.False(paired.Worse);
        Assert.False(paired.Better);
        Assert.True(paired.CannotResolve(0.01));
        Assert.Equal(("c2", 2), (paired.SmallestClass, paired.SmallestClassCount));
        Assert.Equal([("c2", 2)], paired.SmallClasses);
        Assert.True(paired.MacroF1DifferenceInterval.Contains(0));
        Assert.True(paired.MacroF1DifferenceInterval.Contains(paired.MacroF1Difference));
        var changed = Assert.Single(paired.Changed);
        Assert.Equal(new ChangedPrediction("img_059.png", "c2", "c2", "c0"), changed);
        Assert.Equal("broken", changed.Effect);
        Assert.Contains("cannot tell the two models apart", paired.Verdict(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_call_a_challenger_that_loses_twelve_and_gains_one_statistically_worse_and_its_mirror_better()
    {
        // Given a challenger 12 images worse, and the mirrored pair
        var worse = Compare(Case("clearly-worse"));
        var better = Compare(Case("clearly-better"));

        // Then McNemar matches the reference and both rules decide; the interval excludes zero
        Assert.Equal(Case("clearly-worse").GetProperty("p").GetDouble(), worse.McNemar.PValue, 12);
        Assert.True(worse.Worse);
        Assert.False(worse.Better);
        Assert.True(worse.MacroF1DifferenceInterval.Upper < 0);
        Assert.True(better.Better);
        Assert.False(better.Worse);
        Assert.True(better.MacroF1DifferenceInterval.Lower > 0);
        Assert.Equal(13, worse.Changed.Count);
        Assert.Equal(12, worse.Changed.Count(c => c.Effect == "broken"));
        Assert.False(worse.CannotResolve(0.05));
    }

    [Fact]
    public void Should_draw_the_same_interval_from_the_same_seed()
    {
        var c = Case("clearly-worse");
        Assert.Equal(Compare(c).MacroF1DifferenceInterval, Compare(c).MacroF1DifferenceInterval);
    }
}
