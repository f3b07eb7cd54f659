using System.Globalization;
using System.Text.Json;
using AutoClassify.Models.Svm;
using AutoClassify.Packaging;

namespace AutoClassify.Onnx;

public static partial class OnnxPackageExporter
{
    /// <summary>
    /// How far the SVM graph's probabilities may be from LIBSVM's (<c>-b 1</c>) with three or more classes, where ONNX Runtime's
    /// <c>SVMClassifier</c> couples the pairwise probabilities (Wu, Lin and Weng) in float32 while LIBSVM couples in double, and
    /// the coupling's loose stopping rule (0.005 / classes) could stop one iterate apart. Measured: 1.6e-7 at most. With two
    /// classes there is no coupling: the graph computes LIBSVM's sigmoid in double, equal to float32 rounding.
    /// </summary>
    public const double SvmProbabilityBound = 1e-5;

    /// <summary>
    /// An SVM package as LIBSVM computes it, in double from the float32 input on: the training standardizer, the kernel
    /// against LIBSVM's support vectors and the one-vs-one decision values (<c>svm_predict_values</c>); LIBSVM's vote for
    /// the label; Platt's sigmoid per pair, used directly with two classes (as <c>svm_predict_probability</c> does) and
    /// coupled by ONNX-ML's <c>SVMClassifier</c> with three or more; then the probabilities put in class order (a class
    /// LIBSVM never saw gets 0) and divided by their sum, as the native model does. The input is the feature vector:
    /// extracting the handcrafted features from an image is not expressible in ONNX.
    /// </summary>
    static byte[] ExportSvm(SvmPackagedModel packaged, ModelPackageManifest manifest, string sha)
    {
        var svm = packaged.Model;
        var dimension = svm.FeatureNames.Count;
        var text = LibSvmModelText.Parse(LibSvmText(svm), dimension);
        var graph = new OnnxGraph { Name = packaged.Kind };
        var features = graph.AddInput(OnnxMetadata.FeaturesInputName, OnnxElementType.Float, [null, dimension]);
        var raw = graph.Node("Cast", [features], "features_double", OnnxAttribute.Int("to", (long)OnnxElementType.Double));

        // (x - mean) / sd as the native standardizer divides; a constant feature (SD 0) becomes 0.
        var deviations = svm.Standardizer.StandardDeviations;
        var centred = graph.Node("Sub", [raw, graph.AddInitializer("feature_means", [dimension], [.. svm.Standardizer.Means])], "features_centred");
        var divided = graph.Node("Div", [centred, graph.AddInitializer("feature_sds", [dimension], [.. deviations.Select(sd => sd == 0 ? 1.0 : sd)])], "features_divided");
        var scaled = graph.Node("Mul", [divided, graph.AddInitializer("feature_varies", [dimension], [.. deviations.Select(sd => sd == 0 ? 0.0 : 1.0)])], "features_scaled");

        var decision = DecisionValues(graph, text, scaled, dimension);
        var label = Vote(graph, text, decision);
        var decisionFloat = graph.Node("Cast", [decision], OnnxMetadata.SvmDecisionValuesName, OnnxAttribute.Int("to", (long)OnnxElementType.Float));
        var libsvmOrder = PairwiseProbabilities(graph, text, decision, decisionFloat);

        var classes = svm.ClassNames.Count;
        var position = new long[classes];
        var present = new double[classes];
        for (var p = 0; p < text.Labels.Length; p++)
        {
            position[text.Labels[p]] = p;
            present[text.Labels[p]] = 1;
        }
        var gathered = graph.Node("Gather", [libsvmOrder, graph.AddInitializer("class_positions", [classes], position)], "svm_probabilities_by_class", OnnxAttribute.Int("axis", 1));
        var masked = graph.Node("Mul", [gathered, graph.AddInitializer("class_trained", [classes], present)], "svm_probabilities_trained");
        var sum = graph.Node("ReduceSum", [masked, graph.AddInitializer("class_axis", [1], [1L])], "svm_probability_sum", OnnxAttribute.Int("keepdims", 1));
        var normalised = graph.Node("Div", [masked, sum], "svm_probabilities_double");
        var probabilities = graph.Node("Cast", [normalised], OnnxMetadata.OutputName, OnnxAttribute.Int("to", (long)OnnxElementType.Float));
        foreach (var (name, wanted) in new[] { (probabilities, OnnxMetadata.OutputName), (label, OnnxMetadata.SvmLabelName), (decisionFloat, OnnxMetadata.SvmDecisionValuesName) })
        {
            if (name != wanted)
                throw new InvalidOperationException($"The output name '{wanted}' was taken inside the graph.");
        }
        var pairs = text.Labels.Length * (text.Labels.Length - 1) / 2;
        graph.AddOutput(probabilities, OnnxElementType.Float, [null, classes]);
        graph.AddOutput(label, OnnxElementType.Int64, [null]);
        graph.AddOutput(decisionFloat, OnnxElementType.Float, [null, pairs]);

        var metadata = Metadata(manifest, sha);
        metadata[OnnxMetadata.FeatureNames] = JsonSerializer.Serialize(svm.FeatureNames, Json);
        metadata[OnnxMetadata.DecisionPairs] = JsonSerializer.Serialize(
            Pairs(text.Labels.Length).Select(pair => new[] { svm.ClassNames[text.Labels[pair.First]], svm.ClassNames[text.Labels[pair.Second]] }), Json);
        metadata[OnnxMetadata.InGraph] = "in double: the training standardizer (z-score; a constant feature becomes 0), " +
            $"the {text.Kernel} kernel against LIBSVM's {text.SupportVectorCount} support vectors and the one-vs-one decision values, LIBSVM's vote, " +
            "Platt's sigmoid per pair (" + (text.Labels.Length == 2 ? "two classes: used directly, as LIBSVM does" : "coupled by ONNX-ML's SVMClassifier in float32") +
            "), probabilities in class order divided by their sum";
        metadata[OnnxMetadata.Input] = string.Create(CultureInfo.InvariantCulture,
            $"{OnnxMetadata.FeaturesInputName}: float32 N x {dimension}, the raw (unscaled) {svm.FeatureSet.Describe()} of each prepared image, in the order of {OnnxMetadata.FeatureNames}; ") +
            "extracting them from an image is not expressible in ONNX and stays outside the graph";
        metadata[OnnxMetadata.ProbabilityParity] = (text.Labels.Length == 2
                ? "two classes: LIBSVM's sigmoid of the decision value, computed in double; equal to LIBSVM's (-b 1) up to float32 rounding of the input and output. "
                : string.Create(CultureInfo.InvariantCulture, $"{text.Labels.Length} classes: ONNX Runtime couples LIBSVM's pairwise probabilities in float32, LIBSVM in double; within {SvmProbabilityBound:G2} of LIBSVM's (-b 1) where measured, not guaranteed. ")) +
            $"'{OnnxMetadata.SvmLabelName}' is LIBSVM's one-vs-one vote (svm_predict); the package's own decision is the argmax of '{OnnxMetadata.OutputName}'; " +
            $"'{OnnxMetadata.SvmDecisionValuesName}' are svm_predict_values', one column per pair of {OnnxMetadata.DecisionPairs}, positive for the first class";
        return graph.ToModel(metadata, ProducerVersion, $"{packaged.Kind} exported from package {sha}");
    }

    // LIBSVM's pair order: (0,1), (0,2), ..., (1,2), ... over its internal class order.
    static IEnumerable<(int First, int Second)> Pairs(int classes)
    {
        for (var i = 0; i < classes; i++)
        {
            for (var j = i + 1; j < classes; j++)
                yield return (i, j);
        }
    }

    /// <summary>N × pairs decision values in double: sum of coefficient × kernel over both classes' support vectors, minus rho.</summary>
    static string DecisionValues(OnnxGraph graph, LibSvmModelText text, string scaled, int dimension)
    {
        var count = text.SupportVectorCount;
        var transposed = new double[dimension * count];
        var norms = new double[count];
        for (var v = 0; v < count; v++)
        {
            for (var f = 0; f < dimension; f++)
            {
                var value = text.SupportVectors[v * dimension + f];
                transposed[f * count + v] = value;
                norms[v] += value * value;
            }
        }
        var dot = graph.Node("MatMul", [scaled, graph.AddInitializer("support_vectors_t", [dimension, count], transposed)], "support_vector_dot");
        var kernel = dot;
        if (text.Kernel == "RBF")
        {
            // |x - v|² = |x|² - 2 x·v + |v|², clamped at 0 against rounding, then exp(-γ |x - v|²).
            var squares = graph.Node("Mul", [scaled, scaled], "features_squared");
            var norm = graph.Node("ReduceSum", [squares, graph.AddInitializer("feature_axis", [1], [1L])], "features_norm", OnnxAttribute.Int("keepdims", 1));
            var twice = graph.Node("Mul", [dot, graph.Scalar("minus_two", -2.0)], "support_vector_dot_x2");
            var partial = graph.Node("Add", [twice, norm], "distance_partial");
            var distance = graph.Node("Add", [partial, graph.AddInitializer("support_vector_norms", [1, count], norms)], "distance_squared_raw");
            var clamped = graph.Node("Max", [distance, graph.Scalar("zero", 0.0)], "distance_squared");
            var exponent = graph.Node("Mul", [clamped, graph.Scalar("minus_gamma", -text.Gamma)], "kernel_exponent");
            kernel = graph.Node("Exp", [exponent], "kernel");
        }

        // LIBSVM's coefficient row for the pair (i, j): j - 1 for class i's vectors, i for class j's.
        var classes = text.Labels.Length;
        var pairs = Pairs(classes).ToArray();
        var start = new int[classes];
        for (var c = 1; c < classes; c++)
            start[c] = start[c - 1] + text.SupportVectorsPerClass[c - 1];
        var weights = new double[count * pairs.Length];
        for (var p = 0; p < pairs.Length; p++)
        {
            var (i, j) = pairs[p];
            for (var m = start[i]; m < start[i] + text.SupportVectorsPerClass[i]; m++)
                weights[m * pairs.Length + p] = text.Coefficients[(j - 1) * count + m];
            for (var m = start[j]; m < start[j] + text.SupportVectorsPerClass[j]; m++)
                weights[m * pairs.Length + p] = text.Coefficients[i * count + m];
        }
        var sums = graph.Node("MatMul", [kernel, graph.AddInitializer("pair_coefficients", [count, pairs.Length], weights)], "decision_sums");
        return graph.Node("Sub", [sums, graph.AddInitializer("rho", [pairs.Length], text.Rho)], "decision_values_double");
    }

    /// <summary>LIBSVM's vote: each pair's decision value votes for its first class when positive, else its second; ties go to the first class.</summary>
    static string Vote(OnnxGraph graph, LibSvmModelText text, string decision)
    {
        var classes = text.Labels.Length;
        var pairs = Pairs(classes).ToArray();
        var swing = new double[pairs.Length * classes];
        var losses = new double[classes];
        for (var p = 0; p < pairs.Length; p++)
        {
            swing[p * classes + pairs[p].First] += 1;
            swing[p * classes + pairs[p].Second] -= 1;
            losses[pairs[p].Second] += 1;
        }
        var positive = graph.Node("Greater", [decision, graph.Scalar("vote_threshold", 0.0)], "decision_positive");
        var wins = graph.Node("Cast", [positive], "decision_wins", OnnxAttribute.Int("to", (long)OnnxElementType.Double));
        var swung = graph.Node("MatMul", [wins, graph.AddInitializer("vote_swing", [pairs.Length, classes], swing)], "vote_swing_sum");
        var votes = graph.Node("Add", [swung, graph.AddInitializer("votes_all_negative", [1, classes], losses)], "votes");
        var winner = graph.Node("ArgMax", [votes], "vote_winner", OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0));
        return graph.Node("Gather", [graph.AddInitializer("libsvm_labels", [classes], [.. text.Labels.Select(l => (long)l)]), winner], OnnxMetadata.SvmLabelName, OnnxAttribute.Int("axis", 0));
    }

    /// <summary>
    /// N × classes probabilities in LIBSVM's class order (double): with two classes LIBSVM's clipped sigmoid directly; with
    /// more, ONNX Runtime's coupling, reached through an <c>SVMClassifier</c> whose linear support vectors are the unit
    /// vectors of the decision-value space, so its scores are the decision values themselves and its Platt step is LIBSVM's.
    /// </summary>
    static string PairwiseProbabilities(OnnxGraph graph, LibSvmModelText text, string decision, string decisionFloat)
    {
        var classes = text.Labels.Length;
        var pairs = Pairs(classes).ToArray();
        if (classes == 2)
        {
            // LIBSVM: r = 1 / (1 + exp(A f + B)), clipped to [1e-7, 1 - 1e-7]; p = (r, 1 - r).
            var scaled = graph.Node("Mul", [decision, graph.AddInitializer("prob_a", [1], text.ProbA)], "platt_scaled");
            var shifted = graph.Node("Add", [scaled, graph.AddInitializer("prob_b", [1], text.ProbB)], "platt_argument");
            var negated = graph.Node("Neg", [shifted], "platt_argument_negated");
            var sigmoid = graph.Node("Sigmoid", [negated], "platt_probability");
            var clipped = graph.Node("Clip", [sigmoid, graph.Scalar("min_probability", 1e-7), graph.Scalar("max_probability", 1 - 1e-7)], "pairwise_probability");
            var other = graph.Node("Sub", [graph.Scalar("one", 1.0), clipped], "pairwise_probability_other");
            return graph.Node("Concat", [clipped, other], "svm_probabilities_libsvm_order", OnnxAttribute.Int("axis", 1));
        }

        var identity = new float[pairs.Length * pairs.Length];
        var coefficients = new float[(classes - 1) * pairs.Length];
        var perClass = new long[classes];
        for (var p = 0; p < pairs.Length; p++)
        {
            identity[p * pairs.Length + p] = 1;
            coefficients[(pairs[p].Second - 1) * pairs.Length + p] = 1;
            perClass[pairs[p].First]++;
        }
        var outputs = graph.Node("SVMClassifier", OnnxGraph.MLDomain, [decisionFloat], ["coupling_label", "coupled_probabilities"],
            OnnxAttribute.IntList("classlabels_ints", [.. text.Labels.Select(l => (long)l)]),
            OnnxAttribute.String("kernel_type", "LINEAR"),
            OnnxAttribute.FloatList("kernel_params", [0f, 0f, 0f]),
            OnnxAttribute.IntList("vectors_per_class", perClass),
            OnnxAttribute.FloatList("support_vectors", identity),
            OnnxAttribute.FloatList("coefficients", coefficients),
            OnnxAttribute.FloatList("rho", new float[pairs.Length]),
            OnnxAttribute.FloatList("prob_a", text.ProbA.Select(a => (float)a)),
            OnnxAttribute.FloatList("prob_b", text.ProbB.Select(b => (float)b)),
            OnnxAttribute.String("post_transform", "NONE"));
        return graph.Node("Cast", [outputs[1]], "svm_probabilities_libsvm_order", OnnxAttribute.Int("to", (long)OnnxElementType.Double));
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
