namespace AutoClassify.Tensors.Pickle;

/// <summary>The <c>torch.*Storage</c> classes a checkpoint may name, and the element type each holds.</summary>
internal static class TorchStorageTypes
{
    static readonly Dictionary<string, ScalarType> Types = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32,
        ["DoubleStorage"] = ScalarType.Float64,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.UInt8,
        ["BoolStorage"] = ScalarType.Bool,
    };

    public static IEnumerable<string> Names => Types.Keys;

    public static bool TryGet(object? global, out ScalarType dtype)
    {
        dtype = default;
        return global is PickleGlobal { Module: "torch" } g && Types.TryGetValue(g.Name, out dtype);
    }
}

/// <summary>
/// One storage of a checkpoint: a flat run of <see cref="Numel"/> elements. A legacy-format view shares its
/// root's bytes from <see cref="RootOffset"/> on.
/// </summary>
internal sealed class TorchStorage(string key, ScalarType dtype, long numel)
{
    public string Key { get; } = key;

    public ScalarType DType { get; } = dtype;

    public long Numel { get; } = numel;

    /// <summary>The storage this one is a view of (legacy format only), or null.</summary>
    public TorchStorage? Root { get; init; }

    /// <summary>First element of this storage inside <see cref="Root"/>.</summary>
    public long RootOffset { get; init; }

    /// <summary>The raw little-endian elements of a root storage, once read.</summary>
    public byte[]? Bytes { get; set; }
}
