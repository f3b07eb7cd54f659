namespace AutoClassify.Models.Segmenters;

/// <summary>
/// The segmenter trainers by command-line name. Adding a family is one line in <see cref="Factories"/>; every
/// benchmark and command that takes <c>--models</c> then accepts it.
/// </summary>
public static class SegmenterCatalog
{
    static readonly Dictionary<string, Func<ISegmenterTrainer>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["classical"] = () => new ClassicalSegmenterTrainer(),
        ["pixel-forest"] = () => new PixelForestTrainer(),
        ["unet"] = () => UNetTrainer.Create("unet"),
        ["resunet"] = () => UNetTrainer.Create("resunet"),
    };

    /// <summary>The known names, in registration order.</summary>
    public static IReadOnlyList<string> Names => [.. Factories.Keys];

    public static bool Contains(string name) => Factories.ContainsKey(name);

    /// <summary>A fresh trainer for <paramref name="name"/>; throws naming the known ones when it is unknown.</summary>
    public static ISegmenterTrainer Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Factories.TryGetValue(name.Trim(), out var factory)
            ? factory()
            : throw new ArgumentException($"Unknown segmenter '{name}'; known: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Registers another trainer under <paramref name="name"/> (e.g. a plug-in); an existing name is replaced.</summary>
    public static void Register(string name, Func<ISegmenterTrainer> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (Factories)
            Factories[name.Trim()] = factory;
    }
}
