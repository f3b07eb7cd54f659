using AutoClassify.Models;
using AutoClassify.Models.Svm;

namespace AutoClassify.Tests.Models;

public class SvmCoarseToFineTests
{
    static TrainingContext Context(int threads = 1) => new() { Seed = 42, Threads = threads };

    [Fact]
    public void Should_find_the_peak_of_any_unimodal_surface_on_the_default_grid_with_about_half_the_cells()
    {
        // Given the default 11 x 10 grid and, in turn, a smooth single-peaked score surface peaking at every cell
        var (rows, columns) = (SvmOptions.Defaults.Log2CGrid.Count, SvmOptions.Defaults.Log2GammaGrid.Count);
        var most = 0;
        for (var peakRow = 0; peakRow < rows; peakRow++)
        {
            for (var peakColumn = 0; peakColumn < columns; peakColumn++)
            {
                double Score((int Row, int Column) cell) =>
                    1 - 0.01 * Math.Pow(cell.Row - peakRow, 2) - 0.02 * Math.Pow(cell.Column - peakColumn, 2);
                var calls = new List<(int, int)>();

                // When the coarse-to-fine plan searches it
                var scored = SvmGridPlan.Search(rows, columns, cells =>
                {
                    calls.AddRange(cells);
                    return [.. cells.Select(Score)];
                });

                // Then it scores the peak, every cell at most once, and well under the full grid
                Assert.Equal(1.0, scored.Values.Max());
                Assert.Equal(calls.Count, calls.Distinct().Count());
                most = Math.Max(most, scored.Count);
            }
        }
        Assert.InRange(most, 36, rows * columns * 6 / 10);
    }

    [Fact]
    public void Should_search_grids_of_up_to_four_values_per_axis_in_full()
    {
        Assert.Equal(1, SvmGridPlan.CoarseStride(3, 3));
        Assert.Equal(1, SvmGridPlan.CoarseStride(4, 1));
        Assert.Equal(2, SvmGridPlan.CoarseStride(5, 5));
        Assert.Equal(2, SvmGridPlan.CoarseStride(11, 10));
        var scored = SvmGridPlan.Search(3, 3, cells => [.. cells.Select(_ => 0.5)]);
        Assert.Equal(9, scored.Count);
    }

    [Fact]
    public void Should_match_the_exhaustive_search_on_generated_data_and_repeat_on_any_thread_count()
    {
        // Given a noisy, imbalanced fold and the default 11 x 10 grid
        var data = SvmTestData.Blobs(150, 6, [0.7, 0.2, 0.1], seed: 21, separation: 1.6);
        var all = SvmTestData.All(data);
        var exhaustive = new SvmTrainer(new SvmOptions { Search = SvmSearch.Exhaustive });
        var refined = new SvmTrainer(new SvmOptions { Search = SvmSearch.CoarseToFine });

        // When the grid is searched in full and coarse-to-fine (the latter on 1 and on 2 workers)
        var full = exhaustive.SearchGrid(data, all, Context());
        var one = refined.SearchGrid(data, all, Context(threads: 1));
        var two = refined.SearchGrid(data, all, Context(threads: 2));

        // Then coarse-to-fine reaches the full grid's best score with fewer cells, each scored as the full grid scores
        // it, and the thread count changes nothing
        Assert.Equal(110, full.Cells.Count);
        Assert.Equal(SvmSearch.CoarseToFine, one.Search);
        Assert.Equal(110, one.GridSize);
        Assert.InRange(one.Cells.Count, 36, 80);
        Assert.Equal(full.Best.MacroF1, one.Best.MacroF1);
        Assert.All(one.Cells, cell => Assert.Contains(cell, full.Cells));
        Assert.Equal(one.Cells, two.Cells);
        Assert.Equal(one.Best, two.Best);
        Assert.True(one.Elapsed > TimeSpan.Zero && one.FitSeconds > 0);
    }

    [Fact]
    public void Should_log_the_cells_scored_and_the_time_per_cell()
    {
        var data = SvmTestData.Blobs(90, 5, [0.6, 0.4], seed: 3);
        var log = new List<string>();
        var progress = new List<double>();

        using var model = new SvmTrainer().Train(data, SvmTestData.All(data),
            new TrainingContext { Seed = 1, Threads = 1, Log = log.Add, Progress = new SyncProgress(progress.Add) });

        var line = Assert.Single(log);
        Assert.Matches(@"\(\d+ of 110 cells coarse-to-fine, 3 inner folds, \d+\.\d\d s per cell\)", line);
        Assert.Equal("coarse-to-fine", model.Summary.Facts["grid_search"]);
        Assert.True(model.Summary.StageSeconds[SvmTrainer.GridSearchStage] > 0);
        Assert.True(model.Summary.StageSeconds[SvmTrainer.FinalFitStage] > 0);
        // Progress moves per inner fit, never backwards, and ends at 1.
        Assert.True(progress.Count > 10, $"{progress.Count} progress reports");
        Assert.Equal(progress.Order(), progress);
        Assert.Equal(1.0, progress[^1]);
    }

    sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value)
        {
            lock (this)
                report(value);
        }
    }
}
