using AutoClassify.Models.Cnn;
using AutoClassify.Models.Transfer;
using AutoClassify.Tensors;
using AutoClassify.Tensors.NN;

namespace AutoClassify.Onnx;

/// <summary>
/// Writes a C# module tree as ONNX nodes, module by module, in evaluation mode (dropout is the identity, batch norm
/// uses its running statistics). Every module type it writes is listed in <see cref="Write"/>; any other module, or a
/// known one configured in a way ONNX computes differently, throws <see cref="OnnxExportException"/> naming the
/// module's path, so an export is never silently wrong.
/// </summary>
internal sealed class ModuleGraphWriter
{
    readonly OnnxGraph graph;

    public ModuleGraphWriter(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        this.graph = graph;
    }

    /// <summary>Writes <paramref name="module"/> applied to the value <paramref name="input"/>; returns its output value.</summary>
    /// <param name="module">The module (evaluation semantics are written whatever its mode).</param>
    /// <param name="input">Name of the value the module reads.</param>
    /// <param name="path">The module's dotted name, for initialiser names and error messages.</param>
    public string Write(Module module, string input, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        ArgumentNullException.ThrowIfNull(path);
        return module switch
        {
            Sequential sequential => Chain(sequential, input, path),
            Conv2d conv => Conv(conv, input, path),
            BatchNorm2d norm => BatchNorm(norm, input, path),
            Linear linear => Gemm(linear, input, path),
            ReLU => graph.Node("Relu", [input], Hint(path, "relu")),
            ReLU6 => graph.Node("Clip", [input, graph.Scalar(Hint(path, "min"), 0f), graph.Scalar(Hint(path, "max"), 6f)], Hint(path, "relu6")),
            Dropout => input,
            Identity => graph.Node("Identity", [input], Hint(path, "identity")),
            MaxPool2d pool => MaxPool(pool, input, path),
            AvgPool2d pool => AvgPool(pool, input, path),
            AdaptiveAvgPool2d pool => GlobalAveragePool(pool, input, path),
            Flatten flatten => FlattenAll(flatten, input, path),
            LipNetModule lipNet => Write(lipNet.Classifier, Write(lipNet.Features, input, Join(path, "features")), Join(path, "classifier")),
            ResNet resNet => Gemm(resNet.Fc, ResNetFeatures(resNet, input, path), Join(path, "fc")),
            BasicBlock block => Residual(block.Downsample, input, path, x =>
            {
                var hidden = graph.Node("Relu", [Write(block.Bn1, Write(block.Conv1, x, Join(path, "conv1")), Join(path, "bn1"))], Hint(path, "relu1"));
                return Write(block.Bn2, Write(block.Conv2, hidden, Join(path, "conv2")), Join(path, "bn2"));
            }),
            Bottleneck block => Residual(block.Downsample, input, path, x =>
            {
                var first = graph.Node("Relu", [Write(block.Bn1, Write(block.Conv1, x, Join(path, "conv1")), Join(path, "bn1"))], Hint(path, "relu1"));
                var second = graph.Node("Relu", [Write(block.Bn2, Write(block.Conv2, first, Join(path, "conv2")), Join(path, "bn2"))], Hint(path, "relu2"));
                return Write(block.Bn3, Write(block.Conv3, second, Join(path, "conv3")), Join(path, "bn3"));
            }),
            InvertedResidual block => block.UsesResidual
                ? graph.Node("Add", [Write(block.Conv, input, Join(path, "conv")), input], Hint(path, "add"))
                : Write(block.Conv, input, Join(path, "conv")),
            MobileNetV2 mobileNet => Write(mobileNet.Classifier, MobileNetFeatures(mobileNet, input, path), Join(path, "classifier")),
            TransferHead head => Head(head, input, path),
            _ => throw new OnnxExportException(
                $"module '{Shown(path)}' is a {module.GetType().Name}, which the ONNX exporter does not know; nothing was written"),
        };
    }

    /// <summary>
    /// Writes a backbone's pooled features (N × FeatureDim), as <see cref="IFeatureBackbone.Features"/> computes them:
    /// ResNet up to the pooling, MobileNetV2's feature layers pooled, a LipNet cut before its last layer.
    /// </summary>
    public string WriteFeatures(IFeatureBackbone backbone, string input, string path)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return backbone switch
        {
            ResNet resNet => ResNetFeatures(resNet, input, path),
            MobileNetV2 mobileNet => MobileNetFeatures(mobileNet, input, path),
            LipNetBackbone lipNet => LipNetFeatures((LipNetModule)lipNet.Network, input, path),
            _ => throw new OnnxExportException(
                $"backbone '{backbone.Name}' is a {backbone.GetType().Name}, which the ONNX exporter does not know; nothing was written"),
        };
    }

    string ResNetFeatures(ResNet net, string input, string path)
    {
        var x = Write(net.Conv1, input, Join(path, "conv1"));
        x = Write(net.Bn1, x, Join(path, "bn1"));
        x = graph.Node("Relu", [x], Hint(path, "relu"));
        // The stem's pooling is registered as "maxpool" but not exposed; it is the one MaxPool2d among the direct children.
        var stemPool = net.NamedChildren().Single(c => c.Name == "maxpool").Module;
        x = Write(stemPool, x, Join(path, "maxpool"));
        x = Write(net.Layer1, x, Join(path, "layer1"));
        x = Write(net.Layer2, x, Join(path, "layer2"));
        x = Write(net.Layer3, x, Join(path, "layer3"));
        x = Write(net.Layer4, x, Join(path, "layer4"));
        x = Write(net.AvgPool, x, Join(path, "avgpool"));
        return graph.Node("Flatten", [x], Hint(path, "flatten"), OnnxAttribute.Int("axis", 1));
    }

    string MobileNetFeatures(MobileNetV2 net, string input, string path)
    {
        var maps = Write(net.FeatureLayers, input, Join(path, "features"));
        var pooled = graph.Node("GlobalAveragePool", [maps], Hint(path, "pool"));
        return graph.Node("Flatten", [pooled], Hint(path, "flatten"), OnnxAttribute.Int("axis", 1));
    }

    string LipNetFeatures(LipNetModule net, string input, string path)
    {
        var maps = Write(net.Features, input, Join(path, "features"));
        if (net.Spec.AllConvolutional)
        {
            var pooled = graph.Node("GlobalAveragePool", [maps], Hint(path, "pool"));
            return graph.Node("Flatten", [pooled], Hint(path, "flatten"), OnnxAttribute.Int("axis", 1));
        }
        var x = maps;
        for (var i = 0; i < net.Classifier.Count - 1; i++)
            x = Write(net.Classifier[i], x, Join(path, "classifier." + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return x;
    }

    string Chain(Sequential sequential, string input, string path)
    {
        var x = input;
        for (var i = 0; i < sequential.Count; i++)
            x = Write(sequential[i], x, Join(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return x;
    }

    string Residual(Sequential? downsample, string input, string path, Func<string, string> body)
    {
        var residual = body(input);
        var shortcut = downsample is null ? input : Write(downsample, input, Join(path, "downsample"));
        var sum = graph.Node("Add", [residual, shortcut], Hint(path, "add"));
        return graph.Node("Relu", [sum], Hint(path, "out"));
    }

    string Conv(Conv2d conv, string input, string path)
    {
        var weight = Initializer(Join(path, "weight"), conv.Weight);
        List<string> inputs = [input, weight];
        if (conv.Bias is { } bias)
            inputs.Add(Initializer(Join(path, "bias"), bias));
        return graph.Node("Conv", inputs, Hint(path, "conv"),
            OnnxAttribute.IntList("kernel_shape", conv.KernelSize, conv.KernelSize),
            OnnxAttribute.IntList("strides", conv.Stride, conv.Stride),
            OnnxAttribute.IntList("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding),
            OnnxAttribute.IntList("dilations", conv.Dilation, conv.Dilation),
            OnnxAttribute.Int("group", conv.Groups));
    }

    string BatchNorm(BatchNorm2d norm, string input, string path)
    {
        if (norm.RunningMean is null || norm.RunningVar is null)
            throw new OnnxExportException($"batch norm '{Shown(path)}' keeps no running statistics, so its evaluation output depends on the batch; ONNX cannot express that");
        var channels = norm.NumFeatures;
        var scale = norm.Weight is { } w ? Initializer(Join(path, "weight"), w) : graph.AddInitializer(Join(path, "weight"), [channels], Enumerable.Repeat(1f, channels).ToArray());
        var bias = norm.Bias is { } b ? Initializer(Join(path, "bias"), b) : graph.AddInitializer(Join(path, "bias"), [channels], new float[channels]);
        var mean = Initializer(Join(path, "running_mean"), norm.RunningMean);
        var variance = Initializer(Join(path, "running_var"), norm.RunningVar);
        return graph.Node("BatchNormalization", [input, scale, bias, mean, variance], Hint(path, "bn"),
            OnnxAttribute.Float("epsilon", (float)norm.Eps));
    }

    string Gemm(Linear linear, string input, string path)
    {
        var weight = Initializer(Join(path, "weight"), linear.Weight);
        List<string> inputs = [input, weight];
        if (linear.Bias is { } bias)
            inputs.Add(Initializer(Join(path, "bias"), bias));
        return graph.Node("Gemm", inputs, Hint(path, "linear"), OnnxAttribute.Int("transB", 1));
    }

    string MaxPool(MaxPool2d pool, string input, string path)
    {
        // PyTorch drops a last window that starts in the padding when rounding up; ONNX's rule differs there.
        if (pool.CeilMode)
            throw new OnnxExportException($"max pooling '{Shown(path)}' rounds its output size up (ceil mode), where PyTorch and ONNX differ; not exported");
        return graph.Node("MaxPool", [input], Hint(path, "maxpool"),
            OnnxAttribute.IntList("kernel_shape", pool.KernelSize, pool.KernelSize),
            OnnxAttribute.IntList("strides", pool.Stride, pool.Stride),
            OnnxAttribute.IntList("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding),
            OnnxAttribute.IntList("dilations", pool.Dilation, pool.Dilation));
    }

    string AvgPool(AvgPool2d pool, string input, string path)
    {
        if (pool.CeilMode)
            throw new OnnxExportException($"average pooling '{Shown(path)}' rounds its output size up (ceil mode), where PyTorch and ONNX differ; not exported");
        return graph.Node("AveragePool", [input], Hint(path, "avgpool"),
            OnnxAttribute.IntList("kernel_shape", pool.KernelSize, pool.KernelSize),
            OnnxAttribute.IntList("strides", pool.Stride, pool.Stride),
            OnnxAttribute.IntList("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding),
            OnnxAttribute.Int("count_include_pad", pool.CountIncludePad ? 1 : 0));
    }

    string GlobalAveragePool(AdaptiveAvgPool2d pool, string input, string path)
    {
        if (pool.OutputHeight != 1 || pool.OutputWidth != 1)
            throw new OnnxExportException($"adaptive pooling '{Shown(path)}' to {pool.OutputHeight}x{pool.OutputWidth} has no fixed-window ONNX equivalent; only global pooling (1x1) is exported");
        return graph.Node("GlobalAveragePool", [input], Hint(path, "pool"));
    }

    string FlattenAll(Flatten flatten, string input, string path)
    {
        if (flatten.StartDim != 1 || flatten.EndDim != -1)
            throw new OnnxExportException($"flatten '{Shown(path)}' merges dimensions {flatten.StartDim}..{flatten.EndDim}; only everything after the batch (1..-1) is exported");
        return graph.Node("Flatten", [input], Hint(path, "flatten"), OnnxAttribute.Int("axis", 1));
    }

    string Head(TransferHead head, string input, string path)
    {
        var mean = Initializer(Join(path, "mean"), head.Mean);
        var scale = Initializer(Join(path, "scale"), head.Scale);
        var centred = graph.Node("Sub", [input, mean], Hint(path, "centred"));
        var scaled = graph.Node("Mul", [centred, scale], Hint(path, "scaled"));
        return Gemm(head.Linear, scaled, Join(path, "linear"));
    }

    string Initializer(string name, Tensor tensor)
    {
        if (tensor.DType != ScalarType.Float32)
            throw new OnnxExportException($"'{name}' holds {tensor.DType} values; the exporter writes float32 weights only");
        using var cpu = tensor.Device == Device.Cpu ? null : tensor.To(Device.Cpu);
        var source = cpu ?? tensor;
        return graph.AddInitializer(name, source.Shape, source.ToArray<float>());
    }

    static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    static string Hint(string path, string op) => path.Length == 0 ? op : path + "." + op;

    static string Shown(string path) => path.Length == 0 ? "(root)" : path;
}

/// <summary>A model that cannot be written as ONNX exactly (an unknown module, a setting ONNX computes differently); an argument error, as the package given cannot be exported.</summary>
public sealed class OnnxExportException : ArgumentException
{
    public OnnxExportException(string message)
        : base(message)
    {
    }

    public OnnxExportException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public OnnxExportException()
    {
    }
}
