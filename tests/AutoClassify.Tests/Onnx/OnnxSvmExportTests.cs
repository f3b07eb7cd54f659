using System.Text.Json;
using AutoClassify.Features;
using AutoClassify.Models;
using AutoClassify.Models.Svm;
using AutoClassify.Native;
using AutoClassify.Onnx;
using AutoClassify.Packaging;
using AutoClassify.Tests.Models;
using AutoClassify.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace AutoClassify.Tests.Onnx;

public sealed class OnnxSvmExportTests : IDisposable
{
    readonly TempDirectory temp = new("onnx-svm");
    readonly ITestOutputHelper output;

    public OnnxSvmExportTests(ITestOutputHelper output) => this.output = output;

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("svm", 3)]
    [InlineData("svm", 2)]
    [InlineData("svm-linear", 3)]
    [InlineData("svm-linear", 2)]
    [InlineData("svm", 4)]
    public void Should_give_libsvm_labels_decision_values_and_probabilities(string kind, int classes)
    {
        // Given an SVM package trained on overlapping blobs with the handcrafted features' names (a constant and a
        // stretched column among them), and rows from the blobs plus points between their centres (borderline votes)
        var data = Blobs(classes, seed: 11);
        var path = Package(kind, data);
        var rows = data.Features!.Rows.Concat(Between(data, seed: 12)).ToArray();

        // When the exported graph runs in ONNX Runtime
        var onnx = temp.File(kind + classes + ".onnx");
        OnnxPackageExporter.ExportFile(path, onnx);
        var (labels, probabilities, decisions) = Run(onnx, rows);

        // Then, against the real LIBSVM: its label is svm_predict's vote on every row, its decision values are
        // svm_predict_values' on the float32 rows it was given, and its probabilities are svm_predict_probability's within 1e-5
        using var package = ModelPackage.Open(path);
        var svm = ((SvmPackagedModel)package.Model).Model;
        using var libsvm = LoadLibSvm(svm, out var modelText);
        var pairs = classes * (classes - 1) / 2;
        Assert.Equal(pairs, decisions[0].Length);
        var worst = 0.0;
        var worstDecision = 0.0;
        var argmaxAgree = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(libsvm.Predict(svm.Standardizer.Transform(rows[i])), labels[i]);
            var expectedDecisions = new double[pairs];
            libsvm.PredictValues(svm.Standardizer.Transform([.. rows[i].Select(v => (double)(float)v)]), expectedDecisions);
            for (var p = 0; p < pairs; p++)
                worstDecision = Math.Max(worstDecision, Math.Abs(expectedDecisions[p] - decisions[i][p]) / Math.Max(1, Math.Abs(expectedDecisions[p])));
            var expected = svm.PredictProbabilities(rows[i]);
            for (var k = 0; k < classes; k++)
                worst = Math.Max(worst, Math.Abs(expected[k] - probabilities[i][k]));
            argmaxAgree += SvmModel.ArgMax(expected) == SvmModel.ArgMax([.. probabilities[i].Select(p => (double)p)]) ? 1 : 0;
        }
        output.WriteLine($"{kind}, {classes} classes, {rows.Length} rows: max |p_onnx - p_libsvm| = {worst:E3}, max relative decision-value difference {worstDecision:E3}, argmax agrees on {argmaxAgree}/{rows.Length}");
        Assert.True(worstDecision <= 1e-6, $"largest decision-value difference {worstDecision:E3} exceeds 1e-6");
        Assert.True(worst <= OnnxPackageExporter.SvmProbabilityBound, $"largest probability difference {worst:E3} exceeds {OnnxPackageExporter.SvmProbabilityBound:E0}");
        Assert.Equal(rows.Length, argmaxAgree);
        // Probabilities that were all saturated would make the comparison trivial.
        Assert.Contains(rows, row => svm.PredictProbabilities(row).Max() < 0.9);

        // And with two classes LIBSVM couples nothing: its probability is Platt's clipped sigmoid of the decision value,
        // the number the graph computes (ONNX Runtime's SVMClassifier would couple, 3.7e-3 nearer 0.5 on these rows).
        if (classes == 2)
        {
            var (a, b) = (Header(modelText, "probA"), Header(modelText, "probB"));
            foreach (var row in rows)
            {
                var decision = new double[1];
                var scaled = svm.Standardizer.Transform(row);
                libsvm.PredictValues(scaled, decision);
                var sigmoid = Math.Clamp(1 / (1 + Math.Exp(decision[0] * a + b)), 1e-7, 1 - 1e-7);
                var probability = new double[2];
                libsvm.PredictProbability(scaled, probability);
                Assert.Equal(sigmoid, probability[0], 1e-12);
            }
        }
    }

    [Fact]
    public void Should_describe_the_feature_input_and_the_probability_bound_in_the_metadata()
    {
        // Given an exported SVM package
        var path = Package("svm", Blobs(3, seed: 5));
        var onnx = temp.File("meta.onnx");
        OnnxPackageExporter.ExportFile(path, onnx);

        // Then the input is the feature vector with a dynamic batch, and the metadata names the features and the bound
        using var session = new InferenceSession(onnx);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal([-1, HandcraftedFeatures.Names.Count], session.InputMetadata[OnnxMetadata.FeaturesInputName].Dimensions);
        Assert.Equal([-1, 3], session.OutputMetadata[OnnxMetadata.OutputName].Dimensions);
        Assert.Equal(HandcraftedFeatures.Names, JsonSerializer.Deserialize<string[]>(metadata[OnnxMetadata.FeatureNames]));
        Assert.Equal("svm", metadata[OnnxMetadata.ModelKind]);
        Assert.Contains("not expressible in ONNX", metadata[OnnxMetadata.Input], StringComparison.Ordinal);
        Assert.Contains("coupled", metadata[OnnxMetadata.InGraph], StringComparison.Ordinal);
        Assert.Contains("float32", metadata[OnnxMetadata.ProbabilityParity], StringComparison.Ordinal);
        Assert.Equal([-1, 3], session.OutputMetadata[OnnxMetadata.SvmDecisionValuesName].Dimensions);
        Assert.Equal(3, JsonSerializer.Deserialize<string[][]>(metadata[OnnxMetadata.DecisionPairs])!.Length);
        Assert.Equal(OnnxPackageExporter.Sha256Hex(path), metadata[OnnxMetadata.PackageSha256]);
    }

    [Fact]
    public void Should_export_an_svm_package_from_the_command_line_and_refuse_the_onnx_engine_for_it()
    {
        // Given an SVM package trained on images
        var dataset = Packaging.PackagingTestData.WriteDataset(temp.Combine("data"), perClass: 6);
        using var trained = Packaging.PackagingTestData.Train(dataset);
        var path = temp.File("svm.acpkg");
        trained.WriteTo(path);

        // When it is exported, then the file is written
        var export = CliRunner.Run("export", path, "--onnx", temp.File("svm.onnx"));
        Assert.True(export.Code == 0, export.Err);
        Assert.True(File.Exists(temp.File("svm.onnx")));

        // And predicting with the ONNX engine exits 2 with a one-line reason instead of a stack trace
        var (code, _, err) = CliRunner.Run("predict", path, dataset, "--out", temp.File("p.csv"), "--engine", "onnx");
        Assert.Equal(2, code);
        Assert.Contains("svm", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    static TrainingData Blobs(int classes, int seed)
    {
        var dimension = HandcraftedFeatures.Names.Count;
        var blobs = SvmTestData.Blobs(count: 40 * classes, dimension, [.. Enumerable.Repeat(1.0 / classes, classes)], seed, separation: 1.5);
        return new TrainingData
        {
            ClassNames = blobs.ClassNames,
            Labels = blobs.Labels,
            Features = new FeatureMatrix([.. HandcraftedFeatures.Names], [.. blobs.Features!.Rows]),
        };
    }

    // Points on the segments between items of different classes: where votes and coupled probabilities are closest.
    static IEnumerable<double[]> Between(TrainingData data, int seed)
    {
        var random = new Random(seed);
        var rows = data.Features!.Rows.ToArray();
        for (var n = 0; n < 60; n++)
        {
            var a = random.Next(rows.Length);
            var b = random.Next(rows.Length);
            var t = random.NextDouble();
            yield return [.. rows[a].Zip(rows[b], (x, y) => x + t * (y - x))];
        }
    }

    string Package(string kind, TrainingData data)
    {
        var trainer = ModelCatalog.Create(kind, new ModelSettings { Grid = "coarse" });
        var model = trainer.Train(data, SvmTestData.All(data), new TrainingContext { Seed = 1, Threads = 2 });
        using var packaged = new SvmPackagedModel((SvmModel)model);
        var path = temp.File(kind + "-" + Guid.NewGuid().ToString("N")[..8] + ModelPackage.Extension);
        TestPackages.Write(path, packaged);
        return path;
    }

    LibSvmModel LoadLibSvm(SvmModel svm, out string modelText)
    {
        var directory = temp.Combine("libsvm-" + Guid.NewGuid().ToString("N")[..8]);
        svm.Save(directory);
        var file = Path.Combine(directory, SvmModel.LibSvmFileName);
        modelText = File.ReadAllText(file);
        return LibSvmModel.Load(file);
    }

    // A one-number line of LIBSVM's model text (probA, probB of a two-class model).
    static double Header(string modelText, string key) =>
        double.Parse(modelText.Split('\n').Single(l => l.StartsWith(key + " ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    static (long[] Labels, float[][] Probabilities, float[][] Decisions) Run(string onnx, double[][] rows)
    {
        using var session = new InferenceSession(onnx);
        var width = rows[0].Length;
        var flat = rows.SelectMany(r => r.Select(v => (float)v)).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [rows.Length, width]);
        using var options = new RunOptions();
        using var outputs = session.Run(options, [OnnxMetadata.FeaturesInputName], [input], [OnnxMetadata.SvmLabelName, OnnxMetadata.OutputName, OnnxMetadata.SvmDecisionValuesName]);
        var labels = outputs[0].GetTensorDataAsSpan<long>().ToArray();
        return (labels, Rows(outputs[1].GetTensorDataAsSpan<float>().ToArray(), rows.Length), Rows(outputs[2].GetTensorDataAsSpan<float>().ToArray(), rows.Length));

        static float[][] Rows(float[] flat, int count) => [.. Enumerable.Range(0, count).Select(i => flat.AsSpan(i * (flat.Length / count), flat.Length / count).ToArray())];
    }
}
