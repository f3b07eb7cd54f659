using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace AutoClassify.Tests.Support;

/// <summary>
/// The torchvision-format files written by tests/fixtures/backbones/make_pth_fixture.py (python3-torch), and
/// helpers that craft malformed or hostile .pth files.
/// </summary>
internal static class BackboneFixtures
{
    public static string Folder => Path.Combine(RepoPaths.Root, "tests", "fixtures", "backbones");

    public static string Fixture(string name) => Path.Combine(Folder, name);

    /// <summary>One tensor of a fixture state dict as the script described it.</summary>
    public sealed record Entry(string Key, string DType, long[] Shape, double Sum, double SumOfSquares, double? First, double? Last);

    public static IReadOnlyList<Entry> StateDictEntries(string fixture)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Fixture("manifest.json")));
        return [.. manifest.RootElement.GetProperty("state_dicts").GetProperty(fixture).EnumerateArray().Select(e => new Entry(
            e.GetProperty("key").GetString()!,
            e.GetProperty("dtype").GetString()!,
            [.. e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())],
            e.GetProperty("sum").GetDouble(),
            e.GetProperty("sum_of_squares").GetDouble(),
            e.GetProperty("first").ValueKind == JsonValueKind.Null ? null : e.GetProperty("first").GetDouble(),
            e.GetProperty("last").ValueKind == JsonValueKind.Null ? null : e.GetProperty("last").GetDouble()))];
    }

    /// <summary>Key, shape and dtype of every state-dict entry of a full-size torchvision network, in order.</summary>
    public static IReadOnlyList<(string Key, long[] Shape, string DType)> FullSizeKeys(string network)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Fixture("manifest.json")));
        return [.. manifest.RootElement.GetProperty("full_size_keys").GetProperty(network).EnumerateArray().Select(e => (
            e[0].GetString()!,
            e[1].EnumerateArray().Select(s => s.GetInt64()).ToArray(),
            e[2].GetString()!))];
    }

    /// <summary>Writes a zip with the given entries (name, bytes), in order, as torch.save lays them out.</summary>
    public static void WriteZip(string path, params (string Name, byte[] Bytes)[] entries)
    {
        using var stream = File.Create(path);
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            var entry = archive.CreateEntry(name, CompressionLevel.NoCompression);
            using var body = entry.Open();
            body.Write(bytes);
        }
    }

    /// <summary>Pickle bytes from a readable mix of raw opcodes and strings (strings are ASCII).</summary>
    public static byte[] Pickle(params object[] parts)
    {
        var bytes = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte b:
                    bytes.Add(b);
                    break;
                case char c:
                    bytes.Add((byte)c);
                    break;
                case string s:
                    bytes.AddRange(Encoding.ASCII.GetBytes(s));
                    break;
                case byte[] raw:
                    bytes.AddRange(raw);
                    break;
                default:
                    throw new ArgumentException($"Cannot encode {part.GetType().Name}.", nameof(parts));
            }
        }
        return [.. bytes];
    }

    /// <summary>SHORT_BINUNICODE of an ASCII string.</summary>
    public static byte[] ShortString(string text) => [0x8c, (byte)text.Length, .. Encoding.ASCII.GetBytes(text)];
}
