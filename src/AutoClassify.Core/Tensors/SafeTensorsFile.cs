using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using AutoClassify.IO;

namespace AutoClassify.Tensors;

/// <summary>
/// Reads and writes the <c>.safetensors</c> format (Hugging Face): an 8-byte little-endian header length, a
/// UTF-8 JSON header mapping each name to its dtype, shape and byte range, then the raw little-endian data.
/// Used for CNN weights; readable from Python with <c>safetensors.torch.load_file</c>.
/// </summary>
public static class SafeTensorsFile
{
    const string MetadataKey = "__metadata__";

    // Large enough for any header this project writes; guards against reading a huge length from a corrupt file.
    const long MaxHeaderBytes = 100L * 1024 * 1024;

    static readonly Dictionary<ScalarType, string> DTypeNames = new()
    {
        [ScalarType.Float32] = "F32",
        [ScalarType.Float64] = "F64",
        [ScalarType.Float16] = "F16",
        [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64",
        [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16",
        [ScalarType.Int8] = "I8",
        [ScalarType.UInt8] = "U8",
        [ScalarType.Bool] = "BOOL",
    };

    static readonly Dictionary<string, ScalarType> DTypesByName = DTypeNames.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>
    /// Writes the tensors (moved to the CPU) under their names, with optional string metadata. The file is
    /// written beside the target and renamed into place, so a reader never sees a half-written file.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();

        var entries = new List<(string Name, ScalarType DType, long[] Shape, byte[] Data)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor, name);
            if (name == MetadataKey)
                throw new ArgumentException($"'{MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
            if (!seen.Add(name))
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            var dtype = tensor.DType;
            if (!DTypeNames.ContainsKey(dtype))
                throw new ArgumentException($"Tensor '{name}' has element type {dtype}, which safetensors cannot store.", nameof(tensors));
            entries.Add((name, dtype, tensor.Shape, RawBytes(tensor, dtype)));
        }

        var header = BuildHeader(entries, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var entry in entries)
                stream.Write(entry.Data);
        });
    }

    /// <summary>Reads every tensor of a file into new CPU tensors (the caller disposes them), in header order.</summary>
    public static OrderedDictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads every tensor and the string metadata of a file.</summary>
    public static OrderedDictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        var file = ReadFile(path);
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in file.Entries)
            {
                var bytes = file.Data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin));
                result.Add(entry.Name, FromBytes(bytes, entry.DType, entry.Shape));
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
        metadata = file.Metadata;
        return result;
    }

    /// <summary>The string metadata of a file (empty when it has none), checking the whole header.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => ReadFile(path).Metadata;

    sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    sealed record Parsed(List<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, byte[] Data);

    static Parsed ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        RequireLittleEndian();
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: safetensors file not found.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8)
            throw Bad(path, $"file is {bytes.Length} bytes, shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8) || headerLength > MaxHeaderBytes)
            throw Bad(path, $"header length {headerLength} exceeds the {bytes.Length - 8} bytes after the length field");
        var dataStart = 8 + (int)headerLength;
        var data = bytes.AsSpan(dataStart).ToArray();

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw Bad(path, "header is not valid JSON: " + e.Message);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(path, "header is not a JSON object");
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                    ReadMetadataObject(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, property.Name, property.Value, data.LongLength));
            }
            CheckNoOverlap(path, entries);
            return new Parsed(entries, metadata, data);
        }
    }

    static Entry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"entry '{name}' is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(path, $"entry '{name}' has no dtype string");
        var dtypeName = dtypeElement.GetString()!;
        if (!DTypesByName.TryGetValue(dtypeName, out var dtype))
            throw Bad(path, $"entry '{name}' has unknown dtype '{dtypeName}' (supported: {string.Join(", ", DTypesByName.Keys)})");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"entry '{name}' has no shape array");
        var shape = new long[shapeElement.GetArrayLength()];
        var count = 1L;
        var i = 0;
        foreach (var size in shapeElement.EnumerateArray())
        {
            if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out var dimension) || dimension < 0)
                throw Bad(path, $"entry '{name}' has an invalid shape {shapeElement.GetRawText()}");
            shape[i++] = dimension;
            if (dimension != 0 && count > long.MaxValue / dimension)
                throw Bad(path, $"entry '{name}' has a shape {shapeElement.GetRawText()} too large for any file");
            count *= dimension;
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad(path, $"entry '{name}' has no data_offsets pair");
        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw Bad(path, $"entry '{name}' has invalid data_offsets {offsets.GetRawText()}");
        if (end > dataLength)
            throw Bad(path, $"entry '{name}' data_offsets [{begin}, {end}] run past the {dataLength} data bytes");
        if (count > long.MaxValue / dtype.ElementSize())
            throw Bad(path, $"entry '{name}' has a shape {shapeElement.GetRawText()} too large for any file");
        var expected = count * dtype.ElementSize();
        if (end - begin != expected)
            throw Bad(path, $"entry '{name}' spans {end - begin} bytes but shape {Tensor.FormatShape(shape)} of {dtypeName} needs {expected}");
        return new Entry(name, dtype, shape, begin, end);
    }

    static void ReadMetadataObject(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"'{MetadataKey}' is not an object");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Bad(path, $"metadata value '{item.Name}' is not a string");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    static void CheckNoOverlap(string path, List<Entry> entries)
    {
        var ordered = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Begin < ordered[i - 1].End)
                throw Bad(path, $"entries '{ordered[i - 1].Name}' and '{ordered[i].Name}' overlap");
        }
    }

    static byte[] BuildHeader(List<(string Name, ScalarType DType, long[] Shape, byte[] Data)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, data) in entries)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeNames[dtype]);
                json.WriteStartArray("shape");
                foreach (var size in shape)
                    json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + data.LongLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += data.LongLength;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces so the data starts 8-byte aligned.
        var length = (int)buffer.Length;
        var padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    static byte[] RawBytes(Tensor tensor, ScalarType dtype)
    {
        var bytes = new byte[checked(tensor.NumElements * dtype.ElementSize())];
        tensor.CopyRawTo(bytes);
        return bytes;
    }

    static Tensor FromBytes(ReadOnlySpan<byte> bytes, ScalarType dtype, long[] shape) => Tensor.FromRaw(bytes, dtype, shape);

    static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is not.");
    }

    static InvalidDataException Bad(string path, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}: not a valid safetensors file: {problem}."));
}
