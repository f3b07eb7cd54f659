using System.Globalization;
using AutoClassify.Dataset;

namespace AutoClassify.Packaging;

/// <summary>What <see cref="ReferenceGrowth.Add"/> did: images added per class, and those refused with the reason.</summary>
public sealed record ReferenceGrowthResult(IReadOnlyList<(string Class, int Added, int Total)> PerClass, IReadOnlyList<string> Refused, string Path);

/// <summary>
/// Grows a registry model's reference set with new labelled images (a folder with one subfolder per class). An image
/// some stored version trained on, or already in the set, is refused: a reference image must be unseen by every
/// model it judges. Later <c>train</c> and <c>retrain</c> runs leave the added images out of training by content hash.
/// </summary>
public static class ReferenceGrowth
{
    /// <summary>Adds the images under <paramref name="folder"/> to the reference set of <paramref name="name"/> and writes it.</summary>
    public static ReferenceGrowthResult Add(ModelRegistry registry, string name, string folder, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var model = registry.Show(name);
        if (model.Champion is null)
            throw new ModelRegistryException($"Model '{name}' has no champion to take its classes from.");
        var classes = model.Versions.First(v => v.Version == model.Champion).Manifest?.ClassNames
            ?? throw new ModelRegistryException($"The champion of '{name}' cannot be read.");
        var dataset = DatasetLoader.Load(folder, new DatasetOptions { Folds = 1, MinClasses = 1, Threads = threads });
        var unknown = dataset.ClassNames.Where(c => !classes.Contains(c, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"'{dataset.Root}' has class folder(s) {string.Join(", ", unknown)} that model '{name}' does not know (its classes: {string.Join(", ", classes)}).");

        var trained = model.Versions.Where(v => v.Manifest is not null)
            .SelectMany(v => v.Manifest!.Provenance.TrainingFiles.Select(f => f.Sha256))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var set = ReferenceSet.TryRead(registry, name)
            ?? new ReferenceSet { Seed = 0, Share = 0, CreatedUtc = DateTimeOffset.UtcNow };
        var known = set.Items.Select(i => i.Sha256).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var hashes = new string[dataset.Items.Count];
        Parallel.For(0, hashes.Length, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount },
            i => hashes[i] = ModelPackage.Sha256Hex(dataset.Items[i].FullPath));

        var added = new List<ReferenceItem>();
        var refused = new List<string>();
        for (var i = 0; i < hashes.Length; i++)
        {
            var item = dataset.Items[i];
            if (trained.Contains(hashes[i]))
                refused.Add($"{item.RelativePath}: a stored version of '{name}' trained on it");
            else if (!known.Add(hashes[i]))
                refused.Add($"{item.RelativePath}: already in the reference set");
            else
                added.Add(new ReferenceItem(dataset.Root, item.RelativePath, hashes[i], dataset.ClassNames[item.Label]));
        }
        foreach (var skipped in dataset.Skipped)
            refused.Add($"{skipped.RelativePath}: {skipped.Reason}");
        var grown = set with { Items = [.. set.Items, .. added] };
        if (added.Count > 0)
            grown.WriteTo(registry, name);
        var perClass = classes.Select(c => (c, added.Count(a => a.ClassName == c), grown.Items.Count(a => a.ClassName == c))).ToList();
        return new ReferenceGrowthResult(perClass, refused, ReferenceSet.PathIn(registry, name));
    }

    /// <summary>One line per class: added and total.</summary>
    public static string Describe(ReferenceGrowthResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Join(", ", result.PerClass.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Class} +{x.Added} = {x.Total}")));
    }
}
