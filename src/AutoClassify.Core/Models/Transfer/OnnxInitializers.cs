using System.Buffers.Binary;
using System.Text;

namespace AutoClassify.Models.Transfer;

/// <summary>
/// The parts of an ONNX model file that a weight import needs, read straight from the protobuf wire format (no code
/// generation, nothing executed): the graph's nodes in order (operator, inputs, outputs) and its float initialisers.
/// Only <c>ModelProto.graph</c>, <c>GraphProto.node</c>/<c>initializer</c>, <c>NodeProto.input</c>/<c>output</c>/<c>op_type</c>
/// and <c>TensorProto.dims</c>/<c>data_type</c>/<c>float_data</c>/<c>name</c>/<c>raw_data</c> are read; other fields are skipped.
/// </summary>
internal sealed class OnnxInitializers
{
    const int FloatType = 1;

    /// <summary>One node: its operator and the names of its inputs and outputs.</summary>
    public sealed record Node(string Op, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

    /// <summary>A float initialiser.</summary>
    public sealed record Initializer(long[] Dims, float[] Values);

    OnnxInitializers(List<Node> nodes, Dictionary<string, Initializer> initializers)
    {
        Nodes = nodes;
        Initializers = initializers;
    }

    public IReadOnlyList<Node> Nodes { get; }

    public IReadOnlyDictionary<string, Initializer> Initializers { get; }

    /// <summary>Reads <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming the file when it is not a well-formed ONNX model.</summary>
    public static OnnxInitializers Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            var nodes = new List<Node>();
            var initializers = new Dictionary<string, Initializer>(StringComparer.Ordinal);
            var model = new Reader(bytes);
            while (model.Next(out var field, out var wire))
            {
                if (field == 7 && wire == 2)
                    ReadGraph(model.Bytes(), nodes, initializers);
                else
                    model.Skip(wire);
            }
            if (nodes.Count == 0)
                throw new InvalidDataException("it holds no graph nodes");
            return new OnnxInitializers(nodes, initializers);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException or OverflowException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{path}: not a readable ONNX model ({e.Message}).", e);
        }
    }

    static void ReadGraph(ReadOnlySpan<byte> graph, List<Node> nodes, Dictionary<string, Initializer> initializers)
    {
        var reader = new Reader(graph);
        while (reader.Next(out var field, out var wire))
        {
            if (field == 1 && wire == 2)
                nodes.Add(ReadNode(reader.Bytes()));
            else if (field == 5 && wire == 2)
            {
                var (name, tensor) = ReadTensor(reader.Bytes());
                if (tensor is not null)
                    initializers[name] = tensor;
            }
            else
                reader.Skip(wire);
        }
    }

    static Node ReadNode(ReadOnlySpan<byte> node)
    {
        var reader = new Reader(node);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var op = "";
        while (reader.Next(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, 2):
                    inputs.Add(Encoding.UTF8.GetString(reader.Bytes()));
                    break;
                case (2, 2):
                    outputs.Add(Encoding.UTF8.GetString(reader.Bytes()));
                    break;
                case (4, 2):
                    op = Encoding.UTF8.GetString(reader.Bytes());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new Node(op, inputs, outputs);
    }

    // Non-float initialisers come back null: the import only needs floats.
    static (string Name, Initializer? Tensor) ReadTensor(ReadOnlySpan<byte> tensor)
    {
        var reader = new Reader(tensor);
        var dims = new List<long>();
        var type = 0;
        var name = "";
        var floats = new List<float>();
        byte[]? raw = null;
        while (reader.Next(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, 0):
                    dims.Add((long)reader.Varint());
                    break;
                case (1, 2):
                    var packed = new Reader(reader.Bytes());
                    while (!packed.AtEnd)
                        dims.Add((long)packed.Varint());
                    break;
                case (2, 0):
                    type = (int)reader.Varint();
                    break;
                case (4, 2):
                    var data = reader.Bytes();
                    for (var i = 0; i + 4 <= data.Length; i += 4)
                        floats.Add(BinaryPrimitives.ReadSingleLittleEndian(data[i..]));
                    break;
                case (4, 5):
                    floats.Add(BinaryPrimitives.ReadSingleLittleEndian(reader.Fixed32()));
                    break;
                case (8, 2):
                    name = Encoding.UTF8.GetString(reader.Bytes());
                    break;
                case (9, 2):
                    raw = reader.Bytes().ToArray();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        if (type != FloatType)
            return (name, null);
        var count = dims.Aggregate(1L, (a, b) => checked(a * b));
        float[] values;
        if (raw is not null)
        {
            if (raw.Length != count * 4)
                throw new InvalidDataException($"initialiser '{name}' has {raw.Length} bytes for {count} floats");
            values = new float[count];
            for (var i = 0; i < count; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(i * 4));
        }
        else
        {
            if (floats.Count != count)
                throw new InvalidDataException($"initialiser '{name}' has {floats.Count} values for {count}");
            values = [.. floats];
        }
        return (name, new Initializer([.. dims], values));
    }

    /// <summary>A protobuf wire-format reader over one message's bytes.</summary>
    ref struct Reader(ReadOnlySpan<byte> data)
    {
        readonly ReadOnlySpan<byte> data = data;
        int position;

        public readonly bool AtEnd => position >= data.Length;

        public bool Next(out int field, out int wire)
        {
            if (AtEnd)
            {
                field = wire = 0;
                return false;
            }
            var key = Varint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (position >= data.Length)
                    throw new InvalidDataException("a varint runs past the end");
                var b = data[position++];
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0)
                    return result;
            }
            throw new InvalidDataException("a varint is too long");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = checked((int)Varint());
            if (length < 0 || position + length > data.Length)
                throw new InvalidDataException("a length-delimited field runs past the end");
            var slice = data.Slice(position, length);
            position += length;
            return slice;
        }

        public ReadOnlySpan<byte> Fixed32()
        {
            if (position + 4 > data.Length)
                throw new InvalidDataException("a fixed32 runs past the end");
            var slice = data.Slice(position, 4);
            position += 4;
            return slice;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    position = checked(position + 8);
                    break;
                case 2:
                    Bytes();
                    break;
                case 5:
                    position = checked(position + 4);
                    break;
                default:
                    throw new InvalidDataException($"wire type {wire} is not supported");
            }
            if (position > data.Length)
                throw new InvalidDataException("a field runs past the end");
        }
    }
}
