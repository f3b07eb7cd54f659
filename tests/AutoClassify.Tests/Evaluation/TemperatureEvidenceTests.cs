using AutoClassify.Evaluation;
using AutoClassify.Evaluation.Statistics;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Reporting;
using AutoClassify.Tests.Reporting;

namespace AutoClassify.Tests.Evaluation;

public class TemperatureEvidenceTests
{
    [Fact]
    public void Should_show_calibration_before_and_after_the_folds_temperatures()
    {
        // Given a report whose first model's folds were temperature-scaled with T = 1.8
        var result = ReportFixtures.Create();
        var model = result.Models[0];
        foreach (var fold in model.Folds)
            fold.Training.Facts[CnnTrainer.TemperatureFact] = "1.8";

        // When the evidence is built and the report rendered
        EvidenceBuilder.Attach(result);
        var html = HtmlReport.Render(result);

        // Then the calibration before scaling is that of the recovered probabilities softmax(T · ln p), and the report shows both
        var before = model.Evidence!.BeforeTemperature!;
        var truth = model.Predictions.Select(p => p.TrueLabel).ToArray();
        var expected = Calibration.Summarise(truth, [.. model.Predictions.Select(p => TemperatureScaling.Unscale(p.Probabilities, 1.8))]);
        Assert.Equal(expected.Ece, before.Ece, 12);
        Assert.NotEqual(model.Evidence.Calibration.Ece, before.Ece);
        Assert.Contains("Temperature scaling (one temperature per fold", html, StringComparison.Ordinal);
        Assert.Null(result.Models.Skip(1).FirstOrDefault()?.Evidence?.BeforeTemperature);
    }
}
