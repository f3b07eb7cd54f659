using AutoClassify.Models.Cnn;
using AutoClassify.Onnx;
using AutoClassify.Packaging;
using AutoClassify.Tensors.NN;
using AutoClassify.Tests.Packaging;
using AutoClassify.Tests.Support;
using AutoClassify.Tests.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace AutoClassify.Tests.Onnx;

[Collection(TorchTests.Name)]
public sealed class OnnxExportTests : IDisposable
{
    const double Tolerance = 1e-5;

    readonly TempDirectory temp = new("onnx");

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("lipnet1", 28, InputMode.Crop)]
    [InlineData("lipnet2", 28, InputMode.Surround)]
    [InlineData("lipnet4", 28, InputMode.CropMask)]
    [InlineData("lipnet4", 64, InputMode.Crop)]
    [InlineData("lipnet4c", 28, InputMode.Crop)]
    [InlineData("lipnet6", 32, InputMode.Surround)]
    public void Should_give_the_native_probabilities_through_onnx_runtime_for_every_lipnet(string kind, int size, InputMode mode)
    {
        // Given a packaged LipNet and generated images (shapes with masks, a flat image, one smaller than the input)
        var path = OnnxTestPackages.Cnn(temp.Path, kind, size, mode);

        // Then the exported graph run by ONNX Runtime gives the native probabilities to 1e-5
        AssertParity(path);
    }

    [Theory]
    [InlineData("resnet18-finetune", "resnet18", 64, 0.6)]
    [InlineData("resnet50-frozen", "resnet50", 32, 0.6)]
    [InlineData("mobilenet_v2-finetune", "mobilenet_v2", 64, 1.0)]
    public void Should_give_the_native_probabilities_through_onnx_runtime_for_imagenet_transfer_models(string model, string backbone, int size, double batchNormGain)
    {
        // Given a transfer package on a torchvision architecture (grey replicated, ImageNet statistics, head scaling)
        var path = OnnxTestPackages.Transfer(temp.Path, model, backbone, size, batchNormGain: batchNormGain);

        // Then ONNX Runtime's probabilities equal the native ones to 1e-5
        AssertParity(path);
    }

    [Theory]
    [InlineData("lipnet4", 28)]
    [InlineData("lipnet2", 28)]
    [InlineData("lipnet4c", 28)]
    public void Should_give_the_native_probabilities_through_onnx_runtime_for_lipnet_backbones(string lipNet, int size)
    {
        // Given a fine-tuned LipNet backbone (cut before its last layer, per-image standardisation) with a new head
        var source = new CnnModelInfo { Model = lipNet, ClassNames = ["a", "b"], InputMode = "crop", InputSize = size };
        var path = OnnxTestPackages.Transfer(temp.Path, "lipnet-backbone-finetune", lipNet, size, source);

        // Then ONNX Runtime's probabilities equal the native ones to 1e-5
        AssertParity(path);
    }

    [Fact]
    public void Should_record_classes_input_preprocessing_and_package_hash_and_take_any_batch_size()
    {
        // Given an exported LipNet-4 package
        var path = OnnxTestPackages.Cnn(temp.Path, "lipnet4", 28);
        var onnx = temp.File("lipnet4.onnx");
        OnnxPackageExporter.ExportFile(path, onnx);

        // When ONNX Runtime opens the file
        using var session = new InferenceSession(onnx);
        var metadata = session.ModelMetadata.CustomMetadataMap;

        // Then the metadata says what the model is and how to feed it
        Assert.Equal("lipnet4", metadata[OnnxMetadata.ModelKind]);
        Assert.Equal("[\"disk\",\"ring\",\"square\"]", metadata[OnnxMetadata.ClassNames]);
        Assert.Equal("28", metadata[OnnxMetadata.InputSize]);
        Assert.Equal("crop", metadata[OnnxMetadata.InputMode]);
        Assert.Contains("per-image standardisation", metadata[OnnxMetadata.InGraph], StringComparison.Ordinal);
        Assert.Contains("\"input_mode\":\"crop\"", metadata[OnnxMetadata.Preprocessing], StringComparison.Ordinal);
        Assert.Equal(OnnxPackageExporter.Sha256Hex(path), metadata[OnnxMetadata.PackageSha256]);
        Assert.Equal("AutoClassify", session.ModelMetadata.ProducerName);

        // And the batch dimension is dynamic: one image and seven give the same per-image answers
        Assert.Equal([-1, 1, 28, 28], session.InputMetadata[OnnxMetadata.InputName].Dimensions);
        Assert.Equal([-1, 3], session.OutputMetadata[OnnxMetadata.OutputName].Dimensions);
        var random = new Random(1);
        var pixels = Enumerable.Range(0, 7 * 28 * 28).Select(_ => (float)random.NextDouble()).ToArray();
        var seven = Run(session, pixels, 7);
        var one = Run(session, pixels[(3 * 784)..(4 * 784)], 1);
        Assert.Equal(21, seven.Length);
        for (var k = 0; k < 3; k++)
            Assert.Equal(seven[9 + k], one[k], 6);
    }

    [Fact]
    public void Should_run_the_exported_file_in_an_mlnet_pipeline_with_apply_onnx_model()
    {
        // Given an exported LipNet-4 and the inputs the native model sees
        var path = OnnxTestPackages.Cnn(temp.Path, "lipnet4", 28);
        var onnx = temp.File("ml.onnx");
        OnnxPackageExporter.ExportFile(path, onnx);
        var images = OnnxTestPackages.Images();
        using var package = ModelPackage.Open(path);
        var expected = package.Model.PredictProbabilities(images, 2);
        var preparer = new CnnInputPreparer(InputMode.Crop, 28) { StandardisePerImage = false };
        var rows = images.Select(image =>
        {
            var pixels = new float[28 * 28];
            preparer.Prepare(image.Image, image.Mask, pixels);
            return new ImageRow { Image = pixels };
        }).ToList();

        // When ML.NET's ApplyOnnxModel scores them
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var transformer = ml.Transforms.ApplyOnnxModel([OnnxMetadata.OutputName], [OnnxMetadata.InputName], onnx).Fit(data);
        var scored = transformer.Transform(data).GetColumn<float[]>(OnnxMetadata.OutputName).ToList();
        (transformer as IDisposable)?.Dispose();

        // Then every row holds the native probabilities
        Assert.Equal(images.Count, scored.Count);
        for (var i = 0; i < images.Count; i++)
        {
            for (var k = 0; k < 3; k++)
                Assert.InRange(Math.Abs(scored[i][k] - expected[i][k]), 0, Tolerance);
        }
    }

    [Fact]
    public void Should_refuse_a_module_it_does_not_know_naming_its_path()
    {
        // Given a network holding a module the exporter has no rule for
        using var network = new Sequential(new Conv2d(1, 2, 3), new ReLU(), new Sequential(new Flatten(), new Mystery()));
        var graph = new OnnxGraph();
        var input = graph.AddInput("x", OnnxElementType.Float, [null, 1, 8, 8]);

        // When it is written, then the error names the module and its type, and nothing is produced
        var error = Assert.Throws<OnnxExportException>(() => new ModuleGraphWriter(graph).Write(network, input, ""));
        Assert.Contains("'2.1'", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Mystery), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_settings_onnx_computes_differently()
    {
        // Given a ceil-mode pooling, a partial flatten and a 2x2 adaptive pooling
        var graph = new OnnxGraph();
        var input = graph.AddInput("x", OnnxElementType.Float, [null, 1, 8, 8]);
        var writer = new ModuleGraphWriter(graph);
        using var ceil = new MaxPool2d(2, ceilMode: true);
        using var partial = new Flatten(2);
        using var adaptive = new AdaptiveAvgPool2d(2, 2);

        // Then each is refused by name rather than exported approximately
        Assert.Contains("ceil mode", Assert.Throws<OnnxExportException>(() => writer.Write(ceil, input, "pool")).Message, StringComparison.Ordinal);
        Assert.Contains("'flat'", Assert.Throws<OnnxExportException>(() => writer.Write(partial, input, "flat")).Message, StringComparison.Ordinal);
        Assert.Contains("2x2", Assert.Throws<OnnxExportException>(() => writer.Write(adaptive, input, "gap")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_export_and_predict_from_the_command_line_like_the_native_engine()
    {
        // Given a LipNet-4c package and a folder of PNG images
        var path = OnnxTestPackages.Cnn(temp.Path, "lipnet4c", 28);
        var images = temp.Combine("images");
        TestImages.WriteClass(images, "any", 4, size: 36, seed: 2);

        // When it is exported and both engines predict
        var export = CliRunner.Run("export", path, "--onnx", temp.File("cli.onnx"));
        var native = CliRunner.Run("predict", path, images, "--out", temp.File("native.csv"));
        var onnx = CliRunner.Run("predict", path, images, "--out", temp.File("onnx.csv"), "--engine", "onnx");

        // Then all succeed and the CSVs agree to 1e-5
        Assert.True(export.Code == 0, export.Err);
        Assert.True(File.Exists(temp.File("cli.onnx")));
        Assert.True(native.Code == 0, native.Err);
        Assert.True(onnx.Code == 0, onnx.Err);
        var a = File.ReadAllLines(temp.File("native.csv"));
        var b = File.ReadAllLines(temp.File("onnx.csv"));
        Assert.Equal(5, a.Length);
        Assert.Equal(a[0], b[0]);
        for (var i = 1; i < a.Length; i++)
        {
            var left = a[i].Split(',');
            var right = b[i].Split(',');
            Assert.Equal(left[0], right[0]);
            Assert.Equal(left[1], right[1]);
            for (var k = 2; k < 5; k++)
                Assert.InRange(Math.Abs(double.Parse(left[k], System.Globalization.CultureInfo.InvariantCulture) - double.Parse(right[k], System.Globalization.CultureInfo.InvariantCulture)), 0, Tolerance);
        }
    }

    static void AssertParity(string packagePath)
    {
        var images = OnnxTestPackages.Images();
        double[][] expected;
        using (var native = ModelPackage.Open(packagePath))
            expected = native.Model.PredictProbabilities(images, 2);
        using var onnx = OnnxEngine.Open(packagePath, threads: 2);
        var actual = onnx.Model.PredictProbabilities(images, 2);
        var worst = Probabilities.MaxDifference(expected, actual);
        Assert.True(worst <= Tolerance, $"largest difference {worst:E2} exceeds {Tolerance:E0}");
        // Saturated probabilities, or the same answer for every image, would make the comparison trivial.
        Assert.Contains(expected, row => row.Max() < 0.999);
        Assert.Contains(expected, row => Math.Abs(row[0] - expected[0][0]) > 1e-4);
    }

    static float[] Run(InferenceSession session, float[] pixels, int count)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 1, 28, 28]);
        using var options = new RunOptions();
        using var outputs = session.Run(options, [OnnxMetadata.InputName], [input], [OnnxMetadata.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    sealed class Mystery : Module
    {
        public override AutoClassify.Tensors.Tensor Forward(AutoClassify.Tensors.Tensor input) => input;
    }

    sealed class ImageRow
    {
        [ColumnName(OnnxMetadata.InputName)]
        [VectorType(1, 28, 28)]
        public float[] Image { get; set; } = [];
    }
}
