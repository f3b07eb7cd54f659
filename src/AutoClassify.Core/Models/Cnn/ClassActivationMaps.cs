using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Models.Cnn;

/// <summary>A trained convolutional network that can show where in an image the evidence for a class lay.</summary>
public interface IGradCamModel
{
    /// <summary>
    /// Class activation maps of <paramref name="targets"/> (see <see cref="GradCamMap"/>), in evaluation mode and
    /// without augmentation, so the same images and weights give the same maps.
    /// </summary>
    /// <param name="data">The data set the item indices point into.</param>
    /// <param name="targets">Items with the class to explain (usually the predicted one).</param>
    CnnExplanation GradCam(TrainingData data, IReadOnlyList<(int Item, int Class)> targets);
}

/// <summary>
/// The map computation shared by the LipNets and the transfer models: HiResCAM (Draelos and Carin, 2020), the
/// Grad-CAM variant that multiplies gradient and activation at every location before summing the channels. For a
/// network ending in global average pooling and a linear layer it equals Grad-CAM; for a dense layer over the
/// flattened maps (LipNet-1, -2, -4, -6) Grad-CAM's per-channel mean of the gradient would discard where a channel
/// counts for which class (left versus right of the image), which HiResCAM keeps.
/// </summary>
internal static class ClassActivationMaps
{
    /// <summary>How a network is cut for the maps.</summary>
    /// <param name="Layer">The explained layer's parameter-style name.</param>
    /// <param name="Modules">Every module whose weights the computation must leave untouched.</param>
    /// <param name="Prepare">The network input of some items, with their grey pixels (row-major squares of <c>GreySide</c>) for the stored picture.</param>
    /// <param name="ToLayer">Input to the explained layer's activations (N × C × h × w).</param>
    /// <param name="ToLogits">Those activations to the logits (N × classes).</param>
    internal sealed record Cut(
        string Layer,
        IReadOnlyList<Module> Modules,
        Func<IReadOnlyList<int>, (Tensor Input, float[] Grey, int GreySide)> Prepare,
        Func<Tensor, Tensor> ToLayer,
        Func<Tensor, Tensor> ToLogits);

    /// <summary>Refuses a null target list or a class index outside the model's <paramref name="classes"/> classes.</summary>
    internal static void CheckTargets(IReadOnlyList<(int Item, int Class)> targets, int classes)
    {
        ArgumentNullException.ThrowIfNull(targets);
        foreach (var (item, target) in targets)
        {
            if ((uint)target >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), target, $"Item {item}: class index outside the model's {classes} classes.");
        }
    }

    /// <summary>
    /// The maps of <paramref name="targets"/>, <paramref name="batchSize"/> images at a time. The caller holds the
    /// torch gate and has put the modules in evaluation mode.
    /// </summary>
    internal static List<GradCamMap> Compute(Cut cut, IReadOnlyList<(int Item, int Class)> targets, int classes, int batchSize, Device device)
    {
        var maps = new List<GradCamMap>();
        var parameters = cut.Modules.SelectMany(m => m.Parameters()).ToList();
        var wereTrainable = parameters.Select(p => p.RequiresGrad).ToList();
        // Only the activations need gradients; leaving the weights out keeps their .grad untouched.
        foreach (var p in parameters)
            p.RequiresGrad = false;
        try
        {
            for (var start = 0; start < targets.Count; start += batchSize)
            {
                var count = Math.Min(batchSize, targets.Count - start);
                var chunk = Enumerable.Range(start, count).Select(i => targets[i]).ToList();
                using var scope = DisposeScope.Begin();
                var (x, grey, greySide) = cut.Prepare([.. chunk.Select(t => t.Item)]);
                Tensor activations;
                using (Torch.NoGrad())
                    activations = cut.ToLayer(x).Detach();
                // A detached copy is a leaf, so its gradient is kept without hooks on the graph's inner nodes.
                activations.RequiresGrad = true;
                var logits = cut.ToLogits(activations);
                var oneHot = new float[count * classes];
                for (var i = 0; i < count; i++)
                    oneHot[i * classes + chunk[i].Class] = 1;
                // Items are independent in evaluation mode, so one backward pass of the summed scores gives each its own gradient.
                var picked = logits * CnnTrainer.ToDevice(Tensor.FromArray(oneHot, [count, classes]), device);
                picked.Sum().Backward();
                var gradient = activations.Grad ?? throw new InvalidOperationException("Grad-CAM: the activations received no gradient.");
                float[] cam, scores;
                long height, width;
                using (Torch.NoGrad())
                {
                    var map = (gradient * activations.Detach()).Sum(1);
                    (height, width) = (map.Size(1), map.Size(2));
                    cam = ToCpu(map);
                    scores = ToCpu(picked.Detach().Sum(1));
                }
                var area = (int)(height * width);
                var greyArea = greySide * greySide;
                for (var i = 0; i < count; i++)
                {
                    var total = 0f;
                    foreach (var v in cam.AsSpan(i * area, area))
                        total += v;
                    var (values, mh, mw) = Shrink(cam.AsSpan(i * area, area), (int)height, (int)width);
                    for (var j = 0; j < values.Length; j++)
                        values[j] = Math.Max(0, values[j]);
                    maps.Add(new GradCamMap
                    {
                        Item = chunk[i].Item,
                        TargetClass = chunk[i].Class,
                        Height = mh,
                        Width = mw,
                        Values = values,
                        Input = InputBytes(grey.AsSpan(i * greyArea, greyArea), greySide),
                        Logit = scores[i],
                        Total = total,
                    });
                }
            }
        }
        finally
        {
            for (var i = 0; i < parameters.Count; i++)
                parameters[i].RequiresGrad = wereTrainable[i];
        }
        return maps;
    }

    static float[] ToCpu(Tensor tensor) => (tensor.Device == Device.Cpu ? tensor : tensor.To(Device.Cpu)).Contiguous().ToArray<float>();

    /// <summary>Grey bytes of one prepared input: its own minimum to maximum.</summary>
    internal static byte[] InputBytes(ReadOnlySpan<float> pixels, int side)
    {
        var (shrunk, shrunkSide, _) = Shrink(pixels, side, side);
        float low = float.PositiveInfinity, high = float.NegativeInfinity;
        foreach (var v in shrunk)
        {
            low = Math.Min(low, v);
            high = Math.Max(high, v);
        }
        var bytes = new byte[shrunkSide * shrunkSide];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = high > low ? (byte)Math.Clamp(MathF.Round((shrunk[i] - low) / (high - low) * 255f), 0, 255) : (byte)128;
        return bytes;
    }

    /// <summary>Averages whole blocks so the longer side is at most <see cref="CnnModel.MaxExplanationSide"/> (results.json stays small for large inputs).</summary>
    internal static (float[] Values, int Height, int Width) Shrink(ReadOnlySpan<float> values, int height, int width)
    {
        var factor = (Math.Max(height, width) + CnnModel.MaxExplanationSide - 1) / CnnModel.MaxExplanationSide;
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
