using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Reporting;
using AutoClassify.Tests.Support;
using static AutoClassify.Tests.Support.CliRunner;

namespace AutoClassify.Tests.Models;

/// <summary>
/// A model family from outside the core joins the catalog through <see cref="ModelCatalog.Register"/> alone: the CLI
/// lists it, parses it and the benchmark runner trains and scores it like a built-in one.
/// </summary>
public sealed class ModelFamilyRegistrationTests
{
    // An image model, so that AutoML searches in other tests of this process (which try every registered feature learner) never see it.
    const string Name = "nearest-mean-test";

    static void RegisterFamily() =>
        ModelCatalog.Register(new ModelFamily(Name, "nearest class mean on 8 x 8 thumbnails (a test family)", ModelInput.Images, _ => new NearestMeanTrainer()));

    [Fact]
    public void Should_list_a_registered_family_in_the_catalog_and_the_benchmark_help()
    {
        // Given a family registered from outside the core
        RegisterFamily();

        // When the catalog and the CLI's help are read
        var (code, stdout, stderr) = Run("benchmark", "--help");

        // Then both name it, after the built-in models, and the catalog describes and creates it
        Assert.True(code == 0, stderr);
        Assert.Contains(Name, stdout, StringComparison.Ordinal);
        Assert.True(ModelCatalog.Names.ToList().IndexOf(Name) > ModelCatalog.Names.ToList().IndexOf("auto"));
        Assert.Equal(ModelInput.Images, ModelCatalog.InputOf(Name));
        Assert.False(ModelCatalog.IsFeatureModel(Name));
        Assert.Equal([Name, "svm"], ModelCatalog.ParseList($"{Name.ToUpperInvariant()}, svm"));
        Assert.IsType<NearestMeanTrainer>(ModelCatalog.Create(Name));
    }

    [Fact]
    public void Should_train_and_score_a_registered_family_in_the_benchmark()
    {
        // Given a registered family and two classes of disks that differ in size
        RegisterFamily();
        using var dir = new TempDirectory("family");
        var data = dir.Combine("data");
        for (var i = 0; i < 12; i++)
        {
            Write(data, "small", i, TestImages.Disk(32, 5 + (i % 2), seed: i));
            Write(data, "large", i, TestImages.Disk(32, 11 + (i % 2), seed: 100 + i));
        }

        // When the CLI benchmarks it with three folds
        var outDir = dir.Combine("out");
        var (code, stdout, stderr) = Run("benchmark", data, "--models", Name, "--folds", "3", "--seed", "4", "--out", outDir);

        // Then every image is predicted out of fold, and the family beats chance (0.5) by a wide margin
        Assert.True(code == 0, stderr);
        Assert.Contains(Name, stdout, StringComparison.Ordinal);
        var result = ResultsJson.Read(Path.Combine(outDir, "results.json"));
        var model = Assert.Single(result.Models);
        Assert.Equal(Name, model.Name);
        Assert.Equal(24, model.Predictions.Count);
        Assert.Equal(3, model.Folds.Count);
        Assert.True(model.Aggregate.Accuracy.Mean >= 0.9, $"accuracy {model.Aggregate.Accuracy.Mean}");
    }

    static void Write(string root, string className, int i, GrayImage image)
    {
        Directory.CreateDirectory(Path.Combine(root, className));
        PngWriter.Write(Path.Combine(root, className, $"{className}_{i:D2}.png"), image);
    }

    /// <summary>Each class's mean 8 x 8 block-averaged thumbnail; an image goes to the nearest mean (softmax of -distance²).</summary>
    sealed class NearestMeanTrainer : IModelTrainer
    {
        const int Grid = 8;

        public string Name => ModelFamilyRegistrationTests.Name;

        public ITrainedModel Train(TrainingData data, IReadOnlyList<int> trainIndices, TrainingContext context)
        {
            var images = data.Images ?? throw new ArgumentException($"{Name} reads the images.");
            var means = new double[data.ClassCount][];
            var counts = new int[data.ClassCount];
            for (var k = 0; k < means.Length; k++)
                means[k] = new double[Grid * Grid];
            foreach (var i in trainIndices)
            {
                var thumbnail = Thumbnail(images[i]);
                counts[data.Labels[i]]++;
                for (var j = 0; j < thumbnail.Length; j++)
                    means[data.Labels[i]][j] += thumbnail[j];
            }
            for (var k = 0; k < means.Length; k++)
            {
                for (var j = 0; j < means[k].Length; j++)
                    means[k][j] /= Math.Max(1, counts[k]);
            }
            return new Model(means);
        }

        static double[] Thumbnail(GrayImage image)
        {
            var sums = new double[Grid * Grid];
            var counts = new int[Grid * Grid];
            for (var y = 0; y < image.Height; y++)
            {
                for (var x = 0; x < image.Width; x++)
                {
                    var cell = (y * Grid / image.Height * Grid) + (x * Grid / image.Width);
                    sums[cell] += image[x, y];
                    counts[cell]++;
                }
            }
            for (var j = 0; j < sums.Length; j++)
                sums[j] /= Math.Max(1, counts[j]);
            return sums;
        }

        sealed class Model(double[][] means) : ITrainedModel
        {
            public TrainingSummary Summary { get; } = new();

            public double[][] PredictProbabilities(TrainingData data, IReadOnlyList<int> indices) =>
                [.. indices.Select(i => Softmax(Thumbnail(data.Images![i]), means))];

            static double[] Softmax(double[] thumbnail, double[][] means)
            {
                var scores = means.Select(m => -m.Zip(thumbnail, (a, b) => (a - b) * (a - b)).Sum() * 100).ToArray();
                var max = scores.Max();
                var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = exp.Sum();
                return [.. exp.Select(e => e / total)];
            }

            public void Dispose()
            {
            }
        }
    }
}
