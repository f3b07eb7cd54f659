using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// Runs a frozen backbone over images in evaluation mode, without autograd and in batches, and returns one pooled
/// feature vector per image, taking what it can from a <see cref="FeatureCache"/> and storing what it computes.
/// Draw 0 is the plain image; draw d ≥ 1 is an affine augmentation of it seeded by the image's content and d, so
/// the same draw of the same image is the same in every fold and every run (and hits the cache).
/// The caller holds libtorch's thread gate.
/// </summary>
public sealed class FeatureExtractor
{
    readonly IFeatureBackbone backbone;
    readonly BackboneInputPreparer preparer;
    readonly FeatureCache cache;
    readonly AugmentationOptions augmentation;
    readonly Device device;
    readonly int batchSize;
    long extracted;

    /// <param name="backbone">The network; it is switched to evaluation mode and never changed.</param>
    /// <param name="input">How images are prepared for it.</param>
    /// <param name="cache">Where features are looked up and stored.</param>
    /// <param name="augmentation">Transforms of the draws d ≥ 1.</param>
    /// <param name="device">Where the backbone lives.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public FeatureExtractor(IFeatureBackbone backbone, BackboneInputSpec input, FeatureCache cache, AugmentationOptions augmentation, Device device, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(augmentation);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.backbone = backbone;
        this.cache = cache;
        this.augmentation = augmentation;
        this.device = device;
        this.batchSize = batchSize;
        preparer = new BackboneInputPreparer(input);
        Identity = FeatureKeys.BackboneIdentity(backbone);
    }

    /// <summary>Name and weights hash of the backbone, as in every key.</summary>
    public string Identity { get; }

    public BackboneInputSpec Input => preparer.Spec;

    /// <summary>Images this extractor ran through the backbone (cache misses).</summary>
    public long Extracted => Interlocked.Read(ref extracted);

    /// <summary>Items that needed a mask for their region but had none, so the whole image was used.</summary>
    public int MaskFallbacks { get; private set; }

    /// <summary>The feature vector of every requested item for one draw (0 = no augmentation).</summary>
    public float[][] Extract(TrainingData data, IReadOnlyList<int> indices, int draw = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfNegative(draw);
        var images = data.Images ?? throw new ArgumentException("Backbone features need images, but the training data holds none.", nameof(data));
        if (draw > 0 && augmentation.IsNone)
            throw new ArgumentException("Augmented draws need an augmentation (it is 'none').", nameof(draw));
        var augmentationKey = draw == 0 ? "none" : AugmentationKey(augmentation, draw);
        var result = new float[indices.Count][];
        var missing = new List<(int Row, string Key)>();
        for (var row = 0; row < indices.Count; row++)
        {
            var item = indices[row];
            if (item < 0 || item >= images.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), item, $"Item index outside the {images.Count} images.");
            var key = FeatureKeys.Compute(Identity, Input, images[item], MaskOf(data, item), augmentationKey);
            if (cache.TryGet(key, backbone.FeatureDim, out var features))
                result[row] = features;
            else
                missing.Add((row, key));
        }
        if (missing.Count == 0)
            return result;

        backbone.Network.Eval();
        using var noGrad = Torch.NoGrad();
        for (var start = 0; start < missing.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = missing.Skip(start).Take(batchSize).ToArray();
            var items = chunk.Select(m => indices[m.Row]).ToArray();
            var (pixels, fallbacks) = preparer.PrepareGrey(data, items);
            MaskFallbacks += fallbacks;
            using var scope = DisposeScope.Begin();
            var grey = CnnTrainer.ToDevice(Tensor.FromArray(pixels, [items.Length, 1, Input.Size, Input.Size]), device);
            var x = preparer.ToNetworkInput(grey);
            if (draw > 0)
                x = CnnTrainer.Augment(x, Thetas(images, items, draw));
            var output = backbone.Features(x);
            var values = (output.Device == Device.Cpu ? output : output.To(Device.Cpu)).ToFloatArray();
            var dimension = backbone.FeatureDim;
            if (values.Length != items.Length * dimension)
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Backbone {backbone.Name} returned {values.Length} values for {items.Length} images; expected {dimension} features each."));
            for (var i = 0; i < chunk.Length; i++)
            {
                var features = values.AsSpan(i * dimension, dimension).ToArray();
                if (!features.All(float.IsFinite))
                    throw new InvalidOperationException($"Backbone {backbone.Name} gave non-finite features for item {items[i]}.");
                cache.Put(chunk[i].Key, features);
                result[chunk[i].Row] = features;
            }
            Interlocked.Add(ref extracted, chunk.Length);
        }
        return result;
    }

    float[] Thetas(IReadOnlyList<Imaging.GrayImage> images, int[] items, int draw)
    {
        var thetas = new float[items.Length * 6];
        for (var i = 0; i < items.Length; i++)
        {
            var hash = FeatureKeys.ImageHash(images[items[i]]);
            var imageSeed = int.Parse(hash.AsSpan(0, 7), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            new AffineAugmenter(augmentation, Seeds.Derive(imageSeed, "frozen-augment", draw)).Draw().ToTheta(Input.Size, Input.Size).CopyTo(thetas, i * 6);
        }
        return thetas;
    }

    static Imaging.BinaryMask? MaskOf(TrainingData data, int item) =>
        data.Masks is { } masks && item < masks.Count ? masks[item] : null;

    /// <summary>Every strength of the augmentation and the draw number, for cache keys.</summary>
    internal static string AugmentationKey(AugmentationOptions options, int draw) => string.Create(CultureInfo.InvariantCulture,
        $"rot={(options.Rotate ? options.MaxRotationDegrees : 0):R};shear={(options.Shear ? options.MaxShear : 0):R};" +
        $"shift={(options.Shift ? options.MaxShiftFraction : 0):R};zoom={(options.Zoom ? options.MinZoom : 1):R}-{(options.Zoom ? options.MaxZoom : 1):R};" +
        $"hflip={options.FlipHorizontal};vflip={options.FlipVertical};p={options.FlipProbability:R}#{draw}");
}
