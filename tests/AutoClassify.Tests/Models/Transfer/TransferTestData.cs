using AutoClassify.Dataset;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Models.Transfer;

/// <summary>Shared pieces of the transfer tests: fast settings, a pretrained LipNet package, folds, accuracy.</summary>
internal static class TransferTestData
{
    /// <summary>A few quick epochs of the CNN regime, two threads, flips only.</summary>
    public static CnnOptions Fast(int epochs, double learningRate = 3e-3) => new()
    {
        MaxEpochs = epochs,
        Patience = epochs,
        BatchSize = 16,
        Threads = 2,
        LearningRate = learningRate,
        Augmentation = AugmentationOptions.Parse("hflip,vflip"),
    };

    public static TrainingContext Context(int seed = 42, Action<string>? log = null) => new() { Seed = seed, Threads = 2, Log = log };

    public static (int[] Train, int[] Test) Fold(TrainingData data, int folds = 4, int seed = 1) =>
        StratifiedKFold.Split(StratifiedKFold.Assign(data.Labels, folds, seed), 0);

    public static double Accuracy(double[][] probabilities, int[] labels, int[] indices) =>
        indices.Select((item, row) => Array.IndexOf(probabilities[row], probabilities[row].Max()) == labels[item] ? 1.0 : 0.0).Average();

    /// <summary>
    /// Trains a LipNet-4 at 16 px on the disk/ring/square shapes and stores it in a registry under
    /// <c>&lt;registry&gt;/shapes/v1</c>, the folder it returns.
    /// </summary>
    public static string PretrainShapesPackage(string registry, int epochs = 8)
    {
        var data = ShapeImages.Create(perClass: 20, size: 20, seed: 3);
        var all = Enumerable.Range(0, data.Labels.Length).ToArray();
        var options = Fast(epochs) with { Model = "lipnet4", InputSize = 16 };
        var model = CnnTrainer.Create("lipnet4", options).Train(data, all, Context(seed: 7));
        using var packaged = new CnnPackagedModel(model);
        var manifest = TestPackages.Manifest(packaged, 7);
        var version = new ModelRegistry(registry).Add("shapes", stream => ModelPackage.Write(stream, manifest, packaged));
        new ModelRegistry(registry).PromoteIfNoChampion("shapes", version);
        return Path.Combine(registry, "shapes", "v" + version.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A new two-class task on fresh shapes: round (disk or ring) against square, 2 × <paramref name="perClass"/> images.</summary>
    public static TrainingData RoundVersusSquare(int perClass, int seed)
    {
        var shapes = ShapeImages.Create(perClass, size: 20, seed, counts: [perClass / 2, perClass - perClass / 2, perClass]);
        return new TrainingData
        {
            ClassNames = ["round", "square"],
            Labels = [.. shapes.Labels.Select(l => l == 2 ? 1 : 0)],
            Images = shapes.Images,
            Masks = shapes.Masks,
        };
    }
}
