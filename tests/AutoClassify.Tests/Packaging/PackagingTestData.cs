using System.IO.Compression;
using AutoClassify.Imaging;
using AutoClassify.Models;
using AutoClassify.Packaging;
using AutoClassify.Tests.Support;

namespace AutoClassify.Tests.Packaging;

/// <summary>A small separable two-class image set on disk and a real SVM package trained on it.</summary>
internal static class PackagingTestData
{
    public static readonly string[] Classes = ["large", "small"];

    /// <summary>Writes <c>root/large</c> and <c>root/small</c>: dark disks of clearly different radius on noise.</summary>
    public static string WriteDataset(string root, int perClass = 10, int size = 32, int seed = 0)
    {
        for (var c = 0; c < Classes.Length; c++)
        {
            var dir = Path.Combine(root, Classes[c]);
            Directory.CreateDirectory(dir);
            for (var i = 0; i < perClass; i++)
            {
                var radius = (c == 0 ? size * 0.33 : size * 0.15) + (i % 3) * 0.5;
                PngWriter.Write(Path.Combine(dir, $"{Classes[c]}_{i:D3}.png"), TestImages.Disk(size, radius, seed + (c * 1000) + i));
            }
        }
        return root;
    }

    public static PackageTrainingOptions Options(string dataset, double threshold = 0, double validation = 0.2) => new()
    {
        DatasetPath = dataset,
        Model = "svm",
        Seed = 5,
        Threads = 2,
        ValidationShare = validation,
        DefaultThreshold = threshold,
        ModelSettings = new ModelSettings { Grid = "coarse" },
        CommandLine = "test",
    };

    public static TrainedPackage Train(string dataset, double threshold = 0) => PackageTrainer.Train(Options(dataset, threshold));

    /// <summary>Copies a package, letting <paramref name="edit"/> rewrite the entry list (name, bytes) in order.</summary>
    /// <summary>Saves a model into <paramref name="folder"/> with <paramref name="save"/>, then edits its JSON description <paramref name="infoFile"/> there; returns the folder.</summary>
    public static string SavedWithEditedInfo(string folder, Action<string> save, string infoFile, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        save(folder);
        var path = Path.Combine(folder, infoFile);
        var info = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(info);
        File.WriteAllText(path, info.ToJsonString());
        return folder;
    }

    public static void Rewrite(string source, string target, Func<List<(string Name, byte[] Data)>, List<(string Name, byte[] Data)>> edit)
    {
        var entries = new List<(string, byte[])>();
        using (var zip = ZipFile.OpenRead(source))
        {
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                entries.Add((entry.FullName, buffer.ToArray()));
            }
        }
        using var output = new FileStream(target, FileMode.Create);
        using var rewritten = new ZipArchive(output, ZipArchiveMode.Create);
        foreach (var (name, data) in edit(entries))
        {
            using var stream = rewritten.CreateEntry(name).Open();
            stream.Write(data);
        }
    }
}

/// <summary>Packaging tests run one class at a time: they train real SVMs and check the shared temp folder.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingTests
{
    public const string Name = "packaging";
}
