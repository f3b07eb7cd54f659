using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;

namespace AutoClassify.Tests.Models;

[Collection(TorchTests.Name)]
public sealed class TemperatureScalingTests : IDisposable
{
    readonly TempDirectory temp = new("temperature");

    public void Dispose() => temp.Dispose();

    // 3 classes; the network puts logit 8 on the class it believes, yet 30 % of the labels disagree: far too sure.
    static (float[][] Logits, int[] Labels) OverConfident(int count, int seed)
    {
        var random = new Random(seed);
        var logits = new float[count][];
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            var believed = random.Next(3);
            logits[i] = [.. Enumerable.Range(0, 3).Select(k => (float)((k == believed ? 8 : 0) + random.NextDouble() - 0.5))];
            labels[i] = random.NextDouble() < 0.3 ? (believed + 1 + random.Next(2)) % 3 : believed;
        }
        return (logits, labels);
    }

    [Fact]
    public void Should_soften_an_over_confident_network_and_lower_its_held_out_NLL()
    {
        // Given over-confident logits to fit on and fresh ones from the same network to check on
        var (fitLogits, fitLabels) = OverConfident(400, seed: 1);
        var (testLogits, testLabels) = OverConfident(400, seed: 2);

        // When the temperature is fitted
        var t = TemperatureScaling.Fit(fitLogits, fitLabels);

        // Then it softens (T > 1), is the minimiser on a fine grid, and lowers the NLL of the unseen items too
        Assert.True(t > 2, $"T = {t}");
        var grid = Enumerable.Range(1, 2000).Select(i => i * 0.01).MinBy(g => TemperatureScaling.NegativeLogLikelihood(fitLogits, fitLabels, g));
        Assert.Equal(grid, t, 0.011);
        var before = TemperatureScaling.NegativeLogLikelihood(testLogits, testLabels, 1);
        var after = TemperatureScaling.NegativeLogLikelihood(testLogits, testLabels, t);
        Assert.True(after < 0.5 * before, $"NLL {before} -> {after}");
        Assert.All(testLogits, z => Assert.Equal(Array.IndexOf(z, z.Max()), Array.IndexOf(TemperatureScaling.Softmax(z, t), TemperatureScaling.Softmax(z, t).Max())));
    }

    [Fact]
    public void Should_recover_the_unscaled_probabilities_from_scaled_ones()
    {
        float[] logits = [2.5f, -1f, 0.25f, 4f];
        var scaled = TemperatureScaling.Softmax(logits, 1.7);
        var recovered = TemperatureScaling.Unscale(scaled, 1.7);
        var direct = TemperatureScaling.Softmax(logits);
        for (var k = 0; k < logits.Length; k++)
            Assert.Equal(direct[k], recovered[k], 6);
    }

    [Fact]
    public void Should_fit_a_cnn_temperature_on_its_validation_split_keep_it_in_the_package_and_apply_it_when_predicting()
    {
        // Given a tiny LipNet trained with --calibrate temperature
        var data = ShapeImages.Create(perClass: 10, size: 20, seed: 4);
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        var options = new CnnOptions
        {
            Model = "lipnet4c",
            InputSize = 16,
            MaxEpochs = 2,
            Patience = 2,
            BatchSize = 16,
            Threads = 2,
            InputMode = InputMode.Crop,
            ValidationFraction = 0.3,
            Calibration = CalibrationMethod.Temperature,
        };
        var trained = CnnTrainer.Create("lipnet4c", options).Train(data, all, new TrainingContext { Seed = 42, Threads = 2 });
        using var model = new CnnPackagedModel((CnnModel)trained);
        var cnn = model.Model;
        var images = data.Images!.Select((image, i) => new PreparedImage(image, data.Masks?[i])).ToList();

        // When packaged and reopened
        var path = temp.File("calibrated.acpkg");
        TestPackages.Write(path, model);
        using var package = ModelPackage.Open(path);

        // Then the fold recorded the temperature and an NLL no worse than before; probabilities are softmax(z / T), before and after packaging
        var facts = cnn.Summary.Facts;
        var t = double.Parse(facts[CnnTrainer.TemperatureFact], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(cnn.Info.Temperature, t, 6);
        Assert.NotEqual(1.0, t);
        Assert.True(double.Parse(facts["val_nll_after_calibration"], System.Globalization.CultureInfo.InvariantCulture)
            <= double.Parse(facts["val_nll_before_calibration"], System.Globalization.CultureInfo.InvariantCulture) + 1e-9);
        var logits = cnn.Logits(data, all);
        var probabilities = cnn.PredictProbabilities(data, all);
        for (var i = 0; i < all.Length; i++)
            Assert.Equal(TemperatureScaling.Softmax(logits[i], cnn.Info.Temperature), probabilities[i]);
        var reopened = (CnnPackagedModel)package.Model;
        Assert.Equal(cnn.Info.Temperature, reopened.Model.Info.Temperature);
        Assert.Equal(model.PredictProbabilities(images, 2), package.Model.PredictProbabilities(images, 2));
    }

    [Fact]
    public void Should_refuse_temperature_scaling_without_a_validation_split()
    {
        var options = new CnnOptions { Model = "lipnet4c", ValidationFraction = 0, Calibration = CalibrationMethod.Temperature };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("--calibrate temperature", error.Message, StringComparison.Ordinal);
    }
}
