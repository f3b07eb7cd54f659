using System.Globalization;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using static AutoClassify.Tests.Models.Transfer.TransferTestData;

namespace AutoClassify.Tests.Models.Transfer;

[Collection(TorchTests.Name)]
public sealed class TransferTemperatureTests : IDisposable
{
    readonly TempDirectory temp = new("transfer-temperature");

    public TransferTemperatureTests() => TinyImageNetBackbone.Register();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Should_fit_the_frozen_heads_temperature_on_its_validation_split_and_keep_it_when_saved()
    {
        // Given a frozen softmax head trained with --calibrate temperature
        var data = ShapeImages.Create(perClass: 8, size: 24, seed: 7);
        var (train, test) = Fold(data);
        var options = Fast(epochs: 6, learningRate: 1e-2) with { ValidationFraction = 0.3, Calibration = CalibrationMethod.Temperature };
        using var model = (TransferModel)new FrozenTrainer("tiny-frozen", BackboneSource.Named(TinyImageNetBackbone.ArchitectureName), FrozenHead.Softmax,
            new TransferOptions { InputSize = 96, FeatureCacheDirectory = temp.Combine("cache") }, options).Train(data, train, Context());

        // When saved and loaded again
        var folder = temp.Combine("saved");
        model.Save(folder);
        using var loaded = TransferModel.Load(folder, threads: 2);

        // Then the fit recorded a temperature that lowered the validation NLL, and the loaded model predicts with it
        var facts = model.Summary.Facts;
        var t = double.Parse(facts[CnnTrainer.TemperatureFact], CultureInfo.InvariantCulture);
        Assert.Equal(t, model.Info.Temperature);
        Assert.NotEqual(1.0, t);
        Assert.True(double.Parse(facts["val_nll_after_calibration"], CultureInfo.InvariantCulture)
            <= double.Parse(facts["val_nll_before_calibration"], CultureInfo.InvariantCulture) + 1e-9);
        Assert.Equal(t, loaded.Info.Temperature);
        var expected = model.PredictProbabilities(data, test);
        var actual = loaded.PredictProbabilities(data, test);
        for (var i = 0; i < test.Length; i++)
        {
            Assert.Equal(1.0, actual[i].Sum(), 9);
            for (var k = 0; k < expected[i].Length; k++)
                Assert.Equal(expected[i][k], actual[i][k], 5);
        }
    }
}
