using AutoClassify.Models;
using AutoClassify.Packaging;

namespace AutoClassify.MLNet;

/// <summary>Adds the ML.NET baselines to the <see cref="ModelCatalog"/> and the package kinds.</summary>
public static class MLNetModels
{
    /// <summary>
    /// Registers <c>lightgbm</c>, <c>maxent</c> and <c>forest</c> on the handcrafted features and their <c>-field</c>
    /// variants on the whole-field features, as models and as package kinds. Registering again changes nothing.
    /// </summary>
    public static void Register()
    {
        foreach (var learner in MLNetLearner.All)
        {
            ModelCatalog.Register(new ModelFamily(learner.Name, learner.Description + ", on the handcrafted features", ModelInput.Features,
                s => new MLNetTrainer(learner, ModelInput.Features, s.InnerFolds, s.Grid)));
            ModelCatalog.Register(new ModelFamily(learner.Name + MLNetTrainer.FieldSuffix, learner.Description + ", on the whole-field features",
                ModelInput.FieldFeatures, s => new MLNetTrainer(learner, ModelInput.FieldFeatures, s.InnerFolds, s.Grid)));
        }
        foreach (var kind in MLNetPackagedModel.Registrations)
            PackagedModelKinds.Register(kind);
    }
}
