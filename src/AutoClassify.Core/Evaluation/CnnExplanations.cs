using AutoClassify.Models;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Evaluation;

/// <summary>
/// Chooses which of a fold's test images its CNN explains, and has that fold's model explain them: the most confidently
/// wrong (enough to cover the report's top losses whichever folds they come from) and the surest right image of every
/// class. Only the fold's own held-out images and model are used, so no explanation leaks across folds.
/// </summary>
public static class CnnExplanations
{
    /// <summary>Wrong test images explained per fold, highest loss first (the report shows at most this many per model).</summary>
    public const int TopLossesPerFold = 12;

    /// <summary>
    /// Grad-CAM maps of the chosen images of one fold, for the class the model predicted; with
    /// <paramref name="firstLayer"/> also, for a LipNet, the first convolution's filters and activations of one test
    /// image per class. A model that cannot draw maps returns the reason instead (<see cref="CnnExplanation.Unavailable"/>).
    /// </summary>
    /// <param name="model">The model trained on the fold's training images.</param>
    /// <param name="data">The data set.</param>
    /// <param name="test">The fold's test items.</param>
    /// <param name="probabilities">The model's probabilities of <paramref name="test"/>, row by row.</param>
    /// <param name="firstLayer">Record the first layer too (one fold per model is enough).</param>
    public static CnnExplanation Compute(IGradCamModel model, TrainingData data, IReadOnlyList<int> test, IReadOnlyList<double[]> probabilities, bool firstLayer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Count != test.Count)
            throw new ArgumentException($"{probabilities.Count} probability rows for {test.Count} test items.", nameof(probabilities));
        var rows = test.Select((item, row) => (Item: item, True: data.Labels[item], Predicted: ModelResultBuilder.Decide(probabilities[row]), P: probabilities[row])).ToList();

        // The same order as the report's top losses: loss −ln p(true), then confidence, then item.
        var wrong = rows.Where(r => r.Predicted != r.True)
            .OrderByDescending(r => -Math.Log(Math.Max(1e-15, r.P[r.True]))).ThenByDescending(r => r.P[r.Predicted]).ThenBy(r => r.Item)
            .Take(TopLossesPerFold);
        var surest = Enumerable.Range(0, data.ClassCount)
            .Select(c => rows.Where(r => r.True == c && r.Predicted == c).OrderByDescending(r => r.P[c]).ThenBy(r => r.Item).Select(r => (int?)r.Item).FirstOrDefault())
            .ToList();
        var targets = wrong.Select(r => (r.Item, r.Predicted))
            .Concat(surest.Select((item, c) => (Item: item, Class: c)).Where(x => x.Item is not null).Select(x => (x.Item!.Value, x.Class)))
            .ToList();
        var explanation = model.GradCam(data, targets);
        if (firstLayer && model is CnnModel cnn)
        {
            // One image per class: the surest right one, else the one the model gave its class the highest probability.
            var examples = Enumerable.Range(0, data.ClassCount)
                .Select(c => surest[c] ?? rows.Where(r => r.True == c).OrderByDescending(r => r.P[c]).ThenBy(r => r.Item).Select(r => (int?)r.Item).FirstOrDefault())
                .Where(i => i is not null).Select(i => i!.Value).ToList();
            (explanation.Filters, explanation.Activations) = cnn.FirstLayer(data, examples);
        }
        return explanation;
    }
}
