using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.Svm;
using AutoClassify.Native;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Models;

/// <summary>The dense prediction path of <see cref="SvmModel"/> against LIBSVM's own <c>svm_predict_probability</c> and <c>svm_predict</c>.</summary>
public sealed class DenseSvmPredictionTests : IDisposable
{
    const double Tolerance = 1e-6;

    readonly string directory = Path.Combine(Path.GetTempPath(), "autoclassify-dense-svm-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }

    // The last class is small (a handful of training items), like the thesis's 0.6 % class.
    public static TheoryData<double[]> ClassShares => new()
    {
        new[] { 0.95, 0.05 },
        new[] { 0.6, 0.36, 0.04 },
        new[] { 0.3, 0.25, 0.2, 0.2, 0.05 },
    };

    [Theory]
    [MemberData(nameof(ClassShares))]
    public void Should_give_libsvm_probabilities_and_labels_for_every_item(double[] shares)
    {
        // Given an RBF model with probability estimates, trained on overlapping blobs so many items are uncertain
        var data = SvmTestData.Blobs(200, 8, shares, seed: 31, separation: 1.5);
        var unseen = SvmTestData.Blobs(300, 8, shares, seed: 32, separation: 1.5);
        using var model = new SvmTrainer().Fit(data, SvmTestData.All(data), c: 4, gamma: 0.25, new TrainingContext { Seed = 7 });
        Assert.True(model.DensePrediction);
        Assert.Contains(model.TrainedClasses, k => data.Labels.Count(l => l == k) <= 10);

        // When both paths predict the unseen items
        var indices = SvmTestData.All(unseen);
        var dense = model.PredictProbabilities(unseen, indices);
        var libSvm = model.PredictProbabilities(unseen, indices, libSvm: true);

        // Then every probability agrees within the tolerance and every decision is the same
        AssertClose(libSvm, dense);
        Assert.Equal(libSvm.Select(p => SvmModel.ArgMax(p)), dense.Select(p => SvmModel.ArgMax(p)));
        Assert.InRange(dense.Select(p => p.Max()).Min(), 0, 0.9);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Should_vote_like_svm_predict(int classes)
    {
        // Given a LIBSVM model trained directly on standardized blobs
        var shares = Enumerable.Range(0, classes).Select(k => k == classes - 1 ? 0.05 : 0.95 / (classes - 1)).ToArray();
        var (rows, labels) = Standardized(SvmTestData.Blobs(200, 6, shares, seed: 33, separation: 1.5));
        using var problem = LibSvmProblem.Create(rows, labels);
        using var native = LibSvm.Train(problem, new LibSvmParameters { C = 2, Gamma = 0.3, Probability = true }, seed: 1);
        var predictor = DenseSvmPredictor.TryCreate(native.ReadContents(6));
        Assert.NotNull(predictor);

        // When both vote on the training rows and on rows between the blobs
        var (probe, _) = Standardized(SvmTestData.Blobs(150, 6, shares, seed: 34, separation: 0.5));
        var all = rows.Concat(probe).Select(r => r.Select(LibSvm.Quantize).ToArray()).ToArray();
        var votes = new int[all.Length];
        predictor.PredictVotes(all.SelectMany(r => r).ToArray(), votes);

        // Then each vote names LIBSVM's label, and the probabilities match svm_predict_probability
        Assert.Equal(all.Select(r => native.Predict(r)), votes.Select(p => native.Labels[p]));
        var probabilities = new double[all.Length * classes];
        predictor.PredictProbabilities(all.SelectMany(r => r).ToArray(), probabilities);
        var expected = all.Select(r =>
        {
            var p = new double[classes];
            native.PredictProbability(r, p);
            return p;
        }).ToArray();
        AssertClose(expected, probabilities.Chunk(classes).ToArray());
    }

    [Fact]
    public void Should_predict_the_same_after_save_and_load()
    {
        // Given a saved 3-class model
        var data = SvmTestData.Blobs(150, 10, [0.6, 0.3, 0.1], seed: 35, separation: 1.5);
        var unseen = SvmTestData.Blobs(100, 10, [0.6, 0.3, 0.1], seed: 36, separation: 1.5);
        using var trained = new SvmTrainer().Fit(data, SvmTestData.All(data), c: 8, gamma: 0.1, new TrainingContext { Seed = 3 });
        trained.Save(directory);

        // When loaded from LIBSVM's text
        using var loaded = SvmModel.Load(directory);

        // Then it takes the dense path too and predicts bit for bit what the live model does, and what LIBSVM does
        var indices = SvmTestData.All(unseen);
        Assert.True(loaded.DensePrediction);
        Assert.Equal(trained.PredictProbabilities(unseen, indices), loaded.PredictProbabilities(unseen, indices));
        AssertClose(loaded.PredictProbabilities(unseen, indices, libSvm: true), loaded.PredictProbabilities(unseen, indices));
    }

    [Fact]
    public void Should_give_each_item_the_same_probabilities_alone_as_in_a_batch()
    {
        var data = SvmTestData.Blobs(120, 6, [0.5, 0.3, 0.2], seed: 37, separation: 1.5);
        using var model = new SvmTrainer().Fit(data, SvmTestData.All(data), c: 2, gamma: 0.2, new TrainingContext { Seed = 1 });
        var indices = SvmTestData.All(data);

        var batch = model.PredictProbabilities(data, indices);
        var alone = indices.Select(i => model.PredictProbabilities(data.Features!.Rows[i])).ToArray();
        var reversed = model.PredictProbabilities(data, indices.Reverse().ToArray()).Reverse().ToArray();

        Assert.Equal(batch, alone);
        Assert.Equal(batch, reversed);
    }

    [Fact]
    public void Should_cover_the_linear_kernel()
    {
        var data = SvmTestData.Blobs(150, 8, [0.5, 0.4, 0.1], seed: 38, separation: 1.5);
        var unseen = SvmTestData.Blobs(150, 8, [0.5, 0.4, 0.1], seed: 39, separation: 1.5);
        using var model = new SvmTrainer(new SvmOptions { Kernel = LibSvmKernel.Linear })
            .Fit(data, SvmTestData.All(data), c: 1, gamma: 0, new TrainingContext { Seed = 2 });
        var indices = SvmTestData.All(unseen);

        Assert.True(model.DensePrediction);
        AssertClose(model.PredictProbabilities(unseen, indices, libSvm: true), model.PredictProbabilities(unseen, indices));
    }

    [Fact]
    public void Should_leave_other_kernels_to_libsvm_and_refuse_probabilities_without_a_probability_model()
    {
        var (rows, labels) = Standardized(SvmTestData.Blobs(80, 5, [0.5, 0.5], seed: 40));
        using var problem = LibSvmProblem.Create(rows, labels);
        using var polynomial = LibSvm.Train(problem, new LibSvmParameters { Kernel = LibSvmKernel.Polynomial, Gamma = 0.2, Probability = true }, seed: 1);
        using var plain = LibSvm.Train(problem, new LibSvmParameters { Gamma = 0.2 }, seed: 1);
        using var covered = LibSvm.Train(problem, new LibSvmParameters { Gamma = 0.2, Probability = true }, seed: 1);

        Assert.Null(DenseSvmPredictor.TryCreate(polynomial.ReadContents(5)));
        Assert.False(DenseSvmPredictor.TryCreate(plain.ReadContents(5))!.HasProbabilities);
        Assert.Throws<InvalidOperationException>(() => DenseSvmPredictor.TryCreate(plain.ReadContents(5))!.PredictProbabilities(new double[5], new double[2]));
        Assert.True(DenseSvmPredictor.TryCreate(covered.ReadContents(5))!.HasProbabilities);
    }

    [Fact]
    public void Should_refuse_a_non_finite_feature_like_libsvm()
    {
        var data = SvmTestData.Blobs(60, 5, [0.5, 0.5], seed: 41);
        using var model = new SvmTrainer().Fit(data, SvmTestData.All(data), c: 1, gamma: 0.2, new TrainingContext { Seed = 1 });
        var row = (double[])data.Features!.Rows[0].Clone();
        row[1] = double.NaN;

        var ex = Assert.Throws<ArgumentException>(() => model.PredictProbabilities(row));

        Assert.Contains("not finite", ex.Message, StringComparison.Ordinal);
    }

    static (double[][] Rows, int[] Labels) Standardized(TrainingData data)
    {
        var all = SvmTestData.All(data);
        return (Standardizer.Fit(data.Features!.Rows, all).Transform(data.Features.Rows, all), data.Labels);
    }

    static void AssertClose(double[][] expected, double[][] actual) =>
        Assert.InRange(Probabilities.MaxDifference(expected, actual), 0, Tolerance);
}
