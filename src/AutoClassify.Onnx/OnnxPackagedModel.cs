using System.Globalization;
using System.Text.Json;
using AutoClassify.Models.Cnn;
using AutoClassify.Packaging;
using AutoClassify.Preprocessing;
using Microsoft.ML.OnnxRuntime;

namespace AutoClassify.Onnx;

/// <summary>
/// A package's network served by ONNX Runtime: each prepared image is cut and resized on the CPU exactly as the native
/// model does (<see cref="CnnInputPreparer"/>, without its standardisation, which the graph computes), and the exported
/// graph gives the probabilities. It uses ONNX Runtime's CUDA provider when the loaded ONNX Runtime has one (the
/// <c>Gpu.Linux</c> build), its CPU provider otherwise.
/// </summary>
public sealed class OnnxPackagedModel : IPackagedModel
{
    const int BatchSize = 64;

    readonly InferenceSession session;
    readonly CnnInputPreparer preparer;
    readonly int size;

    OnnxPackagedModel(InferenceSession session, ModelPackageManifest manifest, string executionProvider)
    {
        this.session = session;
        Kind = manifest.ModelKind;
        ClassNames = manifest.ClassNames;
        Preprocessing = manifest.Preprocessing;
        ExecutionProvider = executionProvider;
        var metadata = session.ModelMetadata.CustomMetadataMap;
        string Read(string key) => metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"the ONNX model has no '{key}' metadata; export it with 'autoclassify export'");
        var classes = JsonSerializer.Deserialize<string[]>(Read(OnnxMetadata.ClassNames)) ?? [];
        if (!classes.SequenceEqual(manifest.ClassNames, StringComparer.Ordinal))
            throw new InvalidDataException($"the ONNX model's classes ({string.Join(", ", classes)}) differ from the package's ({string.Join(", ", manifest.ClassNames)})");
        size = int.Parse(Read(OnnxMetadata.InputSize), NumberStyles.None, CultureInfo.InvariantCulture);
        var margin = double.Parse(Read(OnnxMetadata.CropMargin), NumberStyles.Float, CultureInfo.InvariantCulture);
        preparer = new CnnInputPreparer(InputModes.Parse(Read(OnnxMetadata.InputMode)), size, margin) { StandardisePerImage = false };
    }

    /// <summary>Starts an ONNX Runtime session on an exported model for the package whose manifest is given.</summary>
    /// <param name="onnxModel">The serialised model (<see cref="OnnxPackageExporter.Export(LoadedModelPackage)"/>).</param>
    /// <param name="manifest">The package's manifest: kind, classes and the preprocessing before the network.</param>
    /// <param name="threads">Intra-op threads (0 = ONNX Runtime's default, all cores).</param>
    public static OnnxPackagedModel Create(byte[] onnxModel, ModelPackageManifest manifest, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        var provider = "CPUExecutionProvider";
        if (OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider", StringComparer.Ordinal))
        {
            options.AppendExecutionProvider_CUDA(0);
            provider = "CUDAExecutionProvider";
        }
        var session = new InferenceSession(onnxModel, options);
        try
        {
            return new OnnxPackagedModel(session, manifest, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public string Kind { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public PackagePreprocessing Preprocessing { get; }

    /// <summary>The ONNX Runtime provider the session runs on (<c>CPUExecutionProvider</c> or <c>CUDAExecutionProvider</c>).</summary>
    public string ExecutionProvider { get; }

    /// <summary>Side of the square network input.</summary>
    public int InputSize => size;

    /// <summary>Not supported: an ONNX-served model is never written back into a package.</summary>
    public void WritePayload(string directory) =>
        throw new NotSupportedException("A model served by ONNX Runtime is not repackaged; package the native model instead.");

    /// <inheritdoc/>
    public double[][] PredictProbabilities(IReadOnlyList<PreparedImage> images, int threads)
    {
        ArgumentNullException.ThrowIfNull(images);
        var result = new double[images.Count][];
        var area = size * size;
        for (var start = 0; start < images.Count; start += BatchSize)
        {
            var count = Math.Min(BatchSize, images.Count - start);
            var pixels = new float[count * area];
            for (var i = 0; i < count; i++)
                preparer.Prepare(images[start + i].Image, images[start + i].Mask, pixels.AsSpan(i * area, area), start + i);
            var probabilities = Run(pixels, count);
            var classes = ClassNames.Count;
            for (var i = 0; i < count; i++)
            {
                var row = new double[classes];
                for (var k = 0; k < classes; k++)
                    row[k] = probabilities[i * classes + k];
                result[start + i] = row;
            }
        }
        return result;
    }

    /// <summary>Runs the graph on <paramref name="count"/> prepared inputs (N × 1 × S × S grey pixels in 0..1); returns N × classes probabilities, row-major.</summary>
    public float[] Run(float[] pixels, int count)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != count * size * size)
            throw new ArgumentException($"Expected {count} x {size} x {size} pixels, got {pixels.Length}.", nameof(pixels));
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 1, size, size]);
        using var options = new RunOptions();
        using var outputs = session.Run(options, [OnnxMetadata.InputName], [input], [OnnxMetadata.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => session.Dispose();
}

/// <summary>Opens packages for prediction through ONNX Runtime (<c>predict --engine onnx</c>).</summary>
public static class OnnxEngine
{
    /// <summary>
    /// Opens the package, exports its network to ONNX in memory (nothing is cached: the export always matches the
    /// package) and returns it served by ONNX Runtime. The native model is released once exported.
    /// </summary>
    public static LoadedModelPackage Open(string packagePath, int threads = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packagePath);
        byte[] onnx;
        ModelPackageManifest manifest;
        string path;
        using (var native = ModelPackage.Open(packagePath))
        {
            // The exported SVM graph takes feature vectors, not images; serving it would need the native features anyway.
            if (native.Model is SvmPackagedModel)
                throw new OnnxExportException($"{native.Path}: the ONNX engine serves networks only; an {native.Manifest.ModelKind} package predicts natively (its exported graph takes the handcrafted feature vector, which ONNX cannot compute from an image)");
            onnx = OnnxPackageExporter.Export(native);
            manifest = native.Manifest;
            path = native.Path;
        }
        var model = OnnxPackagedModel.Create(onnx, manifest, threads);
        return new LoadedModelPackage(path, manifest, model);
    }
}
