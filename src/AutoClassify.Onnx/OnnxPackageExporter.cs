using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using AutoClassify.IO;
using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Packaging;

namespace AutoClassify.Onnx;

/// <summary>The keys of the metadata an exported model carries (<c>metadata_props</c>), and the graph's value names.</summary>
public static class OnnxMetadata
{
    /// <summary>The graph input: N × 1 × S × S grey pixels in 0..1, the package's region resized to S × S.</summary>
    public const string InputName = "image";

    /// <summary>The graph output: N × classes probabilities (softmax).</summary>
    public const string OutputName = "probabilities";

    /// <summary>The input of an SVM graph: N × features, the handcrafted features as the package's feature set extracts them.</summary>
    public const string FeaturesInputName = "features";

    public const string ModelKind = "model_kind";

    /// <summary>JSON array of the class names, in output order.</summary>
    public const string ClassNames = "class_names";

    public const string InputSize = "input_size";

    /// <summary><c>surround</c>, <c>crop</c> or <c>crop-mask</c>: the region cut (outside the graph) before resizing.</summary>
    public const string InputMode = "input_mode";

    public const string CropMargin = "crop_margin";

    /// <summary>The package manifest's preprocessing record (JSON): crop, banner, masks, tiling, intensity mapping.</summary>
    public const string Preprocessing = "preprocessing";

    /// <summary>What the graph itself computes before the network, in words.</summary>
    public const string InGraph = "in_graph";

    /// <summary>What the caller must do before the graph, in words.</summary>
    public const string Input = "input";

    /// <summary>SHA-256 (hex) of the <c>.acpkg</c> file exported.</summary>
    public const string PackageSha256 = "package_sha256";

    /// <summary>JSON array of the feature names an SVM graph's input holds, in order.</summary>
    public const string FeatureNames = "feature_names";

    /// <summary>The second output of an SVM graph: N labels, LIBSVM's one-vs-one vote.</summary>
    public const string SvmLabelName = "label";

    /// <summary>The third output of an SVM graph: N × pairs, LIBSVM's one-vs-one decision values (<c>svm_predict_values</c>).</summary>
    public const string SvmDecisionValuesName = "decision_values";

    /// <summary>JSON array of the class pairs (first, second) of the decision values' columns; positive favours the first.</summary>
    public const string DecisionPairs = "decision_pairs";

    /// <summary>How far an SVM graph's probabilities may be from LIBSVM's, in words.</summary>
    public const string ProbabilityParity = "probability_parity";
}

/// <summary>
/// Exports a model package as an ONNX model (opset 17, dynamic batch): the network written from its C# module tree,
/// the pixel normalisation inside the graph (per-image standardisation, grey to three channels, ImageNet statistics)
/// and a softmax at the end; class names, input size, preprocessing and the package's hash in the metadata. Cutting
/// and resizing the image region stays outside (OpenCV's area resampling has no ONNX equivalent).
/// </summary>
public static partial class OnnxPackageExporter
{
    /// <summary>The ONNX operator set of every exported model.</summary>
    public const int Opset = OnnxGraph.Opset;

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Opens the package at <paramref name="packagePath"/>, exports it and writes the model to <paramref name="onnxPath"/> atomically.</summary>
    /// <returns>The model's size in bytes.</returns>
    public static long ExportFile(string packagePath, string onnxPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packagePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        using var package = ModelPackage.Open(packagePath);
        var bytes = Export(package);
        AtomicFile.WriteAllBytes(onnxPath, bytes);
        return bytes.LongLength;
    }

    /// <summary>The serialised ONNX model of an opened package (its file is hashed for the metadata).</summary>
    public static byte[] Export(LoadedModelPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return Export(package, Sha256Hex(package.Path));
    }

    /// <summary>The serialised ONNX model of an opened package whose file hash is known.</summary>
    public static byte[] Export(LoadedModelPackage package, string packageSha256)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentException.ThrowIfNullOrWhiteSpace(packageSha256);
        try
        {
            return package.Model switch
            {
                CnnPackagedModel cnn => ExportCnn(cnn, package.Manifest, packageSha256),
                TransferPackagedModel transfer => ExportTransfer(transfer, package.Manifest, packageSha256),
                SvmPackagedModel svm => ExportSvm(svm, package.Manifest, packageSha256),
                var other => throw new OnnxExportException(
                    $"a {other.Kind} model cannot be exported to ONNX: the exporter writes the CNN (LipNet), transfer (frozen and fine-tuned) and SVM packages"),
            };
        }
        catch (OnnxExportException e)
        {
            throw new OnnxExportException($"{package.Path}: {e.Message}.", e);
        }
    }

    static byte[] ExportCnn(CnnPackagedModel packaged, ModelPackageManifest manifest, string sha)
    {
        var info = packaged.Model.Info;
        if (info.Normalisation != CnnModelInfo.PerImageNormalisation)
            throw new OnnxExportException($"the CNN's normalisation '{info.Normalisation}' is not one the exporter knows");
        var graph = new OnnxGraph { Name = info.Model };
        var image = ImageInput(graph, info.InputSize);
        var normalised = StandardisePerImage(graph, image);
        var logits = new ModuleGraphWriter(graph).Write(packaged.Model.Network, normalised, "");
        Finish(graph, logits, info.ClassNames.Count);
        var metadata = Metadata(manifest, sha);
        AddImageMetadata(metadata, info.InputMode, info.InputSize, info.CropMargin, "per-image standardisation (zero mean, unit SD; an SD below 1e-6 only removes the mean), the network, softmax");
        return graph.ToModel(metadata, ProducerVersion, $"{info.Model} exported from {manifest.ModelKind} package {sha}");
    }

    static byte[] ExportTransfer(TransferPackagedModel packaged, ModelPackageManifest manifest, string sha)
    {
        var model = packaged.Model;
        var info = model.Info;
        var spec = info.ToInputSpec();
        var graph = new OnnxGraph { Name = info.Model };
        var image = ImageInput(graph, info.InputSize);
        string networkInput;
        string inGraph;
        if (spec.Normalisation == PixelNormalisation.ImageNet)
        {
            if (spec.Channels != 3)
                throw new OnnxExportException($"ImageNet normalisation of {spec.Channels} channel(s) is not a configuration the exporter knows");
            // Subtracting a 1 × 3 × 1 × 1 mean from one grey channel broadcasts it to three, as ImageNetInput does natively.
            var mean = graph.AddInitializer("imagenet_mean", [1, 3, 1, 1], ImageNetInput.Mean.ToArray());
            var std = graph.AddInitializer("imagenet_std", [1, 3, 1, 1], ImageNetInput.Std.ToArray());
            var centred = graph.Node("Sub", [image, mean], "imagenet_centred");
            networkInput = graph.Node("Div", [centred, std], "imagenet_normalised");
            inGraph = "grey replicated to 3 channels with ImageNet mean and SD per channel, the backbone, the head's feature scaling and linear layer, softmax";
        }
        else
        {
            networkInput = StandardisePerImage(graph, image);
            if (spec.Channels > 1)
                networkInput = graph.Node("Concat", [.. Enumerable.Repeat(networkInput, spec.Channels)], "replicated", OnnxAttribute.Int("axis", 1));
            inGraph = "per-image standardisation" + (spec.Channels > 1 ? $", grey replicated to {spec.Channels} channels" : "") +
                ", the backbone, the head's feature scaling and linear layer, softmax";
        }
        var writer = new ModuleGraphWriter(graph);
        var features = writer.WriteFeatures(model.Backbone, networkInput, "backbone");
        var logits = writer.Write(model.Head, features, "head");
        Finish(graph, logits, info.ClassNames.Count);
        var metadata = Metadata(manifest, sha);
        AddImageMetadata(metadata, info.InputMode, info.InputSize, info.CropMargin, inGraph);
        return graph.ToModel(metadata, ProducerVersion, $"{info.Model} ({info.Backbone} backbone) exported from package {sha}");
    }

    static string ImageInput(OnnxGraph graph, int size) =>
        graph.AddInput(OnnxMetadata.InputName, OnnxElementType.Float, [null, 1, size, size]);

    /// <summary>
    /// The CNN arm's rule (<see cref="CnnInputPreparer"/>): each image to zero mean and unit SD, a flat image only loses
    /// its mean. Computed in double, as natively: float sums over thousands of pixels drift enough to turn a flat image's
    /// rounding residue into an SD above the floor, which would blow it up to ±1 instead of 0.
    /// </summary>
    static string StandardisePerImage(OnnxGraph graph, string image)
    {
        var axes = OnnxAttribute.IntList("axes", 1, 2, 3);
        var wide = graph.Node("Cast", [image], "image_double", OnnxAttribute.Int("to", (long)OnnxElementType.Double));
        var mean = graph.Node("ReduceMean", [wide], "image_mean", axes, OnnxAttribute.Int("keepdims", 1));
        var centred = graph.Node("Sub", [wide, mean], "image_centred");
        var squared = graph.Node("Mul", [centred, centred], "image_squared");
        var variance = graph.Node("ReduceMean", [squared], "image_variance", axes, OnnxAttribute.Int("keepdims", 1));
        var sd = graph.Node("Sqrt", [variance], "image_sd");
        var usable = graph.Node("Greater", [sd, graph.Scalar("sd_floor", 1e-6)], "image_sd_usable");
        var inverse = graph.Node("Reciprocal", [sd], "image_inverse_sd");
        var scale = graph.Node("Where", [usable, inverse, graph.Scalar("one", 1.0)], "image_scale");
        var standardised = graph.Node("Mul", [centred, scale], "image_standardised_double");
        return graph.Node("Cast", [standardised], "image_standardised", OnnxAttribute.Int("to", (long)OnnxElementType.Float));
    }

    static void Finish(OnnxGraph graph, string logits, int classes)
    {
        var probabilities = graph.Node("Softmax", [logits], OnnxMetadata.OutputName, OnnxAttribute.Int("axis", 1));
        if (probabilities != OnnxMetadata.OutputName)
            throw new InvalidOperationException($"The output name '{OnnxMetadata.OutputName}' was taken inside the graph.");
        graph.AddOutput(probabilities, OnnxElementType.Float, [null, classes]);
    }

    internal static Dictionary<string, string> Metadata(ModelPackageManifest manifest, string sha) => new(StringComparer.Ordinal)
    {
        [OnnxMetadata.ModelKind] = manifest.ModelKind,
        [OnnxMetadata.ClassNames] = JsonSerializer.Serialize(manifest.ClassNames, Json),
        [OnnxMetadata.Preprocessing] = JsonSerializer.Serialize(manifest.Preprocessing, Json),
        [OnnxMetadata.PackageSha256] = sha,
    };

    static void AddImageMetadata(Dictionary<string, string> metadata, string inputMode, int inputSize, double cropMargin, string inGraph)
    {
        metadata[OnnxMetadata.InputSize] = inputSize.ToString(CultureInfo.InvariantCulture);
        metadata[OnnxMetadata.InputMode] = inputMode;
        metadata[OnnxMetadata.CropMargin] = cropMargin.ToString("R", CultureInfo.InvariantCulture);
        metadata[OnnxMetadata.InGraph] = inGraph;
        metadata[OnnxMetadata.Input] = string.Create(CultureInfo.InvariantCulture,
            $"{OnnxMetadata.InputName}: float32 N x 1 x {inputSize} x {inputSize}, grey pixels in 0..1: the '{inputMode}' region of the prepared image (see preprocessing) resized to {inputSize} x {inputSize} with OpenCV (area when shrinking, bilinear when enlarging)");
    }

    internal static string ProducerVersion =>
        typeof(OnnxPackageExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>SHA-256 of a file as lower-case hex.</summary>
    public static string Sha256Hex(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
