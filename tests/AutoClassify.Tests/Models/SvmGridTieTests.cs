using AutoClassify.Models.Svm;

namespace AutoClassify.Tests.Models;

public class SvmGridTieTests
{
    static List<SvmGridCell> Grid(Func<double, double, double> score)
    {
        var cells = new List<SvmGridCell>();
        foreach (var c in SvmOptions.Log2Range(-5, 15, 2))
        {
            foreach (var g in SvmOptions.Log2Range(-15, 3, 2))
                cells.Add(new SvmGridCell(c, g, score(c, g)));
        }
        return cells;
    }

    [Fact]
    public void Should_pick_the_unique_best_cell()
    {
        var best = SvmTrainer.PickBest(Grid((c, g) => c == 7 && g == -9 ? 0.9 : 0.5));

        Assert.Equal((7.0, -9.0), (best.Log2C, best.Log2Gamma));
    }

    [Fact]
    public void Should_pick_the_centre_of_a_plateau_not_its_corner()
    {
        // Given a grid where every cell scores the same (tiny, separable data)
        var best = SvmTrainer.PickBest(Grid((_, _) => 1.0));

        // Then the centre of the grid wins, not C = 2^-5, gamma = 2^-15
        Assert.Equal((5.0, -7.0), (best.Log2C, best.Log2Gamma));
    }

    [Fact]
    public void Should_pick_the_centre_of_a_partial_plateau()
    {
        var best = SvmTrainer.PickBest(Grid((c, g) => c >= 5 && g is >= -11 and <= -7 ? 0.8 : 0.6));

        Assert.Equal((9.0, -9.0), (best.Log2C, best.Log2Gamma));
    }

    [Fact]
    public void Should_search_large_folds_on_a_stratified_sample_that_keeps_rare_classes()
    {
        // Given a 5,000-item training fold at 90/9.6/0.4% and a cap of 1,000 items
        int[] labels = [.. Enumerable.Repeat(0, 4500), .. Enumerable.Repeat(1, 480), .. Enumerable.Repeat(2, 20)];
        var train = Enumerable.Range(0, labels.Length).Where(i => i % 7 != 0).ToArray();

        var sample = SvmTrainer.TuningSample(labels, train, 1000, seed: 9, out var note);

        // Then about 1,000 distinct training items are kept, each class near its share, the rare one at least 10
        Assert.InRange(sample.Count, 995, 1010);
        Assert.Equal(sample.Count, sample.Distinct().Count());
        Assert.All(sample, i => Assert.Contains(i, train));
        var perClass = Enumerable.Range(0, 3).Select(k => sample.Count(i => labels[i] == k)).ToArray();
        Assert.InRange(perClass[0], 895, 905);
        Assert.InRange(perClass[1], 93, 99);
        Assert.Equal(10, perClass[2]);
        Assert.Contains("sample of", note, StringComparison.Ordinal);
        Assert.Equal(sample, SvmTrainer.TuningSample(labels, train, 1000, seed: 9, out _));
    }

    [Fact]
    public void Should_search_small_folds_in_full()
    {
        int[] labels = [0, 0, 1, 1];
        var train = new[] { 0, 1, 2, 3 };
        Assert.Same(train, SvmTrainer.TuningSample(labels, train, 3000, seed: 1, out var note));
        Assert.Null(note);
    }
}
