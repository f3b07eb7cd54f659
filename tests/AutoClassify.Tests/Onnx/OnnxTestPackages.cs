using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;
using AutoClassify.Tests.Models.Cnn;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Onnx;

/// <summary>
/// Packages of every exportable kind, built directly from seeded networks (no training: the export must hold for any
/// weights), with batch-norm statistics and head scalings set away from their identity defaults so that every
/// exported operation changes the result.
/// </summary>
internal static class OnnxTestPackages
{
    public static IReadOnlyList<string> Classes => ShapeImages.ClassNames;

    /// <summary>Shapes with masks, a flat image (the standardisation's zero-SD branch) and one smaller than the input (enlarged).</summary>
    public static List<PreparedImage> Images(int seed = 3)
    {
        var data = ShapeImages.Create(perClass: 2, size: 44, seed: seed);
        var images = data.Images!.Select((image, i) => new PreparedImage(image, data.Masks?[i])).ToList();
        images.Add(new PreparedImage(new GrayImage(30, 30, Enumerable.Repeat(0.4f, 900).ToArray()), null));
        var random = new Random(seed);
        images.Add(new PreparedImage(new GrayImage(12, 12, [.. Enumerable.Range(0, 144).Select(_ => (float)random.NextDouble())]), null));
        return images;
    }

    public static string Cnn(string directory, string kind, int size, InputMode mode = InputMode.Crop, int seed = 5)
    {
        Torch.ManualSeed(seed);
        var info = new CnnModelInfo { Model = kind, ClassNames = [.. Classes], InputMode = mode.ToName(), InputSize = size };
        var module = LipNet.Build(LipNet.Find(kind), Classes.Count, size, info.Dropout, info.HiddenDropout);
        var model = new CnnModel(module, info, new CnnOptions { Model = kind }, Device.Cpu, 2, new TrainingSummary());
        using var packaged = new CnnPackagedModel(model);
        return Write(directory, packaged);
    }

    /// <summary>A transfer package on a torchvision architecture (ImageNet input) or, with <paramref name="lipNetSource"/>, a LipNet backbone.</summary>
    /// <param name="batchNormGain">Upper end of the batch norms' random gains (from a third of it): small enough that a deep net stays in range, large enough that its features still depend on the image.</param>
    public static string Transfer(string directory, string model, string backboneName, int size, CnnModelInfo? lipNetSource = null, int seed = 7, double batchNormGain = 0.6)
    {
        Torch.ManualSeed(seed);
        var backbone = lipNetSource is null
            ? BackboneArchitectures.Require(backboneName).Create(new BackboneRequest { Pretrained = false })
            : LipNetBackbone.Build(lipNetSource);
        TransferHead? head = null;
        try
        {
            PerturbBatchNorms(backbone.Network, batchNormGain);
            var info = new TransferModelInfo
            {
                Model = model,
                Backbone = backbone.Name,
                LipNetSource = lipNetSource,
                ClassNames = [.. Classes],
                Channels = backbone.InputChannels,
                InputSize = size,
                Normalisation = (lipNetSource is null ? PixelNormalisation.ImageNet : PixelNormalisation.PerImage).ToString(),
                InputMode = "crop",
                FeatureDim = backbone.FeatureDim,
            };
            head = new TransferHead(backbone.FeatureDim, Classes.Count);
            SetScaling(head, Features(backbone, info, Images(seed)));
            var transfer = new TransferModel(backbone, head, info, Device.Cpu, 2, 16, null, new TrainingSummary());
            head = null;
            using var packaged = new TransferPackagedModel(transfer);
            return Write(directory, packaged);
        }
        catch
        {
            head?.Dispose();
            backbone.Dispose();
            throw;
        }
    }

    static string Write(string directory, IPackagedModel model)
    {
        var path = Path.Combine(directory, model.Kind + "-" + Guid.NewGuid().ToString("N")[..8] + ModelPackage.Extension);
        TestPackages.Write(path, model);
        return path;
    }

    // Running statistics and affine parameters away from 0 and 1, but small enough that deep nets stay in range.
    static void PerturbBatchNorms(Module network, double gain)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var (_, module) in network.NamedModules())
        {
            // torchvision's fan-out initialisation shrinks a depthwise convolution's output by its channel count, so an
            // untrained MobileNetV2 answers the same for every image; fan-in keeps the signal.
            if (module is Conv2d { Groups: > 1 } depthwise)
                Init.KaimingNormal(depthwise.Weight, mode: FanMode.FanIn, nonlinearity: Nonlinearity.Relu);
            if (module is not BatchNorm2d norm)
                continue;
            Init.Uniform(norm.RunningMean!, -0.1, 0.1);
            Init.Uniform(norm.RunningVar!, 0.5, 1.5);
            Init.Uniform(norm.Weight!, gain / 3, gain);
            Init.Uniform(norm.Bias!, -0.1, 0.1);
        }
    }

    // Centred on the features' means and scaled by their root mean square, not their SD: an untrained backbone gives
    // features that barely vary between images, and 1 / SD would magnify rounding so much that libtorch disagrees with
    // itself between a batch and single images; a trained head's scaling is fitted on features that do vary.
    static void SetScaling(TransferHead head, List<float[]> rows)
    {
        var dim = head.FeatureDim;
        var mean = new float[dim];
        var scale = new float[dim];
        for (var j = 0; j < dim; j++)
        {
            mean[j] = (float)rows.Average(r => (double)r[j]);
            var rms = Math.Sqrt(rows.Average(r => (double)r[j] * r[j]));
            scale[j] = rms > 0 ? (float)(1 / rms) : 0f;
        }
        using var noGrad = Torch.NoGrad();
        using var meanValues = Tensor.FromArray(mean, [dim]);
        using var scaleValues = Tensor.FromArray(scale, [dim]);
        head.Mean.CopyFrom(meanValues);
        head.Scale.CopyFrom(scaleValues);
    }

    // The backbone's own features of the test images, so the head's scaling fits what it will see.
    static List<float[]> Features(IFeatureBackbone backbone, TransferModelInfo info, List<PreparedImage> images)
    {
        var preparer = new BackboneInputPreparer(info.ToInputSpec());
        var data = new TrainingData
        {
            ClassNames = info.ClassNames,
            Labels = new int[images.Count],
            Images = [.. images.Select(i => i.Image)],
            Masks = [.. images.Select(i => i.Mask)],
        };
        var (pixels, _) = preparer.PrepareGrey(data, [.. Enumerable.Range(0, images.Count)]);
        using var noGrad = Torch.NoGrad();
        using var scope = DisposeScope.Begin();
        backbone.Network.Eval();
        var grey = Tensor.FromArray(pixels, [images.Count, 1, info.InputSize, info.InputSize]);
        var features = backbone.Features(preparer.ToNetworkInput(grey)).ToArray<float>();
        return [.. Enumerable.Range(0, images.Count).Select(i => features.AsSpan(i * backbone.FeatureDim, backbone.FeatureDim).ToArray())];
    }
}
