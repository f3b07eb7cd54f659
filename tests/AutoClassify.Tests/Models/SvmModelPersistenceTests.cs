using AutoClassify.Models;
using AutoClassify.Models.Svm;

namespace AutoClassify.Tests.Models;

public sealed class SvmModelPersistenceTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), "autoclassify-svm-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }

    static SvmModel TrainSmall(TrainingData data) =>
        new SvmTrainer(new SvmOptions { Log2CGrid = [1, 5], Log2GammaGrid = [-5, -3] })
            .Train(data, SvmTestData.All(data), new TrainingContext { Seed = 3, Threads = 1 });

    [Fact]
    public void Should_predict_identical_probabilities_after_save_and_load()
    {
        // Given a trained model and unseen rows
        var data = SvmTestData.Blobs(150, 10, [0.6, 0.3, 0.1], seed: 21, separation: 2.5);
        var unseen = SvmTestData.Blobs(60, 10, [0.6, 0.3, 0.1], seed: 22, separation: 2.5);
        using var trained = TrainSmall(data);

        // When saved and loaded
        trained.Save(directory);
        using var loaded = SvmModel.Load(directory);

        // Then every probability is bit-identical, as are the parameters and facts
        var indices = SvmTestData.All(unseen);
        Assert.Equal(trained.PredictProbabilities(unseen, indices), loaded.PredictProbabilities(unseen, indices));
        Assert.Equal(trained.C, loaded.C);
        Assert.Equal(trained.Gamma, loaded.Gamma);
        Assert.Equal(trained.ClassNames, loaded.ClassNames);
        Assert.Equal(trained.Summary.Facts, loaded.Summary.Facts);
        Assert.Equal(
            new[] { SvmModel.LibSvmFileName, SvmModel.MetadataFileName }.Order(StringComparer.Ordinal),
            Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_replace_an_earlier_save_without_leaving_temporary_files()
    {
        var first = SvmTestData.Blobs(80, 6, [0.5, 0.5], seed: 23);
        var second = SvmTestData.Blobs(80, 6, [0.5, 0.5], seed: 24, separation: 1);
        using (var model = TrainSmall(first))
            model.Save(directory);

        using var replacement = TrainSmall(second);
        replacement.Save(directory);
        using var loaded = SvmModel.Load(directory);

        Assert.Equal(2, Directory.GetFiles(directory).Length);
        Assert.Equal(replacement.SupportVectorCount, loaded.SupportVectorCount);
        Assert.Equal(replacement.PredictProbabilities(first, SvmTestData.All(first)), loaded.PredictProbabilities(first, SvmTestData.All(first)));
    }

    [Fact]
    public void Should_reject_a_model_file_that_does_not_belong_to_its_metadata()
    {
        // Given a saved model whose LIBSVM file was edited afterwards
        var data = SvmTestData.Blobs(80, 6, [0.5, 0.5], seed: 25);
        using (var model = TrainSmall(data))
            model.Save(directory);
        File.AppendAllText(Path.Combine(directory, SvmModel.LibSvmFileName), "\n");

        // When loaded, then the error names the file and the problem
        var ex = Assert.Throws<InvalidDataException>(() => SvmModel.Load(directory));
        Assert.Contains(SvmModel.LibSvmFileName, ex.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_missing_file_when_loading_an_empty_directory()
    {
        Directory.CreateDirectory(directory);

        var ex = Assert.Throws<FileNotFoundException>(() => SvmModel.Load(directory));

        Assert.Contains(SvmModel.MetadataFileName, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_features_other_than_those_it_was_trained_on()
    {
        var data = SvmTestData.Blobs(80, 6, [0.5, 0.5], seed: 26);
        var other = SvmTestData.Blobs(20, 7, [0.5, 0.5], seed: 27);
        using var model = TrainSmall(data);

        var ex = Assert.Throws<ArgumentException>(() => model.PredictProbabilities(other, SvmTestData.All(other)));

        Assert.Contains("trained on 6 features", ex.Message, StringComparison.Ordinal);
    }
}
