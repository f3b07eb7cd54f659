using System.Globalization;

namespace AutoClassify.Onnx;

/// <summary>
/// A C-SVC model read from LIBSVM's own text (<c>svm_save_model</c>): what ONNX-ML's <c>SVMClassifier</c> needs, with the
/// support vectors made dense. Reading the text keeps the native binding unchanged and gives exactly the numbers a package
/// loads (the text is what it stores).
/// </summary>
internal sealed class LibSvmModelText
{
    public required string Kernel { get; init; }

    public double Gamma { get; init; }

    /// <summary>Class labels in LIBSVM's internal order; support vectors are grouped by class in this order.</summary>
    public required int[] Labels { get; init; }

    /// <summary>One constant per class pair (0,1), (0,2), …, (1,2), …; LIBSVM subtracts it from the decision value.</summary>
    public required double[] Rho { get; init; }

    public required double[] ProbA { get; init; }

    public required double[] ProbB { get; init; }

    /// <summary>Support vectors per class, in <see cref="Labels"/> order.</summary>
    public required int[] SupportVectorsPerClass { get; init; }

    /// <summary>(classes − 1) rows of one coefficient per support vector, row-major.</summary>
    public required double[] Coefficients { get; init; }

    /// <summary>Support vectors × <c>dimension</c> values, row-major.</summary>
    public required double[] SupportVectors { get; init; }

    public int SupportVectorCount => SupportVectorsPerClass.Sum();

    /// <summary>Parses LIBSVM's model text for a model on <paramref name="dimension"/> features.</summary>
    public static LibSvmModelText Parse(string text, int dimension)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n', StringSplitOptions.TrimEntries);
        var header = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var line = 0;
        for (; line < lines.Length && lines[line] != "SV"; line++)
        {
            if (lines[line].Length == 0)
                continue;
            var parts = lines[line].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            header[parts[0]] = parts[1..];
        }
        if (line == lines.Length)
            throw new OnnxExportException("the LIBSVM model text has no 'SV' section");
        string[] Field(string key) => header.TryGetValue(key, out var value)
            ? value
            : throw new OnnxExportException($"the LIBSVM model text has no '{key}' line" + (key is "probA" or "probB" ? " (trained without probability estimates)" : ""));
        if (Field("svm_type") is not ["c_svc"])
            throw new OnnxExportException($"the LIBSVM model is a '{string.Join(' ', Field("svm_type"))}', not a C-SVC classifier");
        var kernel = Field("kernel_type") switch
        {
            ["rbf"] => "RBF",
            ["linear"] => "LINEAR",
            var other => throw new OnnxExportException($"the LIBSVM kernel '{string.Join(' ', other)}' is not one the exporter writes (RBF, linear)"),
        };
        var classes = Ints(Field("nr_class"))[0];
        if (classes < 2)
            throw new OnnxExportException($"the LIBSVM model separates {classes} class(es); ONNX's SVMClassifier needs two or more");
        var pairs = classes * (classes - 1) / 2;
        var model = new LibSvmModelText
        {
            Kernel = kernel,
            Gamma = kernel == "RBF" ? Doubles(Field("gamma"))[0] : 0,
            Labels = Ints(Field("label")),
            Rho = Doubles(Field("rho")),
            ProbA = Doubles(Field("probA")),
            ProbB = Doubles(Field("probB")),
            SupportVectorsPerClass = Ints(Field("nr_sv")),
            Coefficients = [],
            SupportVectors = [],
        };
        if (model.Labels.Length != classes || model.SupportVectorsPerClass.Length != classes ||
            model.Rho.Length != pairs || model.ProbA.Length != pairs || model.ProbB.Length != pairs)
            throw new OnnxExportException($"the LIBSVM model text's label, nr_sv, rho, probA or probB lines do not fit {classes} classes");
        var count = model.SupportVectorCount;
        var coefficients = new double[(classes - 1) * count];
        var vectors = new double[count * dimension];
        for (var v = 0; v < count; v++)
        {
            line++;
            if (line >= lines.Length || lines[line].Length == 0)
                throw new OnnxExportException($"the LIBSVM model text ends after {v} of its {count} support vectors");
            var parts = lines[line].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < classes - 1)
                throw new OnnxExportException($"support vector {v + 1} of the LIBSVM model text has too few coefficients");
            for (var c = 0; c < classes - 1; c++)
                coefficients[c * count + v] = Double(parts[c]);
            foreach (var pair in parts.AsSpan(classes - 1))
            {
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                var index = colon > 0 && int.TryParse(pair.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0;
                if (index < 1 || index > dimension)
                    throw new OnnxExportException($"support vector {v + 1} of the LIBSVM model text has '{pair}', outside features 1..{dimension}");
                vectors[v * dimension + index - 1] = Double(pair[(colon + 1)..]);
            }
        }
        return new LibSvmModelText
        {
            Kernel = model.Kernel,
            Gamma = model.Gamma,
            Labels = model.Labels,
            Rho = model.Rho,
            ProbA = model.ProbA,
            ProbB = model.ProbB,
            SupportVectorsPerClass = model.SupportVectorsPerClass,
            Coefficients = coefficients,
            SupportVectors = vectors,
        };
    }

    static double Double(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
        ? value
        : throw new OnnxExportException($"the LIBSVM model text has '{text}' where a number belongs");

    static double[] Doubles(string[] parts) => [.. parts.Select(Double)];

    static int[] Ints(string[] parts) => [.. parts.Select(p => int.TryParse(p, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw new OnnxExportException($"the LIBSVM model text has '{p}' where a whole number belongs"))];
}
