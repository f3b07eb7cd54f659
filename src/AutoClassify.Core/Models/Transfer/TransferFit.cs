using System.Globalization;
using AutoClassify.Dataset;
using AutoClassify.Features;
using AutoClassify.Models.Cnn;
using AutoClassify.Tensors;

namespace AutoClassify.Models.Transfer;

/// <summary>Small pieces the transfer trainers and models share.</summary>
internal static class TransferFit
{
    /// <summary>libtorch's seed while a backbone is built: fixed, not per fold.</summary>
    public const int BackboneInitSeed = 20_240_601;

    /// <summary>
    /// Opens the backbone a fit starts from: built while libtorch is seeded with <see cref="BackboneInitSeed"/> (so a
    /// randomly initialised backbone, <c>--weights none</c>, is the same network in every fold and run), then libtorch
    /// is reseeded for the fit from <paramref name="context"/>, and the backbone goes to <paramref name="device"/> in
    /// evaluation mode. The caller owns the result.
    /// </summary>
    public static IFeatureBackbone OpenBackbone(BackboneSource source, TransferOptions options, TrainingContext context, Device device, bool trainable = false)
    {
        Torch.ManualSeed(BackboneInitSeed);
        var backbone = source.Open(options, context.Log, trainable);
        try
        {
            Torch.ManualSeed(Seeds.Derive(context.Seed, "transfer-torch"));
            backbone.Network.To(device);
            backbone.Network.Eval();
            return backbone;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>Rows of equal length as an N × dimension float tensor on <paramref name="device"/>.</summary>
    public static Tensor ToTensor(IReadOnlyList<float[]> rows, int dimension, Device device)
    {
        var buffer = new float[checked(rows.Count * dimension)];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != dimension)
                throw new ArgumentException($"Feature row {i} has {rows[i].Length} values, not {dimension}.", nameof(rows));
            rows[i].CopyTo(buffer, i * dimension);
        }
        return CnnTrainer.ToDevice(Tensor.FromArray(buffer, [rows.Count, dimension]), device);
    }

    /// <summary>
    /// Training data holding only the given items, renumbered 0..n-1, with their backbone features as the feature
    /// matrix: the form the SVM arm reads.
    /// </summary>
    public static TrainingData FeatureData(TrainingData data, IReadOnlyList<int> indices, IReadOnlyList<float[]> rows)
    {
        var dimension = rows.Count == 0 ? 0 : rows[0].Length;
        var names = Enumerable.Range(0, dimension).Select(j => "f" + j.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new TrainingData
        {
            ClassNames = data.ClassNames,
            Labels = [.. indices.Select(i => data.Labels[i])],
            Features = new FeatureMatrix(names, [.. rows.Select(r => Array.ConvertAll(r, v => (double)v))]),
            Groups = data.Groups is { } groups ? [.. indices.Select(i => groups[i])] : null,
        };
    }

    /// <summary>Fails before any work when the backbone cannot be opened or the input size does not suit it.</summary>
    public static void CheckSource(string name, BackboneSource source, TransferOptions options)
    {
        source.CheckAvailable(options);
        if (source.Architecture is not null && options.InputSize is { } size && !TransferOptions.ImageNetInputSizes.Contains(size))
            throw new ArgumentException($"{name}: --input-size must be one of {string.Join(", ", TransferOptions.ImageNetInputSizes)} for an ImageNet backbone, not {size}.");
    }

    /// <summary>The info a saved model records about its backbone and input.</summary>
    public static TransferModelInfo Info(string model, IFeatureBackbone backbone, BackboneInputSpec input, IReadOnlyList<string> classNames) => new()
    {
        Model = model,
        Backbone = backbone.Name,
        LipNetSource = (backbone as LipNetBackbone)?.Info,
        ClassNames = [.. classNames],
        Channels = input.Channels,
        InputSize = input.Size,
        Normalisation = input.Normalisation.ToString(),
        InputMode = input.Mode.ToName(),
        CropMargin = input.CropMargin,
        FeatureDim = backbone.FeatureDim,
    };

    /// <summary>Facts every transfer fit reports: the backbone, where its weights came from (<see cref="BackboneOrigin"/>) and its input.</summary>
    public static void AddBackboneFacts(Dictionary<string, string> facts, string model, BackboneSource source, BackboneOrigin? origin, IFeatureBackbone backbone,
        BackboneInputSpec input)
    {
        facts["model"] = model;
        facts["backbone"] = source.ToString();
        origin?.AddTo(facts);
        facts["backbone_architecture"] = backbone.Name;
        facts["feature_dim"] = Format(backbone.FeatureDim);
        facts["input_mode"] = input.Mode.ToName();
        facts["input_size"] = Format(input.Size);
        facts["input_channels"] = Format(input.Channels);
        facts["normalisation"] = input.NormalisationName;
        if (backbone is OnnxResNet18Backbone)
        {
            facts["backbone_onnx"] = $"{MLNetResNet18.NuGetId} {MLNetResNet18.NuGetVersion}, {MLNetResNet18.NetworkFile}";
            facts["backbone_onnx_sha256"] = MLNetResNet18.NetworkSha256;
        }
    }

    /// <summary>Parameters of the named stages (a stage owns every parameter whose dotted name starts with it).</summary>
    public static List<(string Name, Tensor Tensor)> StageParameters(IFeatureBackbone backbone, IEnumerable<string> stages)
    {
        var prefixes = stages.ToList();
        return backbone.Network.NamedParameters()
            .Where(p => prefixes.Any(s => p.Name == s || p.Name.StartsWith(s + ".", StringComparison.Ordinal)))
            .ToList();
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
