using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.AutoMl;
using AutoClassify.Models.Cnn;
using AutoClassify.Tests.Models.Cnn;

namespace AutoClassify.Tests.Models.AutoMl;

/// <summary>Tiny searches: few SVM cells, LipNet-1 at 16 px for one or two epochs.</summary>
internal static class AutoMlTestData
{
    /// <summary>Noisy disks, rings and squares with their masks and their real handcrafted features.</summary>
    public static TrainingData ShapesWithFeatures(int perClass, int seed)
    {
        var shapes = ShapeImages.Create(perClass, size: 24, seed);
        return new TrainingData
        {
            ClassNames = shapes.ClassNames,
            Labels = shapes.Labels,
            Images = shapes.Images,
            Masks = shapes.Masks,
            Features = HandcraftedFeatures.ExtractAll(shapes.Images!, shapes.Masks!, threads: 2),
        };
    }

    /// <summary>A small space: a 2 × 2 RBF grid, one linear C, two samplers, and LipNet-1.</summary>
    public static AutoMlSearchSpace SmallSpace { get; } = new()
    {
        RbfLog2C = [-1, 3],
        RbfLog2Gamma = [-7, -3],
        LinearLog2C = [-1],
        RefineRbf = false,
        FeatureSamplers = [AutoMlSampler.ClassWeights, AutoMlSampler.Smote],
        ImageFamilies = [new AutoMlImageFamily("lipnet1")],
        Augmentations = ["none", "hflip,vflip"],
        FeatureLearners = [],
        EnsembleSize = 0,
    };

    /// <summary>Settings whose CNN trials are tiny: 16 px inputs, at most <paramref name="maxEpochs"/> epochs, two threads.</summary>
    public static ModelSettings Settings(AutoMlOptions automl, int maxEpochs = 2) => new()
    {
        Cnn = new CnnOptions { InputSize = 16, MaxEpochs = maxEpochs, Patience = maxEpochs, BatchSize = 16, Threads = 2 },
        AutoMl = automl,
    };

    public static TrainingContext Context(int seed = 42, Action<string>? log = null) => new() { Seed = seed, Threads = 2, Log = log };

    /// <summary>The first of <paramref name="folds"/> stratified folds: its training and test indices.</summary>
    public static (int[] Train, int[] Test) OuterFold(TrainingData data, int folds = 4, int seed = 1) =>
        StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, folds, seed), 0);

    /// <summary>A copy of <paramref name="data"/> whose feature rows of <paramref name="items"/> are NaN: any fit that reads one fails.</summary>
    public static TrainingData PoisonFeatures(TrainingData data, IEnumerable<int> items)
    {
        var rows = data.Features!.Rows.Select(r => (double[])r.Clone()).ToArray();
        foreach (var item in items)
            Array.Fill(rows[item], double.NaN);
        return data.WithFeatures(new FeatureMatrix(data.Features.Names, rows));
    }
}
