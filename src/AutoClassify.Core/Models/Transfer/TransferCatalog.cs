namespace AutoClassify.Models.Transfer;

/// <summary>
/// The transfer models of the model catalog: for every backbone (<see cref="BackboneArchitectures.CatalogNames"/> and
/// <c>lipnet-backbone</c>), <c>-frozen</c> (softmax head on cached features), <c>-frozen-svm</c> (SVM on them) and
/// <c>-finetune</c> (where the backbone can be fine-tuned).
/// </summary>
public static class TransferCatalog
{
    /// <summary>Name suffix of the frozen models with a softmax head.</summary>
    public const string Frozen = "-frozen";

    /// <summary>Name suffix of the frozen models with an SVM head.</summary>
    public const string FrozenSvm = "-frozen-svm";

    /// <summary>Name suffix of the fine-tuned models.</summary>
    public const string FineTune = "-finetune";

    /// <summary>Catalog entries: name, description and how to create the trainer from the run's settings.</summary>
    public static IReadOnlyList<(string Name, string Description, Func<ModelSettings, IModelTrainer> Create)> Entries { get; } =
    [
        .. BackboneArchitectures.CatalogNames.Append((Name: BackboneSource.LipNetPrefix, Description: "a LipNet package (--backbone), domain transfer", FineTunes: true))
            .SelectMany(b => new (string Name, string, Func<ModelSettings, IModelTrainer>)[]
            {
                ($"{b.Name}{Frozen}", $"{b.Description}: frozen, cached features, softmax head",
                    s => new FrozenTrainer($"{b.Name}{Frozen}", BackboneSource.For(b.Name, s.Transfer), FrozenHead.Softmax, s.Transfer, s.Cnn)),
                ($"{b.Name}{FrozenSvm}", $"{b.Description}: frozen, cached features, RBF SVM",
                    s => new FrozenTrainer($"{b.Name}{FrozenSvm}", BackboneSource.For(b.Name, s.Transfer), FrozenHead.Svm, s.Transfer, s.Cnn, ModelCatalog.CreateSvm(s, ModelInput.Features).Options)),
                ($"{b.Name}{FineTune}", $"{b.Description}: fine-tuned, new softmax head",
                    s => new FineTuneTrainer($"{b.Name}{FineTune}", BackboneSource.For(b.Name, s.Transfer), s.Transfer, s.Cnn)),
            }.Where(e => b.FineTunes || !e.Name.EndsWith(FineTune, StringComparison.Ordinal))),
    ];

    /// <summary>
    /// The backbone prefix and mode suffix of a transfer model's name (<c>resnet18-frozen-svm</c> gives
    /// <c>resnet18</c> and <see cref="FrozenSvm"/>), or null when the name is not one of <see cref="Entries"/>.
    /// </summary>
    public static (string Backbone, string Mode)? Split(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Entries.Any(e => e.Name == name))
            return null;
        foreach (var mode in new[] { FrozenSvm, Frozen, FineTune })
        {
            if (name.EndsWith(mode, StringComparison.Ordinal))
                return (name[..^mode.Length], mode);
        }
        return null;
    }
}
