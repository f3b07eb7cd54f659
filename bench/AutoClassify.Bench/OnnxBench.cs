using System.Diagnostics;
using System.Globalization;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Onnx;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tensors;

namespace AutoClassify.Bench;

/// <summary>
/// Package prediction through ONNX Runtime (<c>predict --engine onnx</c>) against libtorch (the native engine), on the
/// same prepared 64-px crops: crops/s of each, taken in turn, and their ratio. LipNet-4 at 28 and 64 px and ResNet-18
/// (ImageNet input) at 112 px, all with seeded random weights: the bench measures time, not accuracy. Both engines
/// cut and resize each crop the same way on the CPU; only the network differs.
/// </summary>
internal sealed class OnnxBench : IBenchSuite
{
    public string Name => "onnx";

    public string Description => "ONNX Runtime vs libtorch package prediction, crops/s side by side (LipNet-4 at 28 and 64 px, ResNet-18 at 112 px); ratio";

    public void Run(BenchOptions options)
    {
        var scratch = Directory.CreateTempSubdirectory("ac-bench-onnx-").FullName;
        try
        {
            var crops = Crops(options.Quick ? 128 : 512);
            var rounds = options.Quick ? 2 : 3;
            Console.WriteLine(Invariant($"  {crops.Count} synthetic 64-px crops, {Environment.ProcessorCount} threads per engine, best of {rounds} rounds each, engines taken in turn"));
            Console.WriteLine(Invariant($"  {"model",-22} {"libtorch crops/s",17} {"onnx crops/s",13} {"onnx / libtorch",16}"));
            foreach (var (label, path) in new[]
            {
                ("lipnet4 28 px", CnnPackage(scratch, 28)),
                ("lipnet4 64 px", CnnPackage(scratch, 64)),
                ("resnet18 112 px", ResNetPackage(scratch, 112)),
            })
            {
                using var native = ModelPackage.Open(path);
                using var onnx = OnnxEngine.Open(path);
                double nativeRate = 0, onnxRate = 0;
                native.Model.PredictProbabilities(crops.Take(16).ToList(), 0);
                onnx.Model.PredictProbabilities(crops.Take(16).ToList(), 0);
                for (var round = 0; round < rounds; round++)
                {
                    nativeRate = Math.Max(nativeRate, Rate(native.Model, crops));
                    onnxRate = Math.Max(onnxRate, Rate(onnx.Model, crops));
                }
                Console.WriteLine(Invariant($"  {label,-22} {nativeRate,17:F0} {onnxRate,13:F0} {onnxRate / nativeRate,16:F2}"));
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    static double Rate(IPackagedModel model, List<PreparedImage> crops)
    {
        var clock = Stopwatch.StartNew();
        model.PredictProbabilities(crops, 0);
        return crops.Count / clock.Elapsed.TotalSeconds;
    }

    static string CnnPackage(string directory, int size)
    {
        Torch.ManualSeed(1);
        string[] classes = ["a", "b", "c"];
        var info = new CnnModelInfo { Model = "lipnet4", ClassNames = classes, InputMode = "surround", InputSize = size };
        var module = LipNet.Build(LipNet.Find("lipnet4"), classes.Length, size, info.Dropout, info.HiddenDropout);
        module.UseChannelsLast();
        var model = new CnnModel(module, info, new CnnOptions { Model = "lipnet4" }, Device.Cpu, Environment.ProcessorCount, new TrainingSummary());
        using var packaged = new CnnPackagedModel(model);
        return Write(directory, packaged, $"lipnet4-{size}");
    }

    static string ResNetPackage(string directory, int size)
    {
        Torch.ManualSeed(1);
        string[] classes = ["a", "b", "c"];
        var backbone = BackboneArchitectures.Require("resnet18").Create(new BackboneRequest { Pretrained = false });
        var info = new TransferModelInfo
        {
            Model = "resnet18-finetune",
            Backbone = backbone.Name,
            ClassNames = classes,
            Channels = 3,
            InputSize = size,
            Normalisation = nameof(PixelNormalisation.ImageNet),
            InputMode = "surround",
            FeatureDim = backbone.FeatureDim,
        };
        var head = new TransferHead(backbone.FeatureDim, classes.Length);
        var model = new TransferModel(backbone, head, info, Device.Cpu, Environment.ProcessorCount, TransferOptions.Defaults.ExtractionBatchSize, null, new TrainingSummary());
        using var packaged = new TransferPackagedModel(model);
        return Write(directory, packaged, $"resnet18-{size}");
    }

    static string Write(string directory, IPackagedModel model, string name)
    {
        var path = Path.Combine(directory, name + ModelPackage.Extension);
        ModelPackage.Write(path, new ModelPackageManifest
        {
            ModelKind = model.Kind,
            ClassNames = model.ClassNames,
            Preprocessing = model.Preprocessing,
            Provenance = new PackageProvenance { Seed = 1, CreatedUtc = DateTimeOffset.UtcNow },
        }, model);
        return path;
    }

    // Noisy disks of varying radius and brightness on a grey background.
    static List<PreparedImage> Crops(int count)
    {
        var random = new Random(7);
        var result = new List<PreparedImage>(count);
        for (var n = 0; n < count; n++)
        {
            var pixels = new float[64 * 64];
            var radius = 8 + random.NextDouble() * 20;
            var level = (float)(0.2 + random.NextDouble() * 0.3);
            for (var y = 0; y < 64; y++)
            {
                for (var x = 0; x < 64; x++)
                {
                    var inside = (x - 31.5) * (x - 31.5) + (y - 31.5) * (y - 31.5) < radius * radius;
                    pixels[y * 64 + x] = (inside ? level : 0.7f) + (float)(random.NextDouble() * 0.05);
                }
            }
            result.Add(new PreparedImage(new GrayImage(64, 64, pixels), null));
        }
        return result;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
