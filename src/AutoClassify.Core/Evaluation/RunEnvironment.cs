using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using AutoClassify.Dataset;
using AutoClassify.Imaging.Formats;
using AutoClassify.IO;

namespace AutoClassify.Evaluation;

/// <summary>The facts a reader needs to repeat a run: the machine it ran on and the data set's content hash.</summary>
public static class RunEnvironment
{
    /// <summary>Operating system, CPU model, logical cores, architecture and .NET runtime, as readable text.</summary>
    public static Dictionary<string, string> Capture() => new()
    {
        ["Operating system"] = RuntimeInformation.OSDescription,
        ["CPU"] = CpuModel() ?? "unknown",
        ["Logical cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
        ["Architecture"] = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        [".NET runtime"] = RuntimeInformation.FrameworkDescription,
    };

    /// <summary>A LIBSVM version number (e.g. 324) as its release name ("3.24").</summary>
    public static string LibSvmVersionText(int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version / 100}.{version % 100:D2}");

    /// <summary>
    /// SHA-256 (hex) over every image's path, class and content hash and its mask's content hash, in path order:
    /// equal hashes mean the same images with the same labels and masks, however the files were copied.
    /// </summary>
    public static string DatasetHash(LabeledDataset dataset, int threads = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var lines = new string[dataset.Items.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        Parallel.For(0, lines.Length, parallel, i =>
        {
            var item = dataset.Items[i];
            lines[i] = Line(item.RelativePath, dataset.ClassNames[item.Label], FileHash.Sha256Hex(EmPath.FileOf(item.FullPath)),
                item.MaskPath is null ? null : FileHash.Sha256Hex(EmPath.FileOf(item.MaskPath)));
        });
        return HashOfLines(lines);
    }

    /// <summary>
    /// <see cref="DatasetHash(LabeledDataset, int, CancellationToken)"/> from file hashes already computed: one entry per image
    /// (its path relative to the data root, class name, SHA-256 and its mask's SHA-256 or null).
    /// </summary>
    public static string DatasetHashOf(IEnumerable<(string RelativePath, string ClassName, string ImageSha256, string? MaskSha256)> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return HashOfLines([.. images.Select(i => Line(i.RelativePath, i.ClassName, i.ImageSha256, i.MaskSha256))]);
    }

    // Tabs and newlines cannot occur in the hex hashes; a path holding one is escaped so no two listings collide.
    static string Line(string relativePath, string className, string imageSha256, string? maskSha256) =>
        $"{Escape(relativePath)}\t{Escape(className)}\t{imageSha256.ToUpperInvariant()}\t{maskSha256?.ToUpperInvariant() ?? "-"}\n";

    static string HashOfLines(string[] lines)
    {
        Array.Sort(lines, StringComparer.Ordinal);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(lines)))).ToLowerInvariant();
    }

    static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    static string? CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        try
        {
            if (!File.Exists(cpuInfo))
                return null;
            foreach (var line in File.ReadLines(cpuInfo))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                    return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}
