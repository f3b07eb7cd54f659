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
}
