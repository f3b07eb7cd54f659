namespace AutoClassify.Models.Svm;

/// <summary>
/// Which cells of a (C, gamma) grid a coarse-to-fine search scores, in index space (row = C index, column = gamma
/// index). It scores the sub-grid at every other exponent (the two ends always included), then the cells one step
/// around the best few scored cells, climbing on while a newly scored cell beats the best so far. Rounds are scored
/// as a whole, so a round's cells can run in parallel; which cells come next depends only on the scores, never on timing.
/// </summary>
internal static class SvmGridPlan
{
    /// <summary>Best cells whose neighbourhood each finer round scores (ties with the best always join).</summary>
    public const int Leaders = 3;

    /// <summary>
    /// The first step, in grid positions: 2 (every other exponent, the practical guide's coarse grid), or 1 (search
    /// everything) for axes of at most 4 values. A coarser start saves few cells and, on noisy inner-CV surfaces with
    /// two ridges (small C and large gamma, large C and small gamma), can miss the better ridge altogether.
    /// </summary>
    public static int CoarseStride(int rows, int columns) => Math.Max(rows, columns) >= 5 ? 2 : 1;

    /// <summary>
    /// Runs the search: <paramref name="score"/> is called once per round with the cells (row, column) not yet
    /// scored and returns their scores in the same order (higher is better; NaN counts as worst). Returns every
    /// scored cell and its score.
    /// </summary>
    public static Dictionary<(int Row, int Column), double> Search(int rows, int columns, Func<IReadOnlyList<(int Row, int Column)>, double[]> score)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentNullException.ThrowIfNull(score);
        var scored = new Dictionary<(int Row, int Column), double>();
        var stride = CoarseStride(rows, columns);
        var coarse = Lattice(rows, stride).SelectMany(r => Lattice(columns, stride).Select(c => (r, c))).ToList();
        Score(coarse, scored, score);
        while (stride > 1)
        {
            stride /= 2;
            var leaders = Best(scored, Leaders);
            while (true)
            {
                var bestBefore = BestScore(scored);
                var round = leaders
                    .SelectMany(cell => Around(cell, stride, rows, columns))
                    .Distinct()
                    .Where(cell => !scored.ContainsKey(cell))
                    .Order()
                    .ToList();
                if (round.Count == 0)
                    break;
                Score(round, scored, score);
                // Climb while the new round moved the best: its leaders may have unscored neighbours of their own.
                var improved = round.Where(cell => Rank(scored[cell]) > bestBefore).ToList();
                if (improved.Count == 0)
                    break;
                leaders = Best(improved.ToDictionary(cell => cell, cell => scored[cell]), Leaders);
            }
        }
        return scored;
    }

    /// <summary>Positions 0, stride, 2 stride, ... and always the last one.</summary>
    static IEnumerable<int> Lattice(int count, int stride) =>
        Enumerable.Range(0, count).Where(i => i % stride == 0 || i == count - 1);

    static IEnumerable<(int Row, int Column)> Around((int Row, int Column) cell, int stride, int rows, int columns)
    {
        foreach (var dr in new[] { -stride, 0, stride })
        {
            foreach (var dc in new[] { -stride, 0, stride })
                yield return (Math.Clamp(cell.Row + dr, 0, rows - 1), Math.Clamp(cell.Column + dc, 0, columns - 1));
        }
    }

    static void Score(List<(int Row, int Column)> cells, Dictionary<(int Row, int Column), double> scored,
        Func<IReadOnlyList<(int Row, int Column)>, double[]> score)
    {
        var values = score(cells);
        if (values.Length != cells.Count)
            throw new InvalidOperationException($"The scorer returned {values.Length} scores for {cells.Count} cells.");
        for (var i = 0; i < cells.Count; i++)
            scored[cells[i]] = values[i];
    }

    // The top n cells by score, then every cell tied with the best; ties in grid order.
    static List<(int Row, int Column)> Best(Dictionary<(int Row, int Column), double> scored, int n)
    {
        var best = BestScore(scored);
        var ranked = scored.OrderByDescending(p => Rank(p.Value)).ThenBy(p => p.Key).ToList();
        return ranked.Take(n).Concat(ranked.Where(p => Rank(p.Value) == best)).Select(p => p.Key).Distinct().ToList();
    }

    static double BestScore(Dictionary<(int Row, int Column), double> scored) => scored.Values.Max(Rank);

    static double Rank(double value) => double.IsNaN(value) ? double.NegativeInfinity : value;
}
