using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Cnn;

public sealed partial class CnnModel : IGradCamModel
{
    /// <summary>Longest side of a stored map or input; larger ones are averaged down by a whole factor to fit.</summary>
    public const int MaxExplanationSide = 64;

    /// <summary>
    /// Class activation maps of <paramref name="targets"/> at the activations after the last convolution of
    /// <c>features</c> (see <see cref="GradCamMap"/>). Evaluation mode, no augmentation; the same images and weights
    /// give the same maps.
    /// </summary>
    /// <param name="data">The data set the item indices point into.</param>
    /// <param name="targets">Items with the class to explain (usually the predicted one).</param>
    public CnnExplanation GradCam(TrainingData data, IReadOnlyList<(int Item, int Class)> targets)
    {
        ArgumentNullException.ThrowIfNull(data);
        ClassActivationMaps.CheckTargets(targets, Info.ClassNames.Count);
        var (layerIndex, layerName) = LastConvolutionActivation();
        var explanation = new CnnExplanation { InputSize = Info.InputSize, Layer = layerName };
        if (targets.Count == 0)
            return explanation;

        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        module.Eval();
        var cut = new ClassActivationMaps.Cut(
            layerName,
            [module],
            items =>
            {
                var (pixels, _) = preparer.PrepareBatch(data, items);
                return (CnnTrainer.ToDevice(Tensor.FromArray(pixels, [items.Count, 1, Info.InputSize, Info.InputSize]), device), pixels, Info.InputSize);
            },
            x => Run(x, 0, layerIndex + 1),
            a => module.Classifier.Forward(Run(a, layerIndex + 1, module.Features.Count)));
        explanation.GradCam = ClassActivationMaps.Compute(cut, targets, Info.ClassNames.Count, batchSize, device);
        return explanation;
    }

    // features[from..to) in order; intermediate results belong to the caller's dispose scope.
    Tensor Run(Tensor x, int from, int to)
    {
        for (var i = from; i < to; i++)
            x = module.Features[i].Forward(x);
        return x;
    }

    /// <summary>The first convolution's kernels (first input channel) and its activations after the ReLU for <paramref name="items"/>.</summary>
    /// <param name="data">The data set the item indices point into.</param>
    /// <param name="items">Items to show (one per class in the report).</param>
    public (ConvFilters Filters, List<ActivationSample> Activations) FirstLayer(TrainingData data, IReadOnlyList<int> items)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(items);
        var conv = module.Features[0] as Conv2d ?? throw new InvalidOperationException($"{Info.Model}: the first layer is not a convolution.");
        var activationEnd = module.Features.Count > 1 && module.Features[1] is ReLU ? 1 : 0;
        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        using var noGrad = Torch.NoGrad();
        module.Eval();
        using var scope = DisposeScope.Begin();
        var k = conv.KernelSize;
        var weight = conv.Weight.Detach().To(Device.Cpu).Select(1, 0).Contiguous().ToArray<float>();
        var filters = new ConvFilters { Name = "features.0.weight", Count = conv.OutChannels, KernelSize = k, Weights = weight };
        var samples = new List<ActivationSample>();
        if (items.Count == 0)
            return (filters, samples);
        var (pixels, _) = preparer.PrepareBatch(data, items);
        var h = CnnTrainer.ToDevice(Tensor.FromArray(pixels, [items.Count, 1, Info.InputSize, Info.InputSize]), device);
        for (var i = 0; i <= activationEnd; i++)
            h = module.Features[i].Forward(h);
        var (channels, side) = ((int)h.Size(1), (int)h.Size(2));
        var values = h.To(Device.Cpu).Contiguous().ToArray<float>();
        var area = side * side;
        for (var n = 0; n < items.Count; n++)
        {
            var shrunk = new List<float[]>();
            var shrunkSide = side;
            for (var c = 0; c < channels; c++)
            {
                var (map, mh, _) = ClassActivationMaps.Shrink(values.AsSpan((n * channels + c) * area, area), side, side);
                shrunk.Add(map);
                shrunkSide = mh;
            }
            var max = shrunk.Max(m => m.Length == 0 ? 0 : m.Max());
            var bytes = new byte[channels * shrunkSide * shrunkSide];
            for (var c = 0; c < channels; c++)
            {
                for (var j = 0; j < shrunk[c].Length; j++)
                    bytes[c * shrunk[c].Length + j] = max > 0 ? (byte)Math.Clamp(MathF.Round(Math.Max(0, shrunk[c][j]) / max * 255f), 0, 255) : (byte)0;
            }
            samples.Add(new ActivationSample
            {
                Item = items[n],
                TrueClass = data.Labels[items[n]],
                Channels = channels,
                Side = shrunkSide,
                Max = max,
                Values = bytes,
                Input = ClassActivationMaps.InputBytes(pixels.AsSpan(n * Info.InputSize * Info.InputSize, Info.InputSize * Info.InputSize), Info.InputSize),
            });
        }
        return (filters, samples);
    }

    // The ReLU after the last convolution of `features` (or the convolution itself when no ReLU follows).
    (int Index, string Name) LastConvolutionActivation()
    {
        var features = module.Features;
        for (var i = features.Count - 1; i >= 0; i--)
        {
            if (features[i] is not Conv2d)
                continue;
            var index = i + 1 < features.Count && features[i + 1] is ReLU ? i + 1 : i;
            return (index, $"features.{index}");
        }
        throw new InvalidOperationException($"{Info.Model}: no convolution in its features.");
    }
}
