using AutoClassify.Evaluation;

namespace AutoClassify.Reporting;

/// <summary>
/// Which out-of-fold predictions the report shows as images, per model: the top losses, the most-confused class pairs
/// and a gallery for every non-empty confusion-matrix cell. Depends only on the result, so every rendering agrees.
/// </summary>
internal sealed class GalleryPlan
{
    /// <summary>Most confidently wrong images shown per model.</summary>
    internal const int TopLossCount = 12;

    /// <summary>Images shown per off-diagonal cell (most confident first).</summary>
    internal const int PerWrongCell = 8;

    /// <summary>Images shown per diagonal cell (closest calls first).</summary>
    internal const int PerRightCell = 4;

    /// <summary>Most-confused ordered pairs (true, predicted) listed per model.</summary>
    internal const int ConfusedPairCount = 3;

    GalleryPlan(List<ModelGallery> models) => Models = models;

    internal IReadOnlyList<ModelGallery> Models { get; }

    internal static GalleryPlan Build(BenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var k = result.Dataset.ClassNames.Count;
        return new GalleryPlan(result.Models.Select(m => ModelGallery.Build(m, k)).ToList());
    }

    /// <summary>
    /// Every shown item once, most important first (all models' top losses by rank, then the confused pairs' cells,
    /// then the other cells), with the number of times the page shows it.
    /// </summary>
    internal IReadOnlyList<(int Item, int Occurrences)> ItemsByPriority()
    {
        var order = new List<int>();
        var counts = new Dictionary<int, int>();
        void Add(Prediction p)
        {
            if (counts.TryGetValue(p.Item, out var n))
            {
                counts[p.Item] = n + 1;
                return;
            }
            counts[p.Item] = 1;
            order.Add(p.Item);
        }
        for (var rank = 0; rank < TopLossCount; rank++)
        {
            foreach (var m in Models)
            {
                if (rank < m.TopLosses.Count)
                    Add(m.TopLosses[rank]);
            }
        }
        foreach (var m in Models)
        {
            foreach (var cell in m.ConfusedPairs)
                cell.Shown.ForEach(Add);
        }
        foreach (var m in Models)
        {
            foreach (var cell in m.Cells.Where(c => !m.ConfusedPairs.Contains(c)))
                cell.Shown.ForEach(Add);
        }
        return order.Select(i => (i, counts[i])).ToList();
    }
}

/// <summary>The images one model's gallery shows.</summary>
internal sealed class ModelGallery
{
    /// <summary>Misclassified predictions by decreasing loss −ln p(true class).</summary>
    internal required List<Prediction> TopLosses { get; init; }

    /// <summary>How many test images the model got wrong.</summary>
    internal required int Wrong { get; init; }

    /// <summary>Every non-empty cell, in matrix order (true class, then predicted class).</summary>
    internal required List<GalleryCell> Cells { get; init; }

    /// <summary>The off-diagonal cells with most images, most first.</summary>
    internal required List<GalleryCell> ConfusedPairs { get; init; }

    internal static ModelGallery Build(ModelResult model, int classCount)
    {
        var wrong = model.Predictions.Where(p => p.PredictedLabel != p.TrueLabel).ToList();
        var cells = new List<GalleryCell>();
        foreach (var group in model.Predictions
                     .Where(p => (uint)p.TrueLabel < (uint)classCount && (uint)p.PredictedLabel < (uint)classCount)
                     .GroupBy(p => (p.TrueLabel, p.PredictedLabel))
                     .OrderBy(g => g.Key.TrueLabel).ThenBy(g => g.Key.PredictedLabel))
        {
            var (t, p) = group.Key;
            // Wrong cells show what the model was surest of; right cells the closest calls, which say more than easy hits.
            var ordered = t == p
                ? group.OrderBy(Confidence).ThenBy(x => x.Item)
                : group.OrderByDescending(Confidence).ThenBy(x => x.Item);
            cells.Add(new GalleryCell(t, p, group.Count(), ordered.Take(t == p ? GalleryPlan.PerRightCell : GalleryPlan.PerWrongCell).ToList()));
        }
        return new ModelGallery
        {
            TopLosses = wrong.OrderByDescending(Loss).ThenByDescending(Confidence).ThenBy(p => p.Item).Take(GalleryPlan.TopLossCount).ToList(),
            Wrong = wrong.Count,
            Cells = cells,
            ConfusedPairs = cells.Where(c => c.True != c.Predicted).OrderByDescending(c => c.Count).ThenBy(c => c.True).ThenBy(c => c.Predicted)
                .Take(GalleryPlan.ConfusedPairCount).ToList(),
        };
    }

    /// <summary>−ln p(true class), with p clipped at 1e-15 as in the log loss.</summary>
    internal static double Loss(Prediction p) =>
        -Math.Log(Math.Max(1e-15, (uint)p.TrueLabel < (uint)p.Probabilities.Length ? p.Probabilities[p.TrueLabel] : 0));

    /// <summary>The probability of the predicted class.</summary>
    internal static double Confidence(Prediction p) =>
        (uint)p.PredictedLabel < (uint)p.Probabilities.Length ? p.Probabilities[p.PredictedLabel] : double.NaN;
}

/// <summary>One confusion-matrix cell: its images' count and those shown.</summary>
internal sealed record GalleryCell(int True, int Predicted, int Count, List<Prediction> Shown);
