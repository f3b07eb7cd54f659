using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Text.RegularExpressions;
using AutoClassify.Tensors.Pickle;

namespace AutoClassify.Tensors;

/// <summary>
/// Reads PyTorch state dicts written by <c>torch.save</c> (torchvision's <c>.pth</c> weights) without Python and
/// without running anything from the file. Two layouts are understood: the zip archive of PyTorch 1.6 and later
/// (<c>&lt;name&gt;/data.pkl</c> plus one raw little-endian entry per storage under <c>&lt;name&gt;/data/</c>), and the
/// older "legacy" stream of consecutive pickles followed by the raw storages. The pickle is read by a restricted
/// reader that accepts only dicts, tensors and storage types; any other global or opcode is refused with an
/// <see cref="InvalidDataException"/> naming the file, the offending item and its offset.
/// </summary>
public static partial class PthFile
{
    // A state dict's pickle is tens of kilobytes even for large networks; anything far beyond is not one.
    const long MaxPickleBytes = 256L * 1024 * 1024;

    // PyTorch's legacy-format magic number, the first pickle of such a file.
    static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356", CultureInfo.InvariantCulture);

    const long LegacyProtocolVersion = 1001;

    /// <summary>
    /// Reads every tensor of a state dict into new CPU tensors (the caller disposes them), in the file's order.
    /// Floating-point tensors come back as Float32 (half, bfloat16 and double are converted); integer and
    /// boolean buffers such as <c>num_batches_tracked</c> keep their type. Views, strides and storage offsets are
    /// resolved into contiguous copies.
    /// </summary>
    public static OrderedDictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: PyTorch weights file not found.", path);
        RequireLittleEndian();
        Span<byte> head = stackalloc byte[8];
        int read;
        using (var probe = File.OpenRead(path))
            read = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        try
        {
            if (read >= 4 && head[..4].SequenceEqual("PK\u0003\u0004"u8))
                return LoadZip(path);
            if (read >= 2 && head[0] == 0x80)
                return LoadLegacy(path);
        }
        catch (OverflowException)
        {
            throw Bad(path, "a size, stride or offset it declares is too large for any file");
        }
        throw Bad(path, "it is neither a zip archive (PyTorch 1.6+) nor a legacy pickle stream; PyTorch's pre-0.1.10 tar format is not supported");
    }

    // ---- zip layout ---------------------------------------------------------------------------------------

    static OrderedDictionary<string, Tensor> LoadZip(string path)
    {
        using var stream = File.OpenRead(path);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, "it starts like a zip archive but cannot be read as one: " + e.Message);
        }

        using (archive)
        {
            var entries = CheckEntries(path, archive);
            var prefix = entries.Prefix;
            if (entries.ByName.TryGetValue(prefix + "byteorder", out var byteOrder))
            {
                var order = System.Text.Encoding.ASCII.GetString(ReadEntry(path, byteOrder, byteOrder.Length, 16)).Trim();
                if (order != "little")
                    throw Bad(path, $"its tensors are stored '{order}'-endian; only little-endian files are supported");
            }
            if (!entries.ByName.TryGetValue(prefix + "data.pkl", out var pickleEntry))
                throw Bad(path, $"the archive has no '{prefix}data.pkl'");
            var pickle = ReadEntry(path, pickleEntry, pickleEntry.Length, MaxPickleBytes);

            var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
            object ZipStorage(PickleTuple id, long offset)
            {
                // ('storage', torch.<Type>Storage, key, location, numel)
                if (id.Count != 5 || id[0] is not "storage" || id[2] is not string key || id[3] is not string || id[4] is not long numel)
                    throw RestrictedUnpickler.Refused(path, "a persistent ID that is not ('storage', type, key, location, size)", offset);
                if (!TorchStorageTypes.TryGet(id[1], out var dtype))
                    throw RestrictedUnpickler.Refused(path, $"storage type '{id[1]}'", offset);
                if (storages.TryGetValue(key, out var known))
                    return known.DType == dtype && known.Numel == numel ? known : throw Bad(path, $"storage '{key}' is declared twice with different types or sizes");
                if (!StorageKey().IsMatch(key) || numel < 0)
                    throw Bad(path, $"storage key '{key}' or size {numel} is malformed");
                if (!entries.ByName.TryGetValue(prefix + "data/" + key, out var entry))
                    throw Bad(path, $"the pickle refers to storage '{key}' but the archive has no '{prefix}data/{key}'");
                var bytes = checked(numel * dtype.ElementSize());
                if (entry.Length != bytes)
                    throw Bad(path, $"storage '{key}' holds {entry.Length} bytes but {numel} elements of {dtype} need {bytes}");
                var storage = new TorchStorage(key, dtype, numel) { Bytes = ReadEntry(path, entry, bytes, bytes) };
                storages.Add(key, storage);
                return storage;
            }

            var (value, _) = RestrictedUnpickler.Load(pickle, 0, path, ZipStorage);
            return Materialise(path, value);
        }
    }

    sealed record ZipEntries(string Prefix, Dictionary<string, ZipArchiveEntry> ByName);

    // torch.save writes every entry under one top folder; refuse names a careless extractor could misuse.
    static ZipEntries CheckEntries(string path, ZipArchive archive)
    {
        var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        string? top = null;
        foreach (var entry in archive.Entries)
        {
            var name = entry.FullName;
            var segments = name.Split('/');
            var isDirectory = name.EndsWith('/');
            var parts = isDirectory ? segments[..^1] : segments;
            if (name.Length == 0 || name.Contains('\\', StringComparison.Ordinal) || name.Contains(':', StringComparison.Ordinal)
                || parts.Length < 2 || parts.Any(p => p.Length == 0 || p == "." || p == ".." || p.Any(char.IsControl)))
                throw Bad(path, $"the archive holds an entry named '{name}', which is not a plain path inside one folder");
            if (top is null)
                top = parts[0];
            else if (parts[0] != top)
                throw Bad(path, $"the archive mixes top-level folders '{top}' and '{parts[0]}'");
            if (!byName.TryAdd(name, entry))
                throw Bad(path, $"the archive holds two entries named '{name}'");
        }
        if (top is null)
            throw Bad(path, "the archive is empty");
        return new ZipEntries(top + "/", byName);
    }

    static byte[] ReadEntry(string path, ZipArchiveEntry entry, long expected, long limit)
    {
        if (expected > limit || expected > Array.MaxLength)
            throw Bad(path, $"entry '{entry.FullName}' is {expected} bytes, more than the {limit} allowed");
        var bytes = new byte[expected];
        using var stream = entry.Open();
        try
        {
            stream.ReadExactly(bytes);
            // A compressed entry that inflates beyond its declared size is not what the directory says.
            if (stream.ReadByte() != -1)
                throw Bad(path, $"entry '{entry.FullName}' is longer than its declared {expected} bytes");
        }
        catch (EndOfStreamException)
        {
            throw Bad(path, $"entry '{entry.FullName}' is shorter than its declared {expected} bytes");
        }
        return bytes;
    }

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex StorageKey();

    // ---- legacy layout ------------------------------------------------------------------------------------

    static OrderedDictionary<string, Tensor> LoadLegacy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var (magic, position) = RestrictedUnpickler.Load(bytes, 0, path);
        if (magic is not BigInteger number || number != LegacyMagic)
            throw Bad(path, "it is a pickle but not a PyTorch checkpoint (wrong magic number)");
        (var protocol, position) = RestrictedUnpickler.Load(bytes, position, path);
        if (protocol is not LegacyProtocolVersion)
            throw Bad(path, $"legacy checkpoint protocol {protocol} is not the supported {LegacyProtocolVersion}");
        (var systemInfo, position) = RestrictedUnpickler.Load(bytes, position, path);
        if (systemInfo is not PickleDict info || info.Get("little_endian") is not true)
            throw Bad(path, "it was written on a big-endian machine (or has no system information); only little-endian files are supported");

        var roots = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        var views = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        object LegacyStorage(PickleTuple id, long offset)
        {
            // ('storage', torch.<Type>Storage, root key, location, root size, None or (view key, offset, view size))
            if (id.Count != 6 || id[0] is not "storage" || id[2] is not string key || id[3] is not string || id[4] is not long numel || numel < 0)
                throw RestrictedUnpickler.Refused(path, "a persistent ID that is not ('storage', type, key, location, size, view)", offset);
            if (!TorchStorageTypes.TryGet(id[1], out var dtype))
                throw RestrictedUnpickler.Refused(path, $"storage type '{id[1]}'", offset);
            if (!roots.TryGetValue(key, out var root))
                roots.Add(key, root = new TorchStorage(key, dtype, numel));
            else if (root.DType != dtype || root.Numel != numel)
                throw Bad(path, $"storage '{key}' is declared twice with different types or sizes");
            switch (id[5])
            {
                case null:
                    return root;
                case PickleTuple { Count: 3 } view when view[0] is string viewKey && view[1] is long start && view[2] is long length:
                    if (start < 0 || length < 0 || start + length > numel)
                        throw Bad(path, $"view '{viewKey}' of storage '{key}' lies outside it");
                    if (!views.TryGetValue(viewKey, out var existing))
                        views.Add(viewKey, existing = new TorchStorage(viewKey, dtype, length) { Root = root, RootOffset = start });
                    return existing;
                default:
                    throw RestrictedUnpickler.Refused(path, "a storage view description that is not (key, offset, size)", offset);
            }
        }

        (var value, position) = RestrictedUnpickler.Load(bytes, position, path, LegacyStorage);
        (var keyList, position) = RestrictedUnpickler.Load(bytes, position, path);
        if (keyList is not PickleList keys || keys.Items.Any(k => k is not string))
            throw Bad(path, "the list of storage keys after the state dict is missing or malformed");

        foreach (var key in keys.Items.Cast<string>())
        {
            if (!roots.TryGetValue(key, out var storage) || storage.Bytes is not null)
                throw Bad(path, $"it stores data for storage '{key}', which no tensor uses or which appears twice");
            if (bytes.Length - position < 8)
                throw Bad(path, $"it ends before the data of storage '{key}'");
            var numel = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(position));
            position += 8;
            if (numel != storage.Numel)
                throw Bad(path, $"storage '{key}' is declared with {storage.Numel} elements but stored with {numel}");
            var length = checked(numel * storage.DType.ElementSize());
            if (length > bytes.Length - position)
                throw Bad(path, $"it ends inside the data of storage '{key}'");
            storage.Bytes = bytes.AsSpan(position, (int)length).ToArray();
            position += (int)length;
        }
        var unread = roots.Values.FirstOrDefault(s => s.Bytes is null);
        if (unread is not null)
            throw Bad(path, $"storage '{unread.Key}' is used by a tensor but its data is missing");
        return Materialise(path, value);
    }

    // ---- tensors ------------------------------------------------------------------------------------------

    static OrderedDictionary<string, Tensor> Materialise(string path, object? value)
    {
        if (value is not PickleDict dict)
            throw Bad(path, $"it holds a {Describe(value)}, not a state dict (a dict of names to tensors)");
        foreach (var (key, item) in dict.Items)
        {
            if (key is not string || item is not TensorRecord)
            {
                throw Bad(path, $"entry '{key}' is a {Describe(item)}, not a tensor. Only plain state dicts are read; "
                    + "for a training checkpoint, save its model's state_dict() on its own");
            }
        }

        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, item) in dict.Items)
                result.Add((string)key, ToTensor(path, (string)key, (TensorRecord)item!));
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
        return result;
    }

    static Tensor ToTensor(string path, string name, TensorRecord record)
    {
        var storage = (TorchStorage)record.Storage;
        var (shape, strides) = (record.Shape, record.Strides);
        if (shape.Length != strides.Length || shape.Any(s => s < 0) || strides.Any(s => s < 0) || record.StorageOffset < 0)
            throw Bad(path, $"tensor '{name}' has a malformed size {Tensor.FormatShape(shape)}, stride {Tensor.FormatShape(strides)} or offset {record.StorageOffset}");
        var count = 1L;
        var last = record.StorageOffset;
        foreach (var (size, stride) in shape.Zip(strides))
        {
            count = checked(count * size);
            if (size > 0)
                last = checked(last + ((size - 1) * stride));
        }
        if (count > 0 && last >= storage.Numel)
            throw Bad(path, $"tensor '{name}' reaches element {last} of a storage of {storage.Numel}");

        var elementSize = storage.DType.ElementSize();
        var byteCount = checked(count * elementSize);
        if (byteCount > Array.MaxLength)
            throw Bad(path, $"tensor '{name}' is {byteCount} bytes, larger than this reader supports");
        var bytes = new byte[byteCount];
        if (count > 0)
        {
            var root = storage.Root ?? storage;
            var first = checked((int)((storage.RootOffset + record.StorageOffset) * elementSize));
            Gather(root.Bytes.AsSpan(first), bytes, shape, strides, elementSize);
        }

        var tensor = Tensor.FromRaw(bytes, storage.DType, shape);
        if (storage.DType is not (ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
            return tensor;
        using (tensor)
            return tensor.To(ScalarType.Float32);
    }

    // Copies the elements a (shape, strides) view selects, in row-major order.
    static void Gather(ReadOnlySpan<byte> source, Span<byte> destination, long[] shape, long[] strides, int elementSize)
    {
        var contiguous = true;
        var expected = 1L;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && strides[d] != expected)
                contiguous = false;
            expected *= shape[d];
        }
        if (contiguous)
        {
            source[..destination.Length].CopyTo(destination);
            return;
        }

        var index = new long[shape.Length];
        var offset = 0L;
        for (var written = 0; written < destination.Length; written += elementSize)
        {
            source.Slice((int)(offset * elementSize), elementSize).CopyTo(destination.Slice(written, elementSize));
            for (var d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d])
                {
                    offset += strides[d];
                    break;
                }
                offset -= (shape[d] - 1) * strides[d];
                index[d] = 0;
            }
        }
    }

    static string Describe(object? value) => value switch
    {
        null => "None",
        PickleDict => "dict",
        PickleList => "list",
        PickleTuple => "tuple",
        TensorRecord => "tensor",
        TorchStorage => "bare storage",
        string => "string",
        bool => "boolean",
        long or double or BigInteger => "number",
        _ => value.GetType().Name,
    };

    static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("PyTorch weight files are little-endian; this machine is not.");
    }

    static InvalidDataException Bad(string path, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}: not a readable PyTorch state dict: {problem}."));
}
