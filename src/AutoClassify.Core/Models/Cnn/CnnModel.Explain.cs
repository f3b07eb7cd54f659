using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Cnn;

public sealed partial class CnnModel
{
    /// <summary>Longest side of a stored map or input; larger ones are averaged down by a whole factor to fit.</summary>
    public const int MaxExplanationSide = 64;

    /// <summary>
    /// Grad-CAM maps of <paramref name="targets"/>: for each image, the gradient of the target class's logit with
    /// respect to the activations after the last convolution of <c>features</c>, averaged per channel to weights, and
    /// ReLU of the weighted sum of the channels. Evaluation mode, no augmentation; the same images and weights give
    /// the same maps.
    /// </summary>
    /// <param name="data">The data set the item indices point into.</param>
    /// <param name="targets">Items with the class to explain (usually the predicted one).</param>
    public CnnExplanation GradCam(TrainingData data, IReadOnlyList<(int Item, int Class)> targets)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(targets);
        var classes = Info.ClassNames.Count;
        foreach (var (item, target) in targets)
        {
            if ((uint)target >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), target, $"Item {item}: class index outside the model's {classes} classes.");
        }
        var (layerIndex, layerName) = LastConvolutionActivation();
        var explanation = new CnnExplanation { InputSize = Info.InputSize, Layer = layerName };
        if (targets.Count == 0)
            return explanation;

        using var gate = TorchThreads.Gate.EnterScope();
        using var threadScope = new TorchThreads(threads);
        module.Eval();
        var parameters = module.Parameters().ToList();
        var wereTrainable = parameters.Select(p => p.RequiresGrad).ToList();
        // Only the activations need gradients; leaving the weights out keeps their .grad untouched.
        module.SetRequiresGrad(false);
        try
        {
            for (var start = 0; start < targets.Count; start += batchSize)
            {
                var count = Math.Min(batchSize, targets.Count - start);
                var chunk = Enumerable.Range(start, count).Select(i => targets[i]).ToList();
                var (pixels, _) = preparer.PrepareBatch(data, chunk.Select(t => t.Item).ToList());
                using var scope = DisposeScope.Begin();
                var x = CnnTrainer.ToDevice(Tensor.FromArray(pixels, [count, 1, Info.InputSize, Info.InputSize]), device);
                Tensor activations;
                using (Torch.NoGrad())
                {
                    var h = x;
                    for (var i = 0; i <= layerIndex; i++)
                        h = module.Features[i].Forward(h);
                    activations = h.Detach();
                }
                // A detached copy is a leaf, so its gradient is kept without hooks on the graph's inner nodes.
                activations.RequiresGrad = true;
                var rest = activations;
                for (var i = layerIndex + 1; i < module.Features.Count; i++)
                    rest = module.Features[i].Forward(rest);
                var logits = module.Classifier.Forward(rest);
                var oneHot = new float[count * classes];
                for (var i = 0; i < count; i++)
                    oneHot[i * classes + chunk[i].Class] = 1;
                // Items are independent in evaluation mode, so one backward pass of the summed scores gives each its own gradient.
                var score = (logits * CnnTrainer.ToDevice(Tensor.FromArray(oneHot, [count, classes]), device)).Sum();
                score.Backward();
                var gradient = activations.Grad ?? throw new InvalidOperationException("Grad-CAM: the activations received no gradient.");
                float[] cam;
                long height, width;
                using (Torch.NoGrad())
                {
                    var weights = gradient.Mean([2, 3], keepDim: true);
                    var map = (weights * activations.Detach()).Sum(1).Relu();
                    (height, width) = (map.Size(1), map.Size(2));
                    cam = (map.Device == Device.Cpu ? map : map.To(Device.Cpu)).Contiguous().ToArray<float>();
                }
                var area = (int)(height * width);
                for (var i = 0; i < count; i++)
                {
                    var (values, mh, mw) = Shrink(cam.AsSpan(i * area, area), (int)height, (int)width);
                    explanation.GradCam.Add(new GradCamMap
                    {
                        Item = chunk[i].Item,
                        TargetClass = chunk[i].Class,
                        Height = mh,
                        Width = mw,
                        Values = values,
                        Input = InputBytes(pixels.AsSpan(i * Info.InputSize * Info.InputSize, Info.InputSize * Info.InputSize)),
                    });
                }
            }
        }
        finally
        {
            for (var i = 0; i < parameters.Count; i++)
                parameters[i].RequiresGrad = wereTrainable[i];
        }
        return explanation;
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
                var (map, mh, _) = Shrink(values.AsSpan((n * channels + c) * area, area), side, side);
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
                Input = InputBytes(pixels.AsSpan(n * Info.InputSize * Info.InputSize, Info.InputSize * Info.InputSize)),
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

    // Grey bytes of one standardised input: its own minimum to maximum.
    byte[] InputBytes(ReadOnlySpan<float> pixels)
    {
        var (shrunk, side, _) = Shrink(pixels, Info.InputSize, Info.InputSize);
        float low = float.PositiveInfinity, high = float.NegativeInfinity;
        foreach (var v in shrunk)
        {
            low = Math.Min(low, v);
            high = Math.Max(high, v);
        }
        var bytes = new byte[side * side];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = high > low ? (byte)Math.Clamp(MathF.Round((shrunk[i] - low) / (high - low) * 255f), 0, 255) : (byte)128;
        return bytes;
    }

    // Averages whole blocks so the longer side is at most MaxExplanationSide (results.json stays small for large inputs).
    static (float[] Values, int Height, int Width) Shrink(ReadOnlySpan<float> values, int height, int width)
    {
        var factor = (Math.Max(height, width) + MaxExplanationSide - 1) / MaxExplanationSide;
        if (factor <= 1)
            return (values.ToArray(), height, width);
        int h = height / factor, w = width / factor;
        var result = new float[h * w];
        for (var y = 0; y < h * factor; y++)
        {
            for (var x = 0; x < w * factor; x++)
                result[y / factor * w + x / factor] += values[y * width + x];
        }
        for (var i = 0; i < result.Length; i++)
            result[i] /= factor * factor;
        return (result, h, w);
    }
}
