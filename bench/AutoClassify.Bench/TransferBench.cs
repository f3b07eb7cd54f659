using System.Diagnostics;
using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Dataset.Synthesis;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Frozen transfer: what one extraction pass of a backbone over the data costs, against a whole 5-fold CV of the
/// frozen models once the features are cached (a second run, reading the disk cache). The backbone is ResNet-18 at
/// 224 px (112 px with --quick), with random weights when no ImageNet file is cached: the bench measures time, not
/// accuracy. The SVM's C/γ grid is the coarse one.
/// </summary>
internal sealed class TransferBench : IBenchSuite
{
    const int Folds = 5, Threads = 2;

    public string Name => "transfer";

    public string Description => "frozen backbone: one extraction pass vs 5-fold CV over the cached features (softmax head and SVM); ratio, goal: small";

    public void Run(BenchOptions options)
    {
        var count = options.Quick ? 240 : 600;
        var data = Synthesize(count);
        var scratch = Directory.CreateTempSubdirectory("ac-bench-transfer-").FullName;
        try
        {
            var size = options.Quick ? 112 : 224;
            var (source, transfer, label) = PickBackbone(size);
            Console.WriteLine(Invariant($"  {count} synthetic 64-px crops (balanced, 3 classes), backbone {label}, {Threads} threads, {Folds}-fold CV"));

            // One pass of the backbone over every image: what the cache saves on every later fold and run.
            var extraction = Time(() =>
            {
                using var backbone = source.Open(transfer, null);
                var input = BackboneInputSpec.For(backbone, transfer, new CnnOptions());
                using var threadScope = new TorchThreads(Threads);
                new FeatureExtractor(backbone, input, new FeatureCache(null), AugmentationOptions.None, Device.Cpu, transfer.ExtractionBatchSize)
                    .Extract(data, [.. Enumerable.Range(0, count)]);
            });
            Console.WriteLine(Invariant($"  extraction pass        {extraction,8:F2} s   {count / extraction,8:F1} img/s"));

            // The first CV fills an empty disk cache; the second is what every later run costs.
            foreach (var (head, model) in new[] { (FrozenHead.Softmax, "frozen"), (FrozenHead.Svm, "frozen-svm") })
            {
                var cached = transfer with { FeatureCacheDirectory = Path.Combine(scratch, "cache-" + model) };
                var first = CrossValidate(data, () => Trainer(model, source, head, cached), out var firstExtracted);
                var second = CrossValidate(data, () => Trainer(model, source, head, cached), out var secondExtracted);
                Console.WriteLine(Invariant(
                    $"  CV {model,-11} first run {first,8:F2} s ({firstExtracted} extracted), cached run {second,8:F2} s ({secondExtracted} extracted)   cached CV / extraction = {second / extraction:F3}"));
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    static FrozenTrainer Trainer(string model, BackboneSource source, FrozenHead head, TransferOptions transfer)
    {
        var svm = head == FrozenHead.Svm ? ModelCatalog.CreateSvm(new ModelSettings { Grid = "coarse" }, ModelInput.Features).Options : null;
        return new FrozenTrainer(model, source, head, transfer, new CnnOptions { Threads = Threads }, svm);
    }

    static double CrossValidate(TrainingData data, Func<FrozenTrainer> create, out long extracted)
    {
        var trainer = create();
        var assignment = StratifiedKFold.Assign(data.Labels, Folds, 42);
        var seconds = Time(() =>
        {
            for (var fold = 0; fold < Folds; fold++)
            {
                var (train, test) = StratifiedKFold.Split(assignment, fold);
                using var model = trainer.Train(data, train, new TrainingContext { Seed = Seeds.Derive(42, trainer.Name, fold), Threads = Threads });
                model.PredictProbabilities(data, test);
            }
        });
        extracted = trainer.Cache.Misses;
        return seconds;
    }

    // ResNet-18: torchvision's weights when a cache holds them, else random ones (the speed is the same).
    static (BackboneSource Source, TransferOptions Options, string Label) PickBackbone(int size)
    {
        var spec = Backbones.Find("resnet18");
        try
        {
            var path = PretrainedWeights.Locate(spec.ImageNetWeights, null, new PretrainedWeightsOptions { AllowDownload = false });
            return (BackboneSource.Named("resnet18"), new TransferOptions { InputSize = size, WeightsPath = path }, Invariant($"resnet18 at {size} px, ImageNet weights"));
        }
        catch (FileNotFoundException)
        {
            return (BackboneSource.Named("resnet18"), new TransferOptions { InputSize = size, WeightsPath = BackboneArchitectures.NoWeights },
                Invariant($"resnet18 at {size} px, random weights (no ImageNet file in the caches; the speed is the same)"));
        }
    }

    static TrainingData Synthesize(int count)
    {
        var synthesizer = new LiposomeSynthesizer(new LiposomeSynthesisOptions { Count = count });
        var crops = Enumerable.Range(0, count).Select(i => synthesizer.Render((LiposomeClass)(i % 3), i)).ToArray();
        return new TrainingData
        {
            ClassNames = LiposomeSynthesizer.ClassNames,
            Labels = [.. crops.Select(c => (int)c.Class)],
            Images = [.. crops.Select(c => c.Image)],
            Masks = [.. crops.Select(c => (BinaryMask?)c.Mask)],
        };
    }

    static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
