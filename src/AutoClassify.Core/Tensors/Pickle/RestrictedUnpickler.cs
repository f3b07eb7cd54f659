using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace AutoClassify.Tensors.Pickle;

/// <summary>A pickled tuple.</summary>
internal sealed record PickleTuple(IReadOnlyList<object?> Items)
{
    public int Count => Items.Count;

    public object? this[int index] => Items[index];
}

/// <summary>A pickled list.</summary>
internal sealed class PickleList
{
    public List<object?> Items { get; } = [];
}

/// <summary>A pickled dict or <c>collections.OrderedDict</c>, in insertion order.</summary>
internal sealed class PickleDict
{
    readonly Dictionary<object, int> index = [];

    public List<KeyValuePair<object, object?>> Items { get; } = [];

    public object? Get(string key) => index.TryGetValue(key, out var i) ? Items[i].Value : null;

    /// <summary>Adds or replaces (keeping the first position), as assigning to a Python dict does.</summary>
    public void Set(object key, object? value)
    {
        if (index.TryGetValue(key, out var i))
        {
            Items[i] = new(key, value);
            return;
        }
        index.Add(key, Items.Count);
        Items.Add(new(key, value));
    }
}

/// <summary>A reference to one of the few globals a state dict may name (never resolved to code).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => Module + "." + Name;
}

/// <summary>What <c>torch._utils._rebuild_tensor_v2</c> would build: a view of a storage.</summary>
internal sealed record TensorRecord(object Storage, long StorageOffset, long[] Shape, long[] Strides);

/// <summary>
/// A pickle reader that understands only what a PyTorch state dict is made of: dicts (plain and
/// <c>collections.OrderedDict</c>), tuples, lists, strings, numbers, booleans, None, tensors rebuilt by
/// <c>torch._utils</c> and storages named by <c>torch.*Storage</c> and loaded through persistent IDs. Any other
/// global (<c>os.system</c>, <c>builtins.eval</c>, …) and any opcode not listed is refused: nothing is ever
/// imported or called, the "calls" it allows are interpreted here.
/// </summary>
internal sealed class RestrictedUnpickler
{
    const int MaxProtocol = 5;

    // Persistent storages are the only way a state dict's data enters; tensors are rebuilt from them.
    static readonly HashSet<(string, string)> AllowedGlobals =
    [
        ("collections", "OrderedDict"),
        ("torch._utils", "_rebuild_tensor"),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch._utils", "_rebuild_parameter_with_state"),
        .. TorchStorageTypes.Names.Select(n => ("torch", n)),
    ];

    readonly byte[] data;
    readonly string source;
    readonly Func<PickleTuple, long, object> persistentLoad;
    readonly List<object?> stack = [];
    readonly List<int> marks = [];
    readonly Dictionary<long, object?> memo = [];
    int position;
    int opcodeStart;

    RestrictedUnpickler(byte[] data, int start, string source, Func<PickleTuple, long, object> persistentLoad)
    {
        this.data = data;
        position = start;
        this.source = source;
        this.persistentLoad = persistentLoad;
    }

    /// <summary>
    /// Reads one pickle starting at <paramref name="start"/> and returns its value and the offset just past its
    /// STOP opcode. <paramref name="persistentLoad"/> turns a persistent ID (with its byte offset, for messages)
    /// into a storage object.
    /// </summary>
    public static (object? Value, int End) Load(byte[] data, int start, string source, Func<PickleTuple, long, object>? persistentLoad = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var reader = new RestrictedUnpickler(data, start, source,
            persistentLoad ?? ((_, offset) => throw Refused(source, "a persistent ID (storage reference)", offset)));
        var value = reader.Run();
        return (value, reader.position);
    }

    object? Run()
    {
        while (true)
        {
            opcodeStart = position;
            var opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    var protocol = ReadByte();
                    if (protocol > MaxProtocol)
                        throw Corrupt($"unsupported pickle protocol {protocol}");
                    break;
                case 0x95: // FRAME: a length hint only
                    Take(8);
                    break;
                case (byte)'.': // STOP
                    if (stack.Count != 1 || marks.Count != 0)
                        throw Corrupt($"STOP with {stack.Count} values on the stack");
                    return stack[0];
                case (byte)'(': // MARK
                    marks.Add(stack.Count);
                    break;
                case (byte)'N':
                    Push(null);
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case 0x8a: // LONG1
                    PushLong(ReadByte());
                    break;
                case (byte)'G': // BINFLOAT
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(ReadString(ReadByte()));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(ReadString(BinaryPrimitives.ReadUInt64LittleEndian(Take(8))));
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(new PickleTuple([]));
                    break;
                case 0x85: // TUPLE1
                case 0x86: // TUPLE2
                case 0x87: // TUPLE3
                    Push(new PickleTuple(PopN(opcode - 0x84)));
                    break;
                case (byte)'t': // TUPLE
                    Push(new PickleTuple(PopToMark()));
                    break;
                case (byte)']': // EMPTY_LIST
                    Push(new PickleList());
                    break;
                case (byte)'l': // LIST
                    var list = new PickleList();
                    list.Items.AddRange(PopToMark());
                    Push(list);
                    break;
                case (byte)'a': // APPEND
                    var item = Pop();
                    Peek<PickleList>("APPEND").Items.Add(item);
                    break;
                case (byte)'e': // APPENDS
                    var items = PopToMark();
                    Peek<PickleList>("APPENDS").Items.AddRange(items);
                    break;
                case (byte)'}': // EMPTY_DICT
                    Push(new PickleDict());
                    break;
                case (byte)'d': // DICT
                    var dict = new PickleDict();
                    AddPairs(dict, PopToMark());
                    Push(dict);
                    break;
                case (byte)'s': // SETITEM
                    var value = Pop();
                    var key = Pop();
                    AddPairs(Peek<PickleDict>("SETITEM"), [key, value]);
                    break;
                case (byte)'u': // SETITEMS
                    var pairs = PopToMark();
                    AddPairs(Peek<PickleDict>("SETITEMS"), pairs);
                    break;
                case (byte)'q': // BINPUT
                    Memoize(ReadByte());
                    break;
                case (byte)'r': // LONG_BINPUT
                    Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)));
                    break;
                case 0x94: // MEMOIZE
                    Memoize(memo.Count);
                    break;
                case (byte)'h': // BINGET
                    Push(Recall(ReadByte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case (byte)'c': // GLOBAL
                    var module = ReadLine();
                    Push(Global(module, ReadLine()));
                    break;
                case 0x93: // STACK_GLOBAL
                    var name = Pop() as string;
                    var owner = Pop() as string;
                    if (name is null || owner is null)
                        throw Corrupt("STACK_GLOBAL needs two strings");
                    Push(Global(owner, name));
                    break;
                case (byte)'Q': // BINPERSID
                    if (Pop() is not PickleTuple id)
                        throw Refused(source, "a persistent ID that is not a tuple", opcodeStart);
                    Push(persistentLoad(id, opcodeStart));
                    break;
                case (byte)'R': // REDUCE
                    var arguments = Pop() as PickleTuple ?? throw Corrupt("REDUCE arguments are not a tuple");
                    Push(Call(Pop(), arguments));
                    break;
                case (byte)'b': // BUILD
                    Build(Pop());
                    break;
                default:
                    throw Refused(source, string.Create(CultureInfo.InvariantCulture, $"opcode 0x{opcode:x2} ('{Printable(opcode)}')"), opcodeStart);
            }
        }
    }

    PickleGlobal Global(string module, string name)
    {
        if (!AllowedGlobals.Contains((module, name)))
            throw Refused(source, $"global '{module}.{name}'", opcodeStart);
        return new PickleGlobal(module, name);
    }

    // The only callables: an empty OrderedDict and torch's tensor/parameter rebuild functions, interpreted here.
    object Call(object? callable, PickleTuple arguments)
    {
        if (callable is not PickleGlobal global)
            throw Refused(source, "a call of something that is not an allowed global", opcodeStart);
        switch (global.Module, global.Name)
        {
            case ("collections", "OrderedDict"):
                if (arguments.Count != 0)
                    throw Refused(source, "collections.OrderedDict with constructor arguments", opcodeStart);
                return new PickleDict();
            case ("torch._utils", "_rebuild_tensor_v2"):
                // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (arguments.Count is < 6 or > 7)
                    throw Corrupt($"_rebuild_tensor_v2 takes 6 or 7 arguments, got {arguments.Count}");
                if (arguments[5] is not PickleDict)
                    throw Corrupt("_rebuild_tensor_v2's backward hooks are not an OrderedDict");
                return RebuildTensor(arguments);
            case ("torch._utils", "_rebuild_tensor"):
                if (arguments.Count != 4)
                    throw Corrupt($"_rebuild_tensor takes 4 arguments, got {arguments.Count}");
                return RebuildTensor(arguments);
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                // (data, requires_grad, backward_hooks[, state]): the parameter's data is the tensor itself.
                if (arguments.Count is < 3 or > 4 || arguments[0] is not TensorRecord data)
                    throw Corrupt($"{global} needs a tensor and 2 or 3 further arguments");
                return data;
            default:
                throw Refused(source, $"a call of '{global}'", opcodeStart);
        }
    }

    TensorRecord RebuildTensor(PickleTuple arguments)
    {
        var storage = arguments[0] ?? throw Corrupt("tensor without a storage");
        if (storage is not TorchStorage)
            throw Corrupt("tensor rebuilt from something that is not a persistent storage");
        if (arguments[1] is not long offset)
            throw Corrupt("tensor storage offset is not an integer");
        return new TensorRecord(storage, offset, Longs(arguments[2], "size"), Longs(arguments[3], "stride"));
    }

    long[] Longs(object? value, string what)
    {
        if (value is not PickleTuple tuple)
            throw Corrupt($"tensor {what} is not a tuple");
        var result = new long[tuple.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = tuple[i] as long? ?? throw Corrupt($"tensor {what} holds a non-integer");
        return result;
    }

    void Build(object? state)
    {
        // OrderedDict state: the state dict's _metadata attribute (layer versions), which a loader ignores.
        if (Peek<object>("BUILD") is PickleDict && state is PickleDict or PickleTuple or null)
            return;
        throw Refused(source, "BUILD (setting object state) on anything but an OrderedDict", opcodeStart);
    }

    void AddPairs(PickleDict dict, List<object?> flat)
    {
        if (flat.Count % 2 != 0)
            throw Corrupt("odd number of items for a dict");
        for (var i = 0; i < flat.Count; i += 2)
        {
            if (flat[i] is not (string or long or bool) || flat[i] is not { } key)
                throw Corrupt("dict key that is not a string or number");
            dict.Set(key, flat[i + 1]);
        }
    }

    void PushLong(int length)
    {
        if (length > 16)
            throw Refused(source, $"an integer of {length} bytes", opcodeStart);
        var value = new BigInteger(Take(length), isUnsigned: false, isBigEndian: false);
        if (value >= long.MinValue && value <= long.MaxValue)
            Push((long)value);
        else
            Push(value);
    }

    string ReadString(ulong length)
    {
        if (length > (ulong)(data.Length - position))
            throw Corrupt($"string of {length} bytes runs past the end");
        try
        {
            return new UTF8Encoding(false, true).GetString(Take((int)length));
        }
        catch (DecoderFallbackException)
        {
            throw Corrupt("string is not valid UTF-8");
        }
    }

    // GLOBAL's operands: text lines of printable ASCII.
    string ReadLine()
    {
        var end = Array.IndexOf(data, (byte)'\n', position);
        if (end < 0 || end - position > 256)
            throw Corrupt("GLOBAL name is not terminated");
        var line = data.AsSpan(position, end - position);
        foreach (var b in line)
        {
            if (b is < 0x20 or > 0x7e)
                throw Corrupt("GLOBAL name is not printable ASCII");
        }
        position = end + 1;
        return Encoding.ASCII.GetString(line);
    }

    void Memoize(long index)
    {
        if (stack.Count == 0)
            throw Corrupt("memo store from an empty stack");
        memo[index] = stack[^1];
    }

    object? Recall(long index) => memo.TryGetValue(index, out var value) ? value : throw Corrupt($"memo entry {index} was never stored");

    byte ReadByte()
    {
        if (position >= data.Length)
            throw Corrupt("pickle ends without STOP");
        return data[position++];
    }

    ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > data.Length - position)
            throw Corrupt("pickle ends in the middle of an opcode");
        var span = data.AsSpan(position, count);
        position += count;
        return span;
    }

    void Push(object? value) => stack.Add(value);

    object? Pop()
    {
        if (stack.Count == 0 || (marks.Count > 0 && stack.Count <= marks[^1]))
            throw Corrupt("stack underflow");
        var value = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    T Peek<T>(string opcode)
    {
        if (stack.Count == 0 || stack[^1] is not T value)
            throw Corrupt($"{opcode} applied to the wrong kind of object");
        return value;
    }

    List<object?> PopN(int count)
    {
        var floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count - floor < count)
            throw Corrupt("stack underflow");
        var items = stack.GetRange(stack.Count - count, count);
        stack.RemoveRange(stack.Count - count, count);
        return items;
    }

    List<object?> PopToMark()
    {
        if (marks.Count == 0)
            throw Corrupt("no MARK to pop to");
        var mark = marks[^1];
        marks.RemoveAt(marks.Count - 1);
        var items = stack.GetRange(mark, stack.Count - mark);
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    static char Printable(byte opcode) => opcode is >= 0x20 and < 0x7f ? (char)opcode : '?';

    InvalidDataException Corrupt(string problem) => new(string.Create(CultureInfo.InvariantCulture,
        $"{source}: corrupt pickle: {problem} (opcode at byte offset {opcodeStart})."));

    /// <summary>The error for anything outside the state-dict subset of pickle.</summary>
    public static InvalidDataException Refused(string source, string what, long offset) => new(string.Create(CultureInfo.InvariantCulture,
        $"{source}: refused {what} at byte offset {offset} of the pickle. Only state dicts (tensors in dicts) are read; nothing in the file is run."));
}
