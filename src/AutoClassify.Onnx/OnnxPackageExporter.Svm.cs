using System.Globalization;
using System.Text.Json;
using AutoClassify.Models.Svm;
using AutoClassify.Packaging;

namespace AutoClassify.Onnx;

public static partial class OnnxPackageExporter
{
    /// <summary>
    /// How far ONNX Runtime's SVM probabilities may be from LIBSVM's (<c>-b 1</c>): both run Wu, Lin and Weng's pairwise
    /// coupling, ONNX Runtime in float32 on float32 support vectors, and the coupling's loose stopping rule (0.005 / classes)
    /// then stops at different iterates. The parity tests measured 3.7e-3 with two classes and 1.6e-6 with three or four;
    /// this bound, not the CNNs' 1e-5, is what the metadata states.
    /// </summary>
    public const double SvmProbabilityBound = 5e-3;

    /// <summary>
    /// An SVM package as the standardizer (Sub, Mul) and ONNX-ML's <c>SVMClassifier</c> with LIBSVM's support vectors,
    /// coefficients, constants and Platt coefficients, its probabilities put in class order (a class LIBSVM never saw
    /// gets 0) and divided by their sum, as the native model does. The input is the feature vector: extracting the
    /// handcrafted features from an image is not expressible in ONNX.
    /// </summary>
    static byte[] ExportSvm(SvmPackagedModel packaged, ModelPackageManifest manifest, string sha)
    {
        var svm = packaged.Model;
        var dimension = svm.FeatureNames.Count;
        var text = LibSvmModelText.Parse(LibSvmText(svm), dimension);
        var graph = new OnnxGraph { Name = packaged.Kind };
        var features = graph.AddInput(OnnxMetadata.FeaturesInputName, OnnxElementType.Float, [null, dimension]);

        // A constant feature (SD 0) scales to 0 natively; multiplying by 0 does the same without dividing by it.
        var means = svm.Standardizer.Means.Select(m => (float)m).ToArray();
        var scales = svm.Standardizer.StandardDeviations.Select(sd => sd == 0 ? 0f : (float)(1 / sd)).ToArray();
        var centred = graph.Node("Sub", [features, graph.AddInitializer("feature_means", [dimension], means)], "features_centred");
        var scaled = graph.Node("Mul", [centred, graph.AddInitializer("feature_scales", [dimension], scales)], "features_scaled");

        // ONNX Runtime adds rho where LIBSVM subtracts it.
        var outputs = graph.Node("SVMClassifier", OnnxGraph.MLDomain, [scaled], ["svm_label", "svm_probabilities"],
            OnnxAttribute.IntList("classlabels_ints", [.. text.Labels.Select(l => (long)l)]),
            OnnxAttribute.String("kernel_type", text.Kernel),
            OnnxAttribute.FloatList("kernel_params", [(float)text.Gamma, 0f, 3f]),
            OnnxAttribute.IntList("vectors_per_class", [.. text.SupportVectorsPerClass.Select(n => (long)n)]),
            OnnxAttribute.FloatList("support_vectors", text.SupportVectors.Select(v => (float)v)),
            OnnxAttribute.FloatList("coefficients", text.Coefficients.Select(c => (float)c)),
            OnnxAttribute.FloatList("rho", text.Rho.Select(r => (float)-r)),
            OnnxAttribute.FloatList("prob_a", text.ProbA.Select(a => (float)a)),
            OnnxAttribute.FloatList("prob_b", text.ProbB.Select(b => (float)b)),
            OnnxAttribute.String("post_transform", "NONE"));

        var classes = svm.ClassNames.Count;
        var position = new long[classes];
        var present = new float[classes];
        for (var p = 0; p < text.Labels.Length; p++)
        {
            position[text.Labels[p]] = p;
            present[text.Labels[p]] = 1;
        }
        var gathered = graph.Node("Gather", [outputs[1], graph.AddInitializer("class_positions", [classes], position)], "svm_probabilities_by_class", OnnxAttribute.Int("axis", 1));
        var masked = graph.Node("Mul", [gathered, graph.AddInitializer("class_trained", [classes], present)], "svm_probabilities_trained");
        var sum = graph.Node("ReduceSum", [masked, graph.AddInitializer("class_axis", [1], [1L])], "svm_probability_sum", OnnxAttribute.Int("keepdims", 1));
        var probabilities = graph.Node("Div", [masked, sum], OnnxMetadata.OutputName);
        if (probabilities != OnnxMetadata.OutputName)
            throw new InvalidOperationException($"The output name '{OnnxMetadata.OutputName}' was taken inside the graph.");
        graph.AddOutput(probabilities, OnnxElementType.Float, [null, classes]);
        var label = graph.Node("Identity", [outputs[0]], OnnxMetadata.SvmLabelName);
        graph.AddOutput(label, OnnxElementType.Int64, [null]);

        var metadata = Metadata(manifest, sha);
        metadata[OnnxMetadata.FeatureNames] = JsonSerializer.Serialize(svm.FeatureNames, Json);
        metadata[OnnxMetadata.InGraph] = "the training standardizer (z-score; a constant feature becomes 0), ONNX-ML's SVMClassifier " +
            $"({text.Kernel} kernel, {text.SupportVectorCount} support vectors, Platt coefficients, pairwise coupling), probabilities in class order divided by their sum";
        metadata[OnnxMetadata.Input] = string.Create(CultureInfo.InvariantCulture,
            $"{OnnxMetadata.FeaturesInputName}: float32 N x {dimension}, the raw (unscaled) {svm.FeatureSet.Describe()} of each prepared image, in the order of {OnnxMetadata.FeatureNames}; ") +
            "extracting them from an image is not expressible in ONNX and stays outside the graph";
        metadata[OnnxMetadata.ProbabilityParity] = string.Create(CultureInfo.InvariantCulture,
            $"ONNX Runtime computes LIBSVM's decision values and pairwise coupling in float32; probabilities differ from LIBSVM's (-b 1) by up to about {SvmProbabilityBound:G2}, not 1e-5 (measured: 3.7e-3 with two classes, 1.6e-6 with three or four). ") +
            string.Create(CultureInfo.InvariantCulture, $"'{OnnxMetadata.SvmLabelName}' is LIBSVM's one-vs-one vote (svm_predict); the package's own decision is the argmax of '{OnnxMetadata.OutputName}'");
        return graph.ToModel(metadata, ProducerVersion, $"{packaged.Kind} exported from package {sha}");
    }

    // The package stores exactly this text, so the exported numbers are the ones the native model predicts with.
    static string LibSvmText(SvmModel svm)
    {
        var directory = Path.Combine(Path.GetTempPath(), "autoclassify-onnx-" + Guid.NewGuid().ToString("N"));
        try
        {
            svm.Save(directory);
            return File.ReadAllText(Path.Combine(directory, SvmModel.LibSvmFileName));
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
