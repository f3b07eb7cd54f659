using AutoClassify.Evaluation;
using AutoClassify.Models.Cnn;

namespace AutoClassify.Reporting;

/// <summary>
/// Which Grad-CAM maps one CNN's report section and figures show: its gallery's top losses that a fold explained,
/// and the surest right test image of each class; their one shared scale; and the fold whose first layer is shown.
/// Depends only on the result, so the page and <c>figures/</c> agree.
/// </summary>
internal sealed class AttentionPlan
{
    AttentionPlan(Dictionary<int, GradCamMap> maps, List<Prediction> wrong, List<Prediction> right, FoldResult? firstLayer, List<int> missingFolds, string layer, int inputSize, string? unavailable)
    {
        Unavailable = unavailable;
        Maps = maps;
        Wrong = wrong;
        Right = right;
        FirstLayer = firstLayer;
        MissingFolds = missingFolds;
        Layer = layer;
        InputSize = inputSize;
        Scale = wrong.Concat(right).Select(p => (double)maps[p.Item].Values.DefaultIfEmpty(0).Max()).DefaultIfEmpty(0).Max();
    }

    /// <summary>Grad-CAM map of every explained item.</summary>
    internal IReadOnlyDictionary<int, GradCamMap> Maps { get; }

    /// <summary>The gallery's top losses that have a map for their predicted class, in the gallery's order.</summary>
    internal List<Prediction> Wrong { get; }

    /// <summary>Per class (in class order), the correctly classified test image with the highest probability that has a map.</summary>
    internal List<Prediction> Right { get; }

    /// <summary>The largest value of any shown map: the top of the one colour scale.</summary>
    internal double Scale { get; }

    /// <summary>The first fold that recorded its first layer, or null.</summary>
    internal FoldResult? FirstLayer { get; }

    /// <summary>Folds (0-based) without explanations (restored from a checkpoint written before they were recorded).</summary>
    internal List<int> MissingFolds { get; }

    /// <summary>The layer Grad-CAM differentiates to.</summary>
    internal string Layer { get; }

    internal int InputSize { get; }

    /// <summary>Why the model has no maps at all (e.g. an SVM head), or null when it has them.</summary>
    internal string? Unavailable { get; }

    /// <summary>
    /// The plan of a model, or null when no fold of it recorded explanations (every model but the CNNs); a model whose
    /// folds gave only a reason for having no maps has a plan with <see cref="Unavailable"/> set and nothing to show.
    /// </summary>
    internal static AttentionPlan? Build(ModelResult model, ModelGallery? gallery, int classCount)
    {
        var recorded = model.Folds.Where(f => f.Training.Explanation is not null).ToList();
        if (recorded.Count == 0)
            return null;
        var folds = recorded.Where(f => f.Training.Explanation!.Unavailable is null).ToList();
        if (folds.Count == 0)
        {
            return new AttentionPlan([], [], [], null, model.Folds.Where(f => f.Training.Explanation is null).Select(f => f.Fold).ToList(),
                "", recorded[0].Training.Explanation!.InputSize, recorded[0].Training.Explanation!.Unavailable);
        }
        var maps = new Dictionary<int, GradCamMap>();
        foreach (var f in folds)
        {
            foreach (var m in f.Training.Explanation!.GradCam)
                maps.TryAdd(m.Item, m);
        }
        bool Explained(Prediction p, int target) => maps.TryGetValue(p.Item, out var m) && m.TargetClass == target;
        var wrong = gallery?.TopLosses.Where(p => Explained(p, p.PredictedLabel)).ToList() ?? [];
        var right = Enumerable.Range(0, classCount)
            .Select(c => model.Predictions
                .Where(p => p.TrueLabel == c && p.PredictedLabel == c && c < p.Probabilities.Length && Explained(p, c))
                .OrderByDescending(p => p.Probabilities[c]).ThenBy(p => p.Item).FirstOrDefault())
            .OfType<Prediction>().ToList();
        var first = folds[0].Training.Explanation!;
        return new AttentionPlan(maps, wrong, right, folds.FirstOrDefault(f => f.Training.Explanation!.Filters is not null),
            model.Folds.Where(f => f.Training.Explanation is null).Select(f => f.Fold).ToList(), first.Layer, first.InputSize, null);
    }
}
