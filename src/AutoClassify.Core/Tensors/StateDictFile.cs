using System.Buffers.Binary;

namespace AutoClassify.Tensors;

/// <summary>The on-disk layouts <see cref="StateDictFile"/> reads.</summary>
public enum StateDictFormat
{
    /// <summary>Hugging Face <c>.safetensors</c> (also what AutoClassify writes).</summary>
    SafeTensors,

    /// <summary><c>torch.save</c> zip archive (PyTorch 1.6 and later).</summary>
    TorchZip,

    /// <summary><c>torch.save</c> legacy pickle stream (before PyTorch 1.6).</summary>
    TorchLegacy,
}

/// <summary>
/// One entry point for network weights: <c>.safetensors</c> files and PyTorch <c>.pth</c>/<c>.pt</c> state
/// dicts (zip or legacy), recognised by their first bytes rather than their extension.
/// </summary>
public static class StateDictFile
{
    /// <summary>Reads every tensor of a weights file into new CPU tensors (the caller disposes them), in file order.</summary>
    public static OrderedDictionary<string, Tensor> Load(string path) => DetectFormat(path) switch
    {
        StateDictFormat.SafeTensors => SafeTensorsFile.Load(path),
        _ => PthFile.Load(path),
    };

    /// <summary>Writes a state dict as <c>.safetensors</c> (atomically); see <see cref="SafeTensorsFile.Save"/>.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsFile.Save(path, tensors, metadata);

    /// <summary>Which layout a file uses, from its magic bytes; an unknown layout is an <see cref="InvalidDataException"/>.</summary>
    public static StateDictFormat DetectFormat(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: weights file not found.", path);
        Span<byte> head = stackalloc byte[9];
        int read;
        long length;
        using (var stream = File.OpenRead(path))
        {
            length = stream.Length;
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        if (read >= 4 && head[..4].SequenceEqual("PK\u0003\u0004"u8))
            return StateDictFormat.TorchZip;
        if (read >= 2 && head[0] == 0x80)
            return StateDictFormat.TorchLegacy;
        // safetensors: a little-endian header length, then the JSON header itself.
        if (read == 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) <= (ulong)(length - 8))
            return StateDictFormat.SafeTensors;
        throw new InvalidDataException(
            $"{path}: not a weights file this program reads (expected .safetensors, or a PyTorch .pth/.pt state dict saved with torch.save).");
    }
}
