using AutoClassify.Dataset;
using AutoClassify.Evaluation;
using AutoClassify.MLNet;
using AutoClassify.Models;
using AutoClassify.Tests.Models;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.MLNet;

public sealed class MLNetTrainerTests : IDisposable
{
    readonly TempDirectory temp = new("mlnet");

    public MLNetTrainerTests() => MLNetModels.Register();

    public void Dispose() => temp.Dispose();

    public static TheoryData<string> Learners => ["lightgbm", "maxent", "forest"];

    static MLNetTrainer Trainer(string name) => (MLNetTrainer)ModelCatalog.Create(name, new ModelSettings { Grid = "coarse" });

    static (int[] Train, int[] Test) Split(TrainingData data, int seed)
    {
        var assignment = StratifiedKFold.Assign(data.Labels, 3, seed);
        return StratifiedKFold.Split(assignment, 0);
    }

    [Theory]
    [MemberData(nameof(Learners))]
    public void Should_beat_chance_by_a_wide_margin_on_held_out_blobs(string name)
    {
        // Given imbalanced, separable three-class blobs and a held-out third
        var data = SvmTestData.Blobs(90, 5, [0.6, 0.25, 0.15], seed: 3);
        var (train, test) = Split(data, 1);

        // When the learner is tuned and fitted on the training part
        using var model = Trainer(name).Train(data, train, new TrainingContext { Seed = 11, Threads = 2 });
        var probabilities = model.PredictProbabilities(data, test);

        // Then rows are probabilities, and macro-F1 on the held-out items is far above chance (1/3)
        Assert.All(probabilities, p => Assert.Equal(1, p.Sum(), 1e-6));
        Assert.All(probabilities, p => Assert.All(p, v => Assert.InRange(v, 0, 1)));
        var predicted = probabilities.Select(p => Array.IndexOf(p, p.Max())).ToArray();
        var metrics = ClassificationMetrics.Compute([.. test.Select(i => data.Labels[i])], predicted, probabilities, data.ClassCount);
        Assert.True(metrics.MacroF1 > 0.75, $"{name}: macro-F1 {metrics.MacroF1:F3}");
        Assert.True(metrics.LogLoss < Math.Log(3), $"{name}: log loss {metrics.LogLoss:F3} is no better than uniform");
        Assert.Equal(name, Trainer(name).Name);
    }

    [Theory]
    [MemberData(nameof(Learners))]
    public void Should_give_identical_probabilities_on_two_runs_and_any_thread_count(string name)
    {
        // Given one data set and seed
        var data = SvmTestData.Blobs(60, 4, [0.5, 0.3, 0.2], seed: 8, separation: 1.5);
        var (train, test) = Split(data, 2);

        // When the learner is trained twice with two threads and once with one
        double[][] Run(int threads)
        {
            using var model = Trainer(name).Train(data, train, new TrainingContext { Seed = 5, Threads = threads });
            return model.PredictProbabilities(data, test);
        }
        var first = Run(2);
        var second = Run(2);
        var single = Run(1);

        // Then every probability is bit-identical
        Assert.Equal(first, second);
        Assert.Equal(first, single);
    }

    [Fact]
    public void Should_tune_by_inner_cv_and_record_the_choice()
    {
        // Given a trainer with a grid of several configurations
        var data = SvmTestData.Blobs(60, 4, [0.5, 0.5], seed: 4);
        var trainer = Trainer("maxent");
        Assert.True(trainer.Configurations.Count > 1);

        // When it trains
        using var model = trainer.Train(data, SvmTestData.All(data), new TrainingContext { Seed = 1, Threads = 2 });

        // Then the facts name the chosen penalty (one of the grid's), the inner folds, the inner score and the class weights
        var facts = model.Summary.Facts;
        Assert.Contains(trainer.Configurations, c => c["l2"].ToString("G6", System.Globalization.CultureInfo.InvariantCulture) == facts["l2"]);
        Assert.Equal("3", facts["inner_folds"]);
        Assert.InRange(double.Parse(facts["inner_cv_macro_f1"], System.Globalization.CultureInfo.InvariantCulture), 0.7, 1);
        Assert.Equal(trainer.Configurations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), facts["grid_cells"]);
        Assert.Equal("class0=1.000; class1=1.000", facts["class_weights"]);
        Assert.Equal("1", facts["mlnet_threads"]);
    }

    [Fact]
    public void Should_weight_examples_inversely_to_class_frequency()
    {
        // Given a 9:1 training fold
        var data = SvmTestData.Blobs(100, 3, [0.9, 0.1], seed: 6);

        // When lightgbm trains on it
        using var model = Trainer("lightgbm").Train(data, SvmTestData.All(data), new TrainingContext { Seed = 1, Threads = 2 });

        // Then the weights are the SVM's n / (K n_k)
        Assert.Equal("class0=0.556; class1=5.000", model.Summary.Facts["class_weights"]);
    }

    [Fact]
    public void Should_give_a_class_absent_from_the_training_fold_probability_zero()
    {
        // Given three classes of which the training indices hold only two
        var data = SvmTestData.Blobs(60, 4, [0.4, 0.3, 0.3], seed: 2);
        var train = SvmTestData.All(data).Where(i => data.Labels[i] != 1).ToArray();

        // When maxent trains and predicts every item
        using var model = Trainer("maxent").Train(data, train, new TrainingContext { Seed = 1, Threads = 2 });
        var probabilities = model.PredictProbabilities(data, SvmTestData.All(data));

        // Then class 1 gets 0 and the rows still sum to 1
        Assert.All(probabilities, p => Assert.Equal(0, p[1]));
        Assert.All(probabilities, p => Assert.Equal(1, p.Sum(), 1e-6));
        Assert.Equal([0, 2], model.TrainedClasses);
    }

    [Theory]
    [MemberData(nameof(Learners))]
    public void Should_predict_identically_after_save_and_load(string name)
    {
        // Given a trained model
        var data = SvmTestData.Blobs(45, 4, [0.5, 0.3, 0.2], seed: 9);
        using var model = Trainer(name).Train(data, SvmTestData.All(data), new TrainingContext { Seed = 3, Threads = 2 });
        var expected = model.PredictProbabilities(data, SvmTestData.All(data));

        // When it is saved and loaded back
        var dir = temp.Combine(name);
        model.Save(dir);
        using var loaded = MLNetModel.Load(dir);

        // Then the probabilities are identical and the facts survive
        Assert.Equal(expected, loaded.PredictProbabilities(data, SvmTestData.All(data)));
        Assert.Equal(model.Summary.Facts["inner_cv_macro_f1"], loaded.Summary.Facts["inner_cv_macro_f1"]);
        Assert.Equal(name, loaded.Kind);
    }

    [Fact]
    public void Should_refuse_a_model_zip_that_is_not_an_mlnet_model()
    {
        // Given a saved model whose model.zip is replaced by an unrelated zip
        var data = SvmTestData.Blobs(30, 3, [0.5, 0.5], seed: 1);
        using var model = Trainer("maxent").Train(data, SvmTestData.All(data), new TrainingContext { Seed = 3, Threads = 1 });
        var dir = temp.Combine("bad");
        model.Save(dir);
        var zipPath = Path.Combine(dir, MLNetModel.ModelFileName);
        File.Delete(zipPath);
        using (var zip = System.IO.Compression.ZipFile.Open(zipPath, System.IO.Compression.ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("Model/Model.key").Open());
            writer.Write("not a model");
        }

        // When it is loaded, then the error names the file
        var error = Assert.Throws<InvalidDataException>(() => MLNetModel.Load(dir));
        Assert.Contains(MLNetModel.ModelFileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_model_zip_with_an_entry_that_leaves_the_archive()
    {
        // Given a saved model whose model.zip gains an entry named with '..'
        var data = SvmTestData.Blobs(30, 3, [0.5, 0.5], seed: 1);
        using var model = Trainer("maxent").Train(data, SvmTestData.All(data), new TrainingContext { Seed = 3, Threads = 1 });
        var dir = temp.Combine("climb");
        model.Save(dir);
        using (var zip = System.IO.Compression.ZipFile.Open(Path.Combine(dir, MLNetModel.ModelFileName), System.IO.Compression.ZipArchiveMode.Update))
        {
            using var writer = new StreamWriter(zip.CreateEntry("../evil").Open());
            writer.Write("x");
        }

        // When it is loaded, then it is refused before ML.NET reads it, naming the entry
        var error = Assert.Throws<InvalidDataException>(() => MLNetModel.Load(dir));
        Assert.Contains("'../evil'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_metadata_that_does_not_fit_the_model()
    {
        // Given a two-class model whose metadata claims three trained classes
        var data = SvmTestData.Blobs(30, 3, [0.5, 0.5], seed: 1);
        using var model = Trainer("maxent").Train(data, SvmTestData.All(data), new TrainingContext { Seed = 3, Threads = 1 });
        var dir = temp.Combine("misfit");
        model.Save(dir);
        var metadata = Path.Combine(dir, MLNetModel.MetadataFileName);
        var text = File.ReadAllText(metadata);
        var edited = System.Text.RegularExpressions.Regex.Replace(text, @"""TrainedClasses"": \[[^\]]*\]", @"""TrainedClasses"": [0, 1, 2]");
        Assert.NotEqual(text, edited);
        File.WriteAllText(metadata, edited);

        // When it is loaded, then the score width is checked
        var error = Assert.Throws<InvalidDataException>(() => MLNetModel.Load(dir));
        Assert.Contains("does not score the 3 classes", error.Message, StringComparison.Ordinal);
    }
}
