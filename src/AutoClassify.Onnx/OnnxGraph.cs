using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace AutoClassify.Onnx;

/// <summary>ONNX's element types (<c>TensorProto.DataType</c>) that the exporter writes.</summary>
internal enum OnnxElementType
{
    Float = 1,
    Int64 = 7,
    String = 8,
    Double = 11,
}

/// <summary>One attribute of a node: exactly one of the value kinds, as ONNX's <c>AttributeProto</c> requires.</summary>
internal sealed class OnnxAttribute
{
    OnnxAttribute(string name, int type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Type = type;
    }

    public string Name { get; }

    // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8.
    internal int Type { get; }

    internal float F { get; private init; }

    internal long I { get; private init; }

    internal string S { get; private init; } = "";

    internal float[] Floats { get; private init; } = [];

    internal long[] Ints { get; private init; } = [];

    internal string[] Strings { get; private init; } = [];

    public static OnnxAttribute Float(string name, float value) => new(name, 1) { F = value };

    public static OnnxAttribute Int(string name, long value) => new(name, 2) { I = value };

    public static OnnxAttribute String(string name, string value) => new(name, 3) { S = value ?? throw new ArgumentNullException(nameof(value)) };

    public static OnnxAttribute FloatList(string name, IEnumerable<float> values) => new(name, 6) { Floats = [.. values] };

    public static OnnxAttribute IntList(string name, params long[] values) => new(name, 7) { Ints = [.. values] };

    public static OnnxAttribute StringList(string name, IEnumerable<string> values) => new(name, 8) { Strings = [.. values] };

    internal byte[] ToBytes() => Proto.Message(o =>
    {
        Proto.String(o, 1, Name);
        Proto.Int64(o, 20, Type);
        switch (Type)
        {
            case 1:
                o.WriteTag(2, WireFormat.WireType.Fixed32);
                o.WriteFloat(F);
                break;
            case 2:
                Proto.Int64(o, 3, I);
                break;
            case 3:
                Proto.String(o, 4, S);
                break;
            case 6:
                Proto.PackedFloats(o, 7, Floats);
                break;
            case 7:
                Proto.PackedInt64s(o, 8, Ints);
                break;
            case 8:
                foreach (var s in Strings)
                    Proto.String(o, 9, s);
                break;
            default:
                throw new InvalidOperationException($"Attribute '{Name}' has no value kind.");
        }
    });
}

/// <summary>
/// An ONNX graph under construction: nodes in execution order, initialisers (the weights), the inputs and outputs, and
/// unique value names. <see cref="ToModel"/> writes the whole <c>ModelProto</c> with Google.Protobuf's wire writer
/// (field numbers from onnx.proto), so no generated classes are needed.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>The standard operator set the exporter writes.</summary>
    public const int Opset = 17;

    /// <summary>ONNX-ML's domain and the version of it the exporter writes.</summary>
    public const string MLDomain = "ai.onnx.ml";

    public const int MLOpset = 3;

    // IR version 8 is the one that came with opset 17.
    const long IrVersion = 8;

    readonly List<byte[]> nodes = [];
    readonly List<byte[]> initializers = [];
    readonly List<byte[]> inputs = [];
    readonly List<byte[]> outputs = [];
    readonly HashSet<string> names = new(StringComparer.Ordinal);
    bool usesMLDomain;

    /// <summary>Name of the graph inside the model.</summary>
    public string Name { get; init; } = "autoclassify";

    /// <summary>A value name not used yet, derived from <paramref name="hint"/>.</summary>
    public string Unique(string hint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hint);
        if (names.Add(hint))
            return hint;
        for (var i = 1; ; i++)
        {
            var candidate = hint + "_" + i.ToString(CultureInfo.InvariantCulture);
            if (names.Add(candidate))
                return candidate;
        }
    }

    /// <summary>Declares a float graph input; a dimension of null is dynamic and named <paramref name="dynamicName"/>.</summary>
    public string AddInput(string name, OnnxElementType type, IReadOnlyList<long?> shape, string dynamicName = "batch")
    {
        var unique = Unique(name);
        if (unique != name)
            throw new ArgumentException($"The graph already has a value named '{name}'.", nameof(name));
        inputs.Add(ValueInfo(name, type, shape, dynamicName));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> (already produced by a node) as a graph output.</summary>
    public void AddOutput(string value, OnnxElementType type, IReadOnlyList<long?> shape, string dynamicName = "batch") =>
        outputs.Add(ValueInfo(value, type, shape, dynamicName));

    /// <summary>A float constant (a weight) named after <paramref name="hint"/>; returns its value name.</summary>
    public string AddInitializer(string hint, ReadOnlySpan<long> dims, ReadOnlySpan<float> values)
    {
        CheckCount(hint, dims, values.Length);
        var name = Unique(hint);
        var raw = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX's raw tensor data is little-endian; this machine is not.");
        var dimsCopy = dims.ToArray();
        initializers.Add(Proto.Message(o =>
        {
            Proto.PackedInt64s(o, 1, dimsCopy);
            Proto.Int64(o, 2, (long)OnnxElementType.Float);
            Proto.String(o, 8, name);
            Proto.Bytes(o, 9, raw);
        }));
        return name;
    }

    /// <summary>A double constant named after <paramref name="hint"/> (the SVM graph computes in double, as LIBSVM); returns its value name.</summary>
    public string AddInitializer(string hint, ReadOnlySpan<long> dims, ReadOnlySpan<double> values)
    {
        CheckCount(hint, dims, values.Length);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX's raw tensor data is little-endian; this machine is not.");
        var name = Unique(hint);
        var raw = MemoryMarshal.AsBytes(values).ToArray();
        var dimsCopy = dims.ToArray();
        initializers.Add(Proto.Message(o =>
        {
            Proto.PackedInt64s(o, 1, dimsCopy);
            Proto.Int64(o, 2, (long)OnnxElementType.Double);
            Proto.String(o, 8, name);
            Proto.Bytes(o, 9, raw);
        }));
        return name;
    }

    /// <summary>An int64 constant (shapes, axes) named after <paramref name="hint"/>; returns its value name.</summary>
    public string AddInitializer(string hint, ReadOnlySpan<long> dims, ReadOnlySpan<long> values)
    {
        CheckCount(hint, dims, values.Length);
        var name = Unique(hint);
        var dimsCopy = dims.ToArray();
        var data = values.ToArray();
        initializers.Add(Proto.Message(o =>
        {
            Proto.PackedInt64s(o, 1, dimsCopy);
            Proto.Int64(o, 2, (long)OnnxElementType.Int64);
            Proto.PackedInt64s(o, 7, data);
            Proto.String(o, 8, name);
        }));
        return name;
    }

    /// <summary>A float scalar constant.</summary>
    public string Scalar(string hint, float value) => AddInitializer(hint, [], [value]);

    /// <summary>A double scalar constant.</summary>
    public string Scalar(string hint, double value)
    {
        var name = Unique(hint);
        var raw = BitConverter.GetBytes(value);
        initializers.Add(Proto.Message(o =>
        {
            Proto.Int64(o, 2, (long)OnnxElementType.Double);
            Proto.String(o, 8, name);
            Proto.Bytes(o, 9, raw);
        }));
        return name;
    }

    /// <summary>Appends a node with one output named after <paramref name="outputHint"/>; returns the output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> nodeInputs, string outputHint, params OnnxAttribute[] attributes) =>
        Node(opType, "", nodeInputs, [outputHint], attributes)[0];

    /// <summary>Appends a node of any domain with several outputs; returns the outputs' names.</summary>
    public IReadOnlyList<string> Node(string opType, string domain, IReadOnlyList<string> nodeInputs, IReadOnlyList<string> outputHints, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(nodeInputs);
        ArgumentNullException.ThrowIfNull(outputHints);
        foreach (var input in nodeInputs)
        {
            if (input.Length > 0 && !names.Contains(input))
                throw new ArgumentException($"{opType} reads '{input}', which no earlier node, input or initialiser produces.", nameof(nodeInputs));
        }
        usesMLDomain |= domain == MLDomain;
        var produced = outputHints.Select(Unique).ToArray();
        var nodeName = Unique("node_" + opType + "_" + nodes.Count.ToString(CultureInfo.InvariantCulture));
        var attributeBytes = attributes.Select(a => a.ToBytes()).ToArray();
        nodes.Add(Proto.Message(o =>
        {
            foreach (var input in nodeInputs)
                Proto.String(o, 1, input);
            foreach (var output in produced)
                Proto.String(o, 2, output);
            Proto.String(o, 3, nodeName);
            Proto.String(o, 4, opType);
            foreach (var attribute in attributeBytes)
                Proto.Bytes(o, 5, attribute);
            if (domain.Length > 0)
                Proto.String(o, 7, domain);
        }));
        return produced;
    }

    /// <summary>The serialised <c>ModelProto</c>: this graph, opset 17 (and ONNX-ML when used), and the metadata.</summary>
    public byte[] ToModel(IReadOnlyDictionary<string, string> metadata, string producerVersion, string docString = "")
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (outputs.Count == 0)
            throw new InvalidOperationException("The graph has no output.");
        var graph = Proto.Message(o =>
        {
            foreach (var node in nodes)
                Proto.Bytes(o, 1, node);
            Proto.String(o, 2, Name);
            foreach (var initializer in initializers)
                Proto.Bytes(o, 5, initializer);
            foreach (var input in inputs)
                Proto.Bytes(o, 11, input);
            foreach (var output in outputs)
                Proto.Bytes(o, 12, output);
        });
        return Proto.Message(o =>
        {
            Proto.Int64(o, 1, IrVersion);
            Proto.String(o, 2, "AutoClassify");
            Proto.String(o, 3, producerVersion);
            if (docString.Length > 0)
                Proto.String(o, 6, docString);
            Proto.Bytes(o, 7, graph);
            Proto.Bytes(o, 8, Proto.Message(s => Proto.Int64(s, 2, Opset)));
            if (usesMLDomain)
            {
                Proto.Bytes(o, 8, Proto.Message(s =>
                {
                    Proto.String(s, 1, MLDomain);
                    Proto.Int64(s, 2, MLOpset);
                }));
            }
            foreach (var (key, value) in metadata)
            {
                Proto.Bytes(o, 14, Proto.Message(s =>
                {
                    Proto.String(s, 1, key);
                    Proto.String(s, 2, value);
                }));
            }
        });
    }

    static byte[] ValueInfo(string name, OnnxElementType type, IReadOnlyList<long?> shape, string dynamicName)
    {
        var dims = shape.Select(d => Proto.Message(o =>
        {
            if (d is { } fixedSize)
                Proto.Int64(o, 1, fixedSize);
            else
                Proto.String(o, 2, dynamicName);
        })).ToArray();
        var shapeProto = Proto.Message(o =>
        {
            foreach (var dim in dims)
                Proto.Bytes(o, 1, dim);
        });
        var tensorType = Proto.Message(o =>
        {
            Proto.Int64(o, 1, (long)type);
            Proto.Bytes(o, 2, shapeProto);
        });
        var typeProto = Proto.Message(o => Proto.Bytes(o, 1, tensorType));
        return Proto.Message(o =>
        {
            Proto.String(o, 1, name);
            Proto.Bytes(o, 2, typeProto);
        });
    }

    static void CheckCount(string hint, ReadOnlySpan<long> dims, int count)
    {
        long expected = 1;
        foreach (var d in dims)
            expected *= d;
        if (expected != count)
            throw new ArgumentException($"Initialiser '{hint}' has {count} values for a shape of {expected}.", nameof(dims));
    }
}

/// <summary>The few protobuf wire operations the ONNX messages need.</summary>
internal static class Proto
{
    public static byte[] Message(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            write(output);
            output.Flush();
        }
        return stream.ToArray();
    }

    public static void String(CodedOutputStream o, int field, string value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    public static void Bytes(CodedOutputStream o, int field, byte[] value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(UnsafeByteOperations.UnsafeWrap(value));
    }

    public static void Int64(CodedOutputStream o, int field, long value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(value);
    }

    public static void PackedInt64s(CodedOutputStream o, int field, long[] values)
    {
        if (values.Length == 0)
            return;
        var packed = Message(p =>
        {
            foreach (var v in values)
                p.WriteInt64(v);
        });
        Bytes(o, field, packed);
    }

    public static void PackedFloats(CodedOutputStream o, int field, float[] values)
    {
        if (values.Length == 0)
            return;
        Bytes(o, field, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }
}
