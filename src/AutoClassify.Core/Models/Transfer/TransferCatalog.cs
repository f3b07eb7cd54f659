namespace AutoClassify.Models.Transfer;

/// <summary>
/// The transfer models of the model catalog: for every backbone (<see cref="BackboneArchitectures.CatalogNames"/> and
/// <c>lipnet-backbone</c>), <c>-frozen</c> (softmax head on cached features), <c>-frozen-svm</c> (SVM on them) and
/// <c>-finetune</c>.
/// </summary>
public static class TransferCatalog
{
    /// <summary>Catalog entries: name, description and how to create the trainer from the run's settings.</summary>
    public static IReadOnlyList<(string Name, string Description, Func<ModelSettings, IModelTrainer> Create)> Entries { get; } =
    [
        .. BackboneArchitectures.CatalogNames.Append((Name: BackboneSource.LipNetPrefix, Description: "a LipNet package (--backbone), domain transfer"))
            .SelectMany(b => new (string, string, Func<ModelSettings, IModelTrainer>)[]
            {
                ($"{b.Name}-frozen", $"{b.Description}: frozen, cached features, softmax head",
                    s => new FrozenTrainer($"{b.Name}-frozen", BackboneSource.For(b.Name, s.Transfer), FrozenHead.Softmax, s.Transfer, s.Cnn)),
                ($"{b.Name}-frozen-svm", $"{b.Description}: frozen, cached features, RBF SVM",
                    s => new FrozenTrainer($"{b.Name}-frozen-svm", BackboneSource.For(b.Name, s.Transfer), FrozenHead.Svm, s.Transfer, s.Cnn, ModelCatalog.CreateSvm(s, ModelInput.Features).Options)),
                ($"{b.Name}-finetune", $"{b.Description}: fine-tuned, new softmax head",
                    s => new FineTuneTrainer($"{b.Name}-finetune", BackboneSource.For(b.Name, s.Transfer), s.Transfer, s.Cnn)),
            }),
    ];
}
