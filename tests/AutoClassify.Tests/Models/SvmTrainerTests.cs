using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.Svm;

namespace AutoClassify.Tests.Models;

public class SvmTrainerTests
{
    // A 3 x 3 grid around the usual optimum of standardized data keeps each test well under a second.
    static readonly SvmOptions SmallGrid = new()
    {
        Log2CGrid = [-1, 3, 7],
        Log2GammaGrid = [-7, -5, -3],
    };

    static readonly double[] Imbalanced = [0.87, 0.12, 0.03];

    static TrainingContext Context(int seed = 42, int threads = 1) => new() { Seed = seed, Threads = threads };

    [Fact]
    public void Should_beat_chance_by_a_wide_margin_out_of_fold_on_imbalanced_blobs()
    {
        // Given 3 Gaussian blobs in 10-D, 87/12/3 % (the minority has 9 of 300 items)
        var data = SvmTestData.Blobs(300, 10, Imbalanced, seed: 7);
        var trainer = new SvmTrainer(SmallGrid);
        var folds = StratifiedKFold.Assign(data.Labels, 3, seed: 7);
        var confusion = new ConfusionMatrix(3);

        // When each outer fold is predicted by a model trained on the other two
        for (var f = 0; f < 3; f++)
        {
            var (train, test) = StratifiedKFold.Split(folds, f);
            using var model = trainer.Train(data, train, Context(Seeds.Derive(7, "outer", f)));
            var probabilities = model.PredictProbabilities(data, test);
            for (var i = 0; i < test.Length; i++)
                confusion.Counts[data.Labels[test[i]], SvmModel.ArgMax(probabilities[i])]++;
        }

        // Then out-of-fold macro-F1 clears 0.8. Always answering the majority scores 0.31 and
        // uniform guessing about 0.25; 0.8 needs the 9-item minority class mostly right too,
        // which only a model that uses the class weights and the features gets.
        Assert.True(confusion.MacroF1() > 0.8, $"out-of-fold macro-F1 {confusion.MacroF1():F3}");
    }

    [Fact]
    public void Should_repeat_probabilities_exactly_for_the_same_seed_and_not_for_another()
    {
        // Given one training fold
        var data = SvmTestData.Blobs(150, 8, Imbalanced, seed: 8, separation: 2.5);
        var all = SvmTestData.All(data);
        var trainer = new SvmTrainer(SmallGrid);

        // When trained twice with the same seed and once with another
        using var first = trainer.Train(data, all, Context(seed: 1));
        using var second = trainer.Train(data, all, Context(seed: 1));
        using var other = trainer.Train(data, all, Context(seed: 2));

        // Then the same seed gives the same bits; another seed reshuffles LIBSVM's Platt CV
        var a = first.PredictProbabilities(data, all);
        Assert.Equal(a, second.PredictProbabilities(data, all));
        Assert.NotEqual(a, other.PredictProbabilities(data, all));
    }

    [Fact]
    public void Should_choose_the_same_cell_with_the_same_scores_on_one_and_two_threads()
    {
        // Given a training fold
        var data = SvmTestData.Blobs(180, 10, Imbalanced, seed: 9, separation: 2);
        var all = SvmTestData.All(data);
        var trainer = new SvmTrainer(SmallGrid);

        // When the grid is searched with 1 and with 2 workers
        var serial = trainer.SearchGrid(data, all, Context(threads: 1));
        var parallel = trainer.SearchGrid(data, all, Context(threads: 2));

        // Then every cell's score and the choice agree
        Assert.Equal(9, serial.Cells.Count);
        Assert.Equal(serial.Cells, parallel.Cells);
        Assert.Equal(serial.Best, parallel.Best);
        Assert.Equal(serial.Cells.Max(c => c.MacroF1), serial.Best.MacroF1);
    }

    [Fact]
    public void Should_break_score_ties_toward_the_centre_of_the_plateau()
    {
        // Given blobs so far apart that every cell scores a perfect macro-F1
        var data = SvmTestData.Blobs(90, 6, [0.5, 0.3, 0.2], seed: 10, separation: 12);
        var trainer = new SvmTrainer(SmallGrid);

        // When the grid is searched
        var grid = trainer.SearchGrid(data, SvmTestData.All(data), Context());

        // Then the tie goes to the middle cell, not to a corner of the grid
        Assert.All(grid.Cells, c => Assert.Equal(1.0, c.MacroF1));
        Assert.Equal(new SvmGridCell(3, -5, 1.0), grid.Best);
    }

    [Fact]
    public void Should_weight_each_class_inversely_to_its_frequency()
    {
        // Given 87/12/3 labels
        var labels = Enumerable.Repeat(0, 87).Concat(Enumerable.Repeat(1, 12)).Concat(Enumerable.Repeat(2, 3)).ToArray();

        // When weights are derived
        var weights = SvmTrainer.InverseFrequencyWeights(labels);

        // Then weight x count is the same for every class (each class carries equal total weight),
        // and the weights average 1 per item, up to the float rounding svm-train's -wi parsing needs
        Assert.Equal(3, weights.Count);
        foreach (var k in new[] { 0, 1, 2 })
        {
            Assert.Equal(1.0, weights[k] * labels.Count(l => l == k) / (labels.Length / 3.0), 6);
            Assert.Equal(weights[k], (float)weights[k]);
        }
        Assert.Equal(1.0, labels.Average(l => weights[l]), 6);
    }

    [Fact]
    public void Should_fill_the_summary_with_the_chosen_parameters()
    {
        var data = SvmTestData.Blobs(120, 8, Imbalanced, seed: 12);
        var log = new List<string>();

        using var model = new SvmTrainer(SmallGrid).Train(data, SvmTestData.All(data), new TrainingContext { Seed = 42, Threads = 1, Log = log.Add });

        var facts = model.Summary.Facts;
        Assert.Equal(model.C, double.Parse(facts["C"], System.Globalization.CultureInfo.InvariantCulture), 5);
        Assert.Equal(model.Gamma, double.Parse(facts["gamma"], System.Globalization.CultureInfo.InvariantCulture), 5);
        Assert.Contains(Math.Log2(model.C), SmallGrid.Log2CGrid);
        Assert.InRange(double.Parse(facts["inner_cv_macro_f1"], System.Globalization.CultureInfo.InvariantCulture), 0.5, 1);
        Assert.Equal(model.SupportVectorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), facts["support_vectors"]);
        Assert.InRange(model.SupportVectorCount, 3, 120);
        Assert.Equal("3.24", facts["libsvm"]);
        Assert.True(model.Summary.TrainingTime > TimeSpan.Zero);
        var line = Assert.Single(log);
        Assert.StartsWith(FormattableString.Invariant($"svm: C = 2^{Math.Log2(model.C)}"), line, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reduce_the_inner_folds_when_a_class_is_smaller_than_them()
    {
        // Given a minority class of 2 training items, fewer than the 3 inner folds
        var data = SvmTestData.Blobs(80, 6, [0.7, 0.275, 0.025], seed: 13, separation: 4);
        Assert.Equal(2, data.Labels.Count(l => l == 2));

        // When trained
        using var model = new SvmTrainer(SmallGrid).Train(data, SvmTestData.All(data), Context());

        // Then 2 inner folds are used and the summary says why
        Assert.Equal("2", model.Summary.Facts["inner_folds"]);
        Assert.Contains("class 'class2' has only 2", model.Summary.Facts["inner_cv_note"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_fall_back_to_libsvm_defaults_when_a_class_has_a_single_training_item()
    {
        var data = SvmTestData.Blobs(60, 5, [0.7, 0.29, 0.01], seed: 14, separation: 4);
        Assert.Equal(1, data.Labels.Count(l => l == 2));

        using var model = new SvmTrainer(SmallGrid).Train(data, SvmTestData.All(data), Context());

        Assert.Equal(1.0, model.C);
        Assert.Equal(1.0 / 5, model.Gamma, 12);
        Assert.Equal("0", model.Summary.Facts["inner_folds"]);
        Assert.Contains("grid search skipped", model.Summary.Facts["inner_cv_note"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_not_let_held_out_rows_influence_the_fit()
    {
        // Given a training fold, and a copy of the data whose held-out rows are garbage
        var data = SvmTestData.Blobs(120, 8, Imbalanced, seed: 15, separation: 2.5);
        var train = Enumerable.Range(0, 120).Where(i => i % 4 != 0).ToArray();
        var rows = data.Features!.Rows.Select(r => (double[])r.Clone()).ToArray();
        foreach (var i in Enumerable.Range(0, 120).Where(i => i % 4 == 0))
            rows[i] = rows[i].Select(v => v * 1e6 + 17).ToArray();
        var tampered = new TrainingData
        {
            ClassNames = data.ClassNames,
            Labels = data.Labels,
            Features = new AutoClassify.Features.FeatureMatrix(data.Features.Names, rows),
        };
        var trainer = new SvmTrainer(SmallGrid);

        // When both are trained on the same fold
        using var clean = trainer.Train(data, train, Context());
        using var dirty = trainer.Train(tampered, train, Context());

        // Then the grid, the standardizer and the probabilities on the training rows are identical
        Assert.Equal(clean.Summary.Facts["inner_cv_macro_f1"], dirty.Summary.Facts["inner_cv_macro_f1"]);
        Assert.Equal(clean.Standardizer.Means, dirty.Standardizer.Means);
        Assert.Equal(clean.PredictProbabilities(data, train), dirty.PredictProbabilities(tampered, train));
    }

    [Fact]
    public void Should_give_probability_rows_over_all_classes_that_sum_to_one()
    {
        // Given a training fold without any item of class 2
        var data = SvmTestData.Blobs(100, 6, [0.6, 0.3, 0.1], seed: 16, separation: 3);
        var train = SvmTestData.All(data).Where(i => data.Labels[i] != 2).ToArray();

        using var model = new SvmTrainer(SmallGrid).Train(data, train, Context());
        var probabilities = model.PredictProbabilities(data, SvmTestData.All(data));

        // Then the absent class gets 0 and every row sums to 1
        Assert.All(probabilities, p =>
        {
            Assert.Equal(3, p.Length);
            Assert.Equal(0, p[2]);
            Assert.Equal(1.0, p.Sum(), 12);
        });
        Assert.Equal([0, 1], model.TrainedClasses.Order());
    }

    [Fact]
    public void Should_pass_a_bad_C_to_libsvm_check_and_name_it()
    {
        var data = SvmTestData.Blobs(40, 5, [0.5, 0.5], seed: 17);

        var ex = Assert.Throws<ArgumentException>(() => new SvmTrainer().Fit(data, SvmTestData.All(data), c: -2, gamma: 0.1, Context()));

        Assert.Contains("C <= 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-c -2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(SvmOptions.InnerFolds))]
    [InlineData(nameof(SvmOptions.Log2CGrid))]
    [InlineData(nameof(SvmOptions.Log2GammaGrid))]
    [InlineData(nameof(SvmOptions.CacheSizeMb))]
    [InlineData(nameof(SvmOptions.Epsilon))]
    public void Should_name_the_bad_option(string option)
    {
        var options = option switch
        {
            nameof(SvmOptions.InnerFolds) => new SvmOptions { InnerFolds = 1 },
            nameof(SvmOptions.Log2CGrid) => new SvmOptions { Log2CGrid = [] },
            nameof(SvmOptions.Log2GammaGrid) => new SvmOptions { Log2GammaGrid = [1, double.NaN] },
            nameof(SvmOptions.CacheSizeMb) => new SvmOptions { CacheSizeMb = 0 },
            _ => new SvmOptions { Epsilon = double.NaN },
        };

        var ex = Assert.ThrowsAny<ArgumentException>(() => new SvmTrainer(options));

        Assert.Equal(option, ex.ParamName);
    }

    [Fact]
    public void Should_stop_when_cancelled()
    {
        var data = SvmTestData.Blobs(60, 5, [0.5, 0.5], seed: 19);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            new SvmTrainer(SmallGrid).Train(data, SvmTestData.All(data), new TrainingContext { Seed = 1, CancellationToken = cancelled.Token }));
    }

    [Fact]
    public void Should_reject_a_non_finite_feature_naming_it_and_the_item()
    {
        var data = SvmTestData.Blobs(40, 5, [0.5, 0.5], seed: 18);
        data.Features!.Rows[3][2] = double.PositiveInfinity;

        var ex = Assert.Throws<ArgumentException>(() => new SvmTrainer(SmallGrid).Train(data, SvmTestData.All(data), Context()));

        Assert.Contains("Feature 'f2' of item 3", ex.Message, StringComparison.Ordinal);
    }
}
